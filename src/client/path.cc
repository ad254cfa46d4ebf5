#include "nestcache/client/path.h"

#include "nestcache/client/error.h"

namespace nestcache::client {
namespace {

bool bad_byte(unsigned char c) { return c <= 0x20 || c == 0x7f; }

void check_segment(std::string_view segment) {
  for (const unsigned char c : segment) {
    if (bad_byte(c)) {
      throw Error(ErrorKind::usage, "path segment '" + std::string(segment) +
                                        "' holds a space or a control character");
    }
  }
}

}  // namespace

Segments split_path(std::string_view text, char separator) {
  Segments segments;
  while (!text.empty() && text.front() == separator) text.remove_prefix(1);
  while (!text.empty() && text.back() == separator) text.remove_suffix(1);
  if (text.empty()) return segments;
  for (;;) {
    const std::size_t at = text.find(separator);
    const std::string_view segment = text.substr(0, at);
    if (segment.empty()) {
      throw Error(ErrorKind::usage, "empty path segment in '" + std::string(text) + "'");
    }
    check_segment(segment);
    segments.emplace_back(segment);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return segments;
}

std::string join_path(const Segments& segments, char separator) {
  std::string out;
  for (const std::string& segment : segments) {
    if (!out.empty()) out += separator;
    out += segment;
  }
  return out;
}

std::string wire_path(const Segments& segments, const ServerMode& mode) {
  if (mode.separator != '\0') {
    for (const std::string& segment : segments) {
      if (segment.find(mode.separator) != std::string::npos) {
        throw Error(ErrorKind::usage, "segment '" + segment +
                                          "' holds the server's key separator '" +
                                          std::string(1, mode.separator) + "'");
      }
    }
    return join_path(segments, mode.separator);
  }
  if (mode.compat && segments.size() > 1) {
    throw Error(ErrorKind::usage,
                "the server runs --compat without --key-separator: only top-level keys exist");
  }
  return join_path(segments, ' ');
}

Segments split_wire_path(std::string_view key, const ServerMode& mode) {
  const char joiner = mode.separator != '\0' ? mode.separator : ' ';
  Segments segments;
  for (;;) {
    const std::size_t at = key.find(joiner);
    segments.emplace_back(key.substr(0, at));
    if (at == std::string_view::npos) break;
    key.remove_prefix(at + 1);
  }
  return segments;
}

void check_limits(const Segments& path, const ServerMode& mode) {
  if (path.size() > mode.max_depth) {
    throw Error(ErrorKind::usage, "path too deep for the server (" + std::to_string(path.size()) +
                                      " segments, --max-depth " + std::to_string(mode.max_depth) +
                                      ")");
  }
  for (const std::string& segment : path) {
    if (segment.size() > mode.max_segment_length) {
      throw Error(ErrorKind::usage, "path segment longer than the server's " +
                                        std::to_string(mode.max_segment_length) + " bytes");
    }
  }
}

}  // namespace nestcache::client
