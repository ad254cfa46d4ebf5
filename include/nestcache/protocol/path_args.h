// Turning key tokens into tree paths: the --key-separator split and the segment rules.
#pragma once

#include <string_view>

#include "nestcache/common/path.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {

// Appends the segments of one key token to `path`: the token itself, or its pieces split on
// `separator` ('\0' = no splitting). A segment over 250 bytes is memcached's bad_format; the
// extension rules give bad_path with `detail` set: an empty segment, more than `max_depth`
// segments, and (when `validate`, i.e. nested mode) a control character.
ParseError append_key(std::string_view token, char separator, bool validate, std::size_t max_depth,
                      Path& path, std::string_view& detail);

// Appends the segments of a key token that append_key has already accepted (a multi-get's keys,
// checked by the parser): the split alone, without the checks.
void split_key(std::string_view token, char separator, Path& path);

}  // namespace nestcache
