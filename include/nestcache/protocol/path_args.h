// Turning key tokens into tree paths: the --key-separator split and the segment rules.
#pragma once

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

// Appends the segments of one key token to `path`: the token itself, or its pieces split on the
// separator. A segment over max_segment bytes (250: memcached's key rule) is memcached's
// bad_format; the extension rules give bad_path with `detail` set: an empty segment, more than
// max_depth segments, and (when validating, i.e. nested mode) a control character.
ParseError append_key(std::string_view token, const KeyRules& rules, Path& path,
                      std::string_view& detail);

// Appends the segments of a key token that append_key has already accepted (a multi-get's keys,
// checked by the parser): the split alone, without the checks.
void split_key(std::string_view token, char separator, Path& path);

}  // namespace nestcache
