// Paths: a key in nestcache names a node of the tree by its segments.
#pragma once

#include <cstddef>
#include <string_view>

#include <absl/container/inlined_vector.h>

namespace nestcache {

// memcached's key length limit, applied to every segment (--max-segment-length may lower it).
inline constexpr std::size_t kMaxSegmentLength = 250;
inline constexpr std::size_t kDefaultMaxDepth = 32;
// Hard ceiling for --max-depth: node depth is stored in a byte.
inline constexpr std::size_t kMaxDepthLimit = 255;

// The segments of one path, viewing bytes owned by someone else (the connection's read buffer
// while a command executes). Most paths are short, so they live inline.
using Path = absl::InlinedVector<std::string_view, 8>;

// The bytes of `path` written with one byte (a space or the separator) between two segments:
// a key as a client names it. `path` must not be empty.
inline std::size_t joined_size(const Path& path) {
  std::size_t bytes = path.size() - 1;
  for (const std::string_view segment : path) bytes += segment.size();
  return bytes;
}

enum class SegmentError { none, empty, too_long, bad_char };

// Checks one segment against the key rules of nested mode: 1..max_length bytes, no whitespace,
// no control characters.
inline SegmentError check_segment(std::string_view segment,
                                  std::size_t max_length = kMaxSegmentLength) {
  if (segment.empty()) return SegmentError::empty;
  if (segment.size() > max_length) return SegmentError::too_long;
  for (unsigned char c : segment) {
    if (c <= 0x20 || c == 0x7f) return SegmentError::bad_char;
  }
  return SegmentError::none;
}

}  // namespace nestcache
