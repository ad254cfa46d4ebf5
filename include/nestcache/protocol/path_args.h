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

// Calls fn(segment) for each segment of `token`: the token itself, or its pieces split on
// `separator` ('\0': no splitting), while fn returns true. False when fn stopped it.
template <typename Fn>
inline bool for_each_segment(std::string_view token, char separator, Fn&& fn) {
  if (separator == '\0') return fn(token);
  for (;;) {
    const std::size_t at = token.find(separator);
    if (!fn(token.substr(0, at))) return false;
    if (at == std::string_view::npos) return true;
    token.remove_prefix(at + 1);
  }
}

// Appends the segments of a key token that check_key has already accepted (a multi-get's keys,
// checked by the parser): the split alone, without the checks.
void split_key(std::string_view token, char separator, Path& path);

// Whether `segment` may be the path's segment number `depth` (0-based), by check_key's rules
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

// Checks the segments of one key token as the path's segments number `depth` on, and hands
// each accepted one to keep(segment); stops at the first that is refused. A segment over
// max_segment bytes (250: memcached's key rule) is memcached's bad_format; the extension rules
// give bad_path with `detail` set: an empty segment, more than max_depth segments, and (when
// validating, i.e. nested mode) a control character. Inline, like check_segment: a call per
// segment would cost more than the checks.
template <typename Keep>
inline ParseError check_key(std::string_view token, const KeyRules& rules, std::size_t depth,
                            std::string_view& detail, Keep&& keep) {
  ParseError error = ParseError::none;
  for_each_segment(token, rules.separator, [&](std::string_view segment) {
    error = check_path_segment(segment, rules, depth++, detail);
    if (error != ParseError::none) return false;
    keep(segment);
    return true;
  });
  return error;
}

// The checks alone: a multi-get's keys are checked by the parser and split again by the engine
// (split_key).
inline ParseError check_key(std::string_view token, const KeyRules& rules,
                            std::string_view& detail) {
  return check_key(token, rules, 0, detail, [](std::string_view) {});
}

// Appends the segments of one key token to `path`, checked as check_key does.
inline ParseError append_key(std::string_view token, const KeyRules& rules, Path& path,
                             std::string_view& detail) {
  return check_key(token, rules, path.size(), detail,
                   [&path](std::string_view segment) { path.push_back(segment); });
}

}  // namespace nestcache
