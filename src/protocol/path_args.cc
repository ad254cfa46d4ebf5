#include "nestcache/protocol/path_args.h"

namespace nestcache {
namespace {

ParseError append_segment(std::string_view segment, const KeyRules& rules, Path& path,
                          std::string_view& detail) {
  switch (check_segment(segment, rules.max_segment)) {
    case SegmentError::none:
      break;
    case SegmentError::too_long:
      return ParseError::bad_format;  // memcached's key rule, memcached's text
    case SegmentError::empty:
      detail = "empty path segment";
      return ParseError::bad_path;
    case SegmentError::bad_char:
      if (rules.validate) {
        detail = "control character in key";
        return ParseError::bad_path;
      }
      break;
  }
  if (path.size() >= rules.max_depth) {
    detail = "path too deep";
    return ParseError::bad_path;
  }
  path.push_back(segment);
  return ParseError::none;
}

}  // namespace

ParseError append_key(std::string_view token, const KeyRules& rules, Path& path,
                      std::string_view& detail) {
  if (rules.separator == '\0') return append_segment(token, rules, path, detail);
  for (;;) {
    const std::size_t at = token.find(rules.separator);
    const std::string_view segment = token.substr(0, at);
    if (auto error = append_segment(segment, rules, path, detail); error != ParseError::none) {
      return error;
    }
    if (at == std::string_view::npos) return ParseError::none;
    token.remove_prefix(at + 1);
  }
}

void split_key(std::string_view token, char separator, Path& path) {
  if (separator == '\0') {
    path.push_back(token);
    return;
  }
  for (std::size_t at = token.find(separator); at != std::string_view::npos;
       at = token.find(separator)) {
    path.push_back(token.substr(0, at));
    token.remove_prefix(at + 1);
  }
  path.push_back(token);
}

}  // namespace nestcache
