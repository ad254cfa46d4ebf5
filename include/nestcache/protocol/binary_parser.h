// The binary protocol's incremental request parser: bytes in, one request out (a Command for
// the engine, with the binary fields beside it in a BinaryRequest). No I/O, no tree.
//
// As the text parser: the caller owns the bytes and calls parse() with everything unconsumed;
// a request split across reads is need_more with nothing consumed. memcached 1.6.18's framing
// is followed exactly (proto_bin.c): the header, extras and key are taken first and checked;
// a value (set, add, replace, append, prepend) is then waited for whole, after its size was
// held to -I, so nothing is buffered for a value that will be refused; an unknown opcode's body
// is discarded as it arrives (memcached counts the extras and key in that body a second time,
// and so do we); a command memcached reads no body for (stat, touch, gat) leaves the rest of its
// body to be read as the next request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nestcache/protocol/binary_header.h"
#include "nestcache/protocol/command.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {

// What a binary request carries beyond a Command. Views point into the bytes given to parse().
struct BinaryRequest {
  binary::Opcode opcode = binary::Opcode::noop;  // as sent: replies carry it
  binary::Opcode base = binary::Opcode::noop;    // without its quiet form (getq -> get)
  bool quiet = false;    // a q opcode: the nominal reply is not sent (see binary_ops.cc)
  uint32_t opaque = 0;   // echoed in every reply
  uint64_t cas = 0;      // the header's cas (0 = none)
  std::string_view key;  // the key bytes as sent (getk replies echo them; stat's group)
  uint64_t initial = 0;  // incr/decr: the value to create with
  // incr/decr's expiration (0xffffffff: do not create), touch/gat's and flush's exptime.
  uint32_t expiration = 0;
  bool close_after_reply = false;  // an error memcached answers and then hangs up on
};

class BinaryParser {
 public:
  // `options` must outlive the parser (the engine's, for a session's parser).
  explicit BinaryParser(const ParseOptions& options) : options_(options) {}

  // Parses the request at the front of `input`. complete: `command` and `request` describe it.
  // error: `result.error` says which (unknown_command: Unknown command; bad_format: Invalid
  // arguments; too_large: Too large.; bad_path: Invalid arguments with `result.detail`), and
  // request.close_after_reply whether memcached hangs up after it. close: not a binary request
  // (a connection stays in the protocol it began in), hang up without a reply. skipped:
  // discarded body bytes.
  ParseResult parse(std::string_view input, BinaryRequest& request, Command& command);

  // Bytes the pending request needs in all while its value arrives (the header, extras and key
  // are in and -I accepted the value), else 0 (see Parser::wanted).
  std::size_t wanted() const { return wanted_; }

 private:
  const ParseOptions& options_;
  std::size_t swallow_ = 0;  // body bytes still to discard
  std::size_t wanted_ = 0;
};

}  // namespace nestcache
