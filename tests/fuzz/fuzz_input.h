// How a fuzz input is read: the first byte chooses the server's settings and how the wire bytes
// are cut into reads; the rest are the bytes a client sends. Seeds (make_corpus.py) start with a
// settings byte too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nestcache/protocol/parser.h"

namespace nestcache::fuzz {

struct Input {
  ParseOptions parse;
  bool strict_parents = false;
  std::size_t chunk = 0;  // bytes per simulated read; 0 = everything at once
  std::string_view wire;
};

// bit 0: --compat; bit 1: --key-separator ':'; bit 2: -I 1k instead of 1m; bit 3: --max-depth 4;
// bit 4: --strict-parents; bits 5-7: reads of 0 (all at once), 1, 2, 3, 7, 16, 64 or 1000 bytes.
inline Input decode(const uint8_t* data, std::size_t size) {
  Input in;
  if (size == 0) return in;
  const uint8_t settings = data[0];
  in.parse.compat = settings & 1;
  in.parse.separator = (settings & 2) ? ':' : '\0';
  in.parse.max_item_size = (settings & 4) ? 1024 : 1024 * 1024;
  in.parse.max_depth = (settings & 8) ? 4 : kDefaultMaxDepth;
  in.strict_parents = settings & 16;
  static constexpr std::size_t kChunks[8] = {0, 1, 2, 3, 7, 16, 64, 1000};
  in.chunk = kChunks[settings >> 5];
  in.wire = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  return in;
}

}  // namespace nestcache::fuzz
