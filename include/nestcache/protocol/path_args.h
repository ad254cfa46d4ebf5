// Turning key tokens into tree paths: the --key-separator split and the segment rules.
#pragma once

#include <cstddef>
#include <string_view>

#include "nestcache/common/path.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {

// The rules a key token is held to (from ParseOptions).
struct KeyRules {
  char separator = '\0';  // --key-separator; '\0' = no splitting
  bool validate = true;   // nested mode: control characters are refused
  std::size_t max_depth = kDefaultMaxDepth;
  std::size_t max_segment = kMaxSegmentLength;
};

// Appends the segments of a key token that append_key has already accepted (a multi-get's keys,
// checked by the parser): the split alone, without the checks.
void split_key(std::string_view token, char separator, Path& path);

// Whether `segment` may be the path's segment number `depth` (0-based), by append_key's rules
// below; `detail` is set as there.
inline ParseError check_path_segment(std::string_view segment, const KeyRules& rules,
                                     std::size_t depth, std::string_view& detail) {
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
  if (depth >= rules.max_depth) {
    detail = "path too deep";
    return ParseError::bad_path;
  }
  return ParseError::none;
}

namespace path_args_detail {

// One segment of append_key.
inline ParseError append_segment(std::string_view segment, const KeyRules& rules, Path& path,
                                 std::string_view& detail) {
  if (auto error = check_path_segment(segment, rules, path.size(), detail);
      error != ParseError::none) {
    return error;
  }
  path.push_back(segment);
  return ParseError::none;
}

}  // namespace path_args_detail

// Appends the segments of one key token to `path`: the token itself, or its pieces split on the
// separator. A segment over max_segment bytes (250: memcached's key rule) is memcached's
// bad_format; the extension rules give bad_path with `detail` set: an empty segment, more than
// max_depth segments, and (when validating, i.e. nested mode) a control character.
// Inline, like check_segment: a call per segment would cost more than the checks.
inline ParseError append_key(std::string_view token, const KeyRules& rules, Path& path,
                             std::string_view& detail) {
  using path_args_detail::append_segment;
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

// The checks of append_key without building the path: a multi-get's keys are checked by the
// parser and split again by the engine (split_key).
inline ParseError check_key(std::string_view token, const KeyRules& rules,
                            std::string_view& detail) {
  if (rules.separator == '\0') return check_path_segment(token, rules, 0, detail);
  for (std::size_t depth = 0;; ++depth) {
    const std::size_t at = token.find(rules.separator);
    if (auto error = check_path_segment(token.substr(0, at), rules, depth, detail);
        error != ParseError::none) {
      return error;
    }
    if (at == std::string_view::npos) return ParseError::none;
    token.remove_prefix(at + 1);
  }
}

}  // namespace nestcache
