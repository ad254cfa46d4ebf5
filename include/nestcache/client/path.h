// Paths as a person types them (`billing/prod/db_url`) and as a server in each mode takes them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nestcache::client {

using Segments = std::vector<std::string>;

// Splits `text` on `separator` into segments; an empty text or the separator alone is the root
// (no segment). Leading and trailing separators are ignored; an empty segment in the middle
// (`a//b`) is an error (client::Error, usage), as is a segment with a space or control byte,
// which no mode of the server can carry.
Segments split_path(std::string_view text, char separator = '/');

// `segments` joined with `separator` (the root is "").
std::string join_path(const Segments& segments, char separator = '/');

// How a server names a path on the wire: `stats settings` tells (`compat`, `key_separator`).
struct ServerMode {
  bool compat = false;
  char separator = '\0';  // --key-separator, '\0' when off
  std::size_t max_depth = 32;
  std::size_t max_segment_length = 250;
  std::size_t item_size_max = 1024 * 1024;
};

// The key tokens that name `segments` on a server in `mode`: in nested mode the segments joined
// by spaces; with a key separator joined by it (one token, valid in both modes); in --compat
// without a separator only a single segment can be named (else client::Error, usage). A segment
// that holds the server's separator cannot be named either. The root is "".
std::string wire_path(const Segments& segments, const ServerMode& mode);

// The segments of a full path as the server's replies write it (gettree, dumptree): joined by
// the key separator when one is set, else by spaces.
Segments split_wire_path(std::string_view key, const ServerMode& mode);

// client::Error (usage) when `path` is deeper than the server's --max-depth or has a segment
// longer than its --max-segment-length: checked before a request is sent, because in nested
// mode a storage command refused on its command line leaves its data block to be read as
// commands (protocol.md 12).
void check_limits(const Segments& path, const ServerMode& mode);

}  // namespace nestcache::client
