#include "reply_reader.h"

#include <charconv>
#include <cstring>

namespace nestcache::bench {
namespace {

// The byte count of a VALUE line is its last token when no cas follows (get, getn, gettree:
// the key may be several spaced segments, so counting from the left would not work).
bool value_bytes(std::string_view line, std::size_t& bytes) {
  const std::size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view token = line.substr(space + 1);
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), bytes);
  return ec == std::errc() && end == token.data() + token.size();
}

ReplyKind single_line_kind(std::string_view line) {
  if (line == "STORED") return ReplyKind::stored;
  if (line == "DELETED") return ReplyKind::deleted;
  if (line == "NOT_FOUND") return ReplyKind::not_found;
  if (line == "NOT_STORED" || line == "EXISTS") return ReplyKind::not_stored;
  if (line.starts_with("VERSION ")) return ReplyKind::version;
  return ReplyKind::error;
}

}  // namespace

std::size_t ReplyReader::parse(std::string_view input, Reply& reply) {
  for (;;) {
    const std::string_view rest = input.substr(scanned_);
    const char* newline = static_cast<const char*>(std::memchr(rest.data(), '\n', rest.size()));
    if (newline == nullptr) return 0;
    const std::size_t line_size = static_cast<std::size_t>(newline - rest.data()) + 1;
    std::string_view line = rest.substr(0, line_size - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (line.starts_with("VALUE ")) {
      std::size_t bytes = 0;
      if (!value_bytes(line, bytes)) {
        reply = Reply{ReplyKind::error, values_};
      } else {
        const std::size_t block = line_size + bytes + 2;
        if (rest.size() < block) return 0;  // resume at this VALUE line
        scanned_ += block;
        ++values_;
        continue;
      }
    } else if (line == "END") {
      reply = Reply{ReplyKind::values, values_};
    } else {
      reply = Reply{single_line_kind(line), values_};
    }
    const std::size_t consumed = scanned_ + line_size;
    scanned_ = 0;
    values_ = 0;
    return consumed;
  }
}

}  // namespace nestcache::bench
