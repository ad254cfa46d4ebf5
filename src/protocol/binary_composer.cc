#include "nestcache/protocol/binary_composer.h"

#include "wire_strings.h"

namespace nestcache {
namespace {

void store32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

void store64(char* p, uint64_t v) {
  store32(p, static_cast<uint32_t>(v >> 32));
  store32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace

void BinaryComposer::header(binary::Status status, uint8_t extlen, std::size_t keylen,
                            std::size_t bodylen, uint64_t cas) {
  char h[binary::kHeaderSize];
  h[0] = static_cast<char>(binary::kResponseMagic);
  h[1] = static_cast<char>(request_.opcode);
  h[2] = static_cast<char>(keylen >> 8);
  h[3] = static_cast<char>(keylen);
  h[4] = static_cast<char>(extlen);
  h[5] = 0;  // raw bytes
  const auto code = static_cast<uint16_t>(status);
  h[6] = static_cast<char>(code >> 8);
  h[7] = static_cast<char>(code);
  store32(h + 8, static_cast<uint32_t>(bodylen));
  store32(h + 12, request_.opaque);
  store64(h + 16, cas);
  out_.append(h, sizeof(h));
}

void BinaryComposer::success(uint64_t cas) { header(binary::Status::success, 0, 0, 0, cas); }

void BinaryComposer::value(uint32_t flags, std::string_view key, std::string_view data,
                           uint64_t cas) {
  header(binary::Status::success, 4, key.size(), 4 + key.size() + data.size(), cas);
  char extras[4];
  store32(extras, flags);
  out_.append(extras, sizeof(extras));
  out_.append(key);
  out_.append(data);
}

void BinaryComposer::number(uint64_t value, uint64_t cas) {
  header(binary::Status::success, 0, 0, 8, cas);
  char body[8];
  store64(body, value);
  out_.append(body, sizeof(body));
}

void BinaryComposer::text(std::string_view body) {
  header(binary::Status::success, 0, 0, body.size(), 0);
  out_.append(body);
}

void BinaryComposer::error(binary::Status status, std::string_view text) {
  if (text.empty()) text = wire::binary_error_text(status);
  header(status, 0, 0, text.size(), 0);
  out_.append(text);
}

void BinaryComposer::no_room(NoRoom what) {
  error(binary::Status::out_of_memory, what == NoRoom::item       ? wire::kBinaryNoMemoryItem
                                       : what == NoRoom::new_item ? wire::kBinaryNoMemoryNewItem
                                                                  : wire::kBinaryNoDiskSpace);
}

void BinaryComposer::miss_with_key(std::string_view key) {
  header(binary::Status::key_not_found, 0, key.size(), key.size(), 0);
  out_.append(key);
}

void BinaryComposer::stat(std::string_view name, std::string_view value) {
  header(binary::Status::success, 0, name.size(), name.size() + value.size(), 0);
  out_.append(name);
  out_.append(value);
}

void BinaryComposer::stats_from_text(std::string_view lines) {
  while (!lines.empty()) {
    const std::size_t eol = lines.find(wire::kEol);
    std::string_view line = lines.substr(0, eol);
    lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + wire::kEol.size());
    if (!line.starts_with(wire::kStat)) continue;
    line.remove_prefix(wire::kStat.size());
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      stat(line, {});
    } else {
      stat(line.substr(0, space), line.substr(space + 1));
    }
  }
}

}  // namespace nestcache
