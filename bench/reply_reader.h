// Splits the server's byte stream into replies, one at a time and incrementally: a reply split
// across reads is resumed where the last call stopped, so a long gettree reply is scanned once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nestcache::bench {

enum class ReplyKind : uint8_t {
  values,      // VALUE ... END (get, getn, gettree); `values` says how many
  stored,      // STORED
  deleted,     // DELETED
  not_found,   // NOT_FOUND
  not_stored,  // NOT_STORED or EXISTS
  version,     // VERSION <v>
  error,       // ERROR, CLIENT_ERROR ..., SERVER_ERROR ..., or a line we do not know
};

struct Reply {
  ReplyKind kind = ReplyKind::error;
  uint64_t values = 0;  // VALUE blocks in a values reply
};

class ReplyReader {
 public:
  // `input` starts at the first byte of the reply not yet returned. Returns the bytes of one
  // whole reply (filling `reply`), or 0 when more input is needed; call again with the same
  // start and more bytes after it.
  std::size_t parse(std::string_view input, Reply& reply);

 private:
  std::size_t scanned_ = 0;  // bytes of the pending reply already walked (whole VALUE blocks)
  uint64_t values_ = 0;
};

}  // namespace nestcache::bench
