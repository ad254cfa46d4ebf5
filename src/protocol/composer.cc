#include "nestcache/protocol/composer.h"

#include <charconv>

#include "wire_strings.h"

namespace nestcache {
namespace {

void append_number(std::string& out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;  // 24 bytes hold any uint64_t
  out.append(buf, end);
}

void append_joined(std::string& out, const Path& segments, char joiner) {
  bool first = true;
  for (std::string_view segment : segments) {
    if (!first) out.push_back(joiner);
    out.append(segment);
    first = false;
  }
}

}  // namespace

void Composer::reply(Reply reply) { out_.append(wire::reply_text(reply)); }

void Composer::error(ParseError error, std::string_view detail) {
  if (error == ParseError::bad_path) {
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
