#include "nestcache/protocol/composer.h"

#include <charconv>

#include <absl/base/attributes.h>

#include "wire_strings.h"

namespace nestcache {
namespace {

// Inlined, and appended as (pointer, length): a VALUE line takes two numbers, and the iterator
// form of append goes through std::string's general _M_replace (~50 instructions more each).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void append_number(std::string& out, uint64_t value) {
  // Digits written backwards by hand, not std::to_chars: how GCC inlines to_chars depends on how
  // many callers this file has, and out of line it cost a get 20 more instructions (callgrind).
  char buf[20];  // 20 digits hold any uint64_t
  char* first = buf + sizeof(buf);
  do {
    *--first = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  out.append(first, static_cast<std::size_t>(buf + sizeof(buf) - first));
}

// The same out of line, for the replies off the hot path (meta flags, metadump, me), which need
// not grow this file's inlined code.
[[gnu::noinline]] void append_number_cold(std::string& out, uint64_t value) {
  append_number(out, value);
}

void append_signed(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;  // 24 bytes hold any int64_t
  out.append(buf, static_cast<std::size_t>(end - buf));
}

// memcached's uriencode: A-Z a-z 0-9 - . _ ~ as they are, every other byte as %XX (upper case).
void append_uri_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                       (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                       byte == '~';
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
}

void append_joined(std::string& out, const Path& segments, char joiner) {
  bool first = true;
  for (std::string_view segment : segments) {
    if (!first) out.push_back(joiner);
    out.append(segment);
    first = false;
  }
}

// " la=<la> cas=<cas> fetch=<yes|no> cls=<id> size=<n>": the fields a metadump line and an me
// reply share.
void append_item_fields(std::string& out, const MetadumpItem& item) {
  out.append(" la=");
  append_signed(out, item.last_access);
  out.append(" cas=");
  append_number_cold(out, item.cas);
  out.append(item.fetched ? " fetch=yes cls=" : " fetch=no cls=");
  append_number_cold(out, item.slab_class);
  out.append(" size=");
  append_number_cold(out, item.size);
}

}  // namespace

void Composer::reply(Reply reply) { out_.append(wire::reply_text(reply)); }

void Composer::error(ParseError error, std::string_view detail) {
  if (error == ParseError::bad_path || error == ParseError::meta_error) {
    client_error(detail);
    return;
  }
  out_.append(wire::error_text(error));
}

void Composer::client_error(std::string_view detail) {
  out_.append(wire::kClientErrorPrefix);
  out_.append(detail);
  out_.append(wire::kEol);
}

void Composer::value(std::string_view key, uint32_t flags, std::string_view data,
                     std::optional<uint64_t> cas) {
  out_.append(wire::kValue);
  out_.append(key);
  key_then_fields(flags, data, cas);
}

void Composer::value(const Path& key, char joiner, uint32_t flags, std::string_view data,
                     std::optional<uint64_t> cas) {
  out_.append(wire::kValue);
  append_joined(out_, key, joiner);
  key_then_fields(flags, data, cas);
}

void Composer::key_then_fields(uint32_t flags, std::string_view data, std::optional<uint64_t> cas) {
  out_.push_back(' ');
  append_number(out_, flags);
  out_.push_back(' ');
  append_number(out_, data.size());
  if (cas) {
    out_.push_back(' ');
    append_number(out_, *cas);
  }
  out_.append(wire::kEol);
  out_.append(data);
  out_.append(wire::kEol);
}

void Composer::number(uint64_t value) {
  append_number(out_, value);
  out_.append(wire::kEol);
}

void Composer::child(std::string_view name) {
  out_.append(wire::kChild);
  out_.append(name);
  out_.append(wire::kEol);
}

void Composer::item(const Path& key, char joiner, uint64_t bytes, int64_t exptime) {
  out_.append(wire::kItem);
  append_joined(out_, key, joiner);
  out_.append(" [");
  append_number(out_, bytes);
  out_.append(" b; ");
  append_number(out_, static_cast<uint64_t>(exptime));
  out_.append(" s]");
  out_.append(wire::kEol);
}

void Composer::metadump_item(const Path& key, char joiner, const MetadumpItem& item) {
  out_.append("key=");
  bool first = true;
  for (std::string_view segment : key) {
    if (!first) append_uri_encoded(out_, std::string_view(&joiner, 1));
    append_uri_encoded(out_, segment);
    first = false;
  }
  out_.append(" exp=");
  if (item.exptime == 0) {
    out_.append("-1");
  } else {
    append_signed(out_, item.exptime);
  }
  append_item_fields(out_, item);
  out_.push_back('\n');
}

void Composer::meta_begin(MetaCode code, std::size_t length) {
  out_.append(wire::meta_code_text(code));
  if (code == MetaCode::va) append_number_cold(out_, length);
}

void Composer::meta_flag(char flag, uint64_t value) {
  out_.push_back(' ');
  out_.push_back(flag);
  append_number_cold(out_, value);
}

void Composer::meta_flag_signed(char flag, int64_t value) {
  out_.push_back(' ');
  out_.push_back(flag);
  append_signed(out_, value);
}

void Composer::meta_mark(char flag) {
  out_.push_back(' ');
  out_.push_back(flag);
}

void Composer::meta_token(std::string_view token) {
  out_.push_back(' ');
  out_.append(token);
}

void Composer::meta_key(std::string_view key, bool base64) {
  out_.append(" k");
  out_.append(key);
  if (base64) out_.append(" b");
}

void Composer::meta_end() { out_.append(wire::kEol); }

void Composer::meta_data(std::string_view data) {
  out_.append(data);
  out_.append(wire::kEol);
}

void Composer::meta_debug(std::string_view key, const MetadumpItem& item, int64_t exp) {
  out_.append("ME ");
  out_.append(key);
  out_.append(" exp=");
  append_signed(out_, exp);
  append_item_fields(out_, item);
  out_.append(wire::kEol);
}

void Composer::stat(std::string_view name, std::string_view value) {
  out_.append(wire::kStat);
  out_.append(name);
  out_.push_back(' ');
  out_.append(value);
  out_.append(wire::kEol);
}

void Composer::stat(std::string_view name, uint64_t value) {
  out_.append(wire::kStat);
  out_.append(name);
  out_.push_back(' ');
  append_number(out_, value);
  out_.append(wire::kEol);
}

void Composer::version(std::string_view version) {
  out_.append(wire::kVersion);
  out_.append(version);
  out_.append(wire::kEol);
}

void Composer::line(std::string_view text) {
  out_.append(text);
  out_.append(wire::kEol);
}

}  // namespace nestcache
