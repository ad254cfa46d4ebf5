// The incremental request parser: bytes in, one Command out. No I/O, no tree.
//
// The caller (a Session) owns the bytes and calls parse() with everything unconsumed. The parser
// never copies or keeps bytes: a request split across reads is answered with need_more and
// nothing consumed, and parsed again whole when more has arrived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nestcache/protocol/command.h"

namespace nestcache {

struct ParseOptions {
  bool compat = false;    // one key token per single-key command, memcached's forms and numbers
  char separator = '\0';  // --key-separator; '\0' = off
  std::size_t max_depth = kDefaultMaxDepth;
  std::size_t max_segment = kMaxSegmentLength;  // --max-segment-length
  std::size_t max_item_size = 1024 * 1024;      // -I
  std::size_t max_line = 2048;                  // memcached's no-newline cutoff (get/gets excepted)
  std::size_t max_get_line = 4 * 1024 * 1024;   // bound on one multi-get line
};

enum class ParseStatus : uint8_t {
  complete,   // `command` holds a request of `consumed` bytes
  need_more,  // nothing consumed; call again when more bytes have arrived
  skipped,    // `consumed` bytes of a refused data block were discarded; no reply
  error,      // `consumed` bytes form a bad request; reply with `error`, then go on
  close,      // hopeless input (no newline in time, an HTTP request): close without reply
};

// Each kind is one reply text (see composer.h); kept apart up to the composer.
enum class ParseError : uint8_t {
  none,
  unknown_command,  // ERROR
  bad_format,       // CLIENT_ERROR bad command line format
  bad_data_chunk,   // CLIENT_ERROR bad data chunk
  too_large,        // SERVER_ERROR object too large for cache (the data block is swallowed)
  invalid_exptime,  // CLIENT_ERROR invalid exptime argument
  invalid_delta,    // CLIENT_ERROR invalid numeric delta argument
  delete_usage,     // CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]
  bad_stats_args,   // CLIENT_ERROR bad command line
  bad_path,         // CLIENT_ERROR <detail>: an extension's precise complaint about a path
  meta_error,       // CLIENT_ERROR <detail>: a meta command's error, memcached's text
};

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  std::size_t consumed = 0;
  ParseError error = ParseError::none;
  std::string_view detail;  // static text for bad_path and meta_error
};

class Parser {
 public:
  // `options` must outlive the parser (the engine's, for a session's parser).
  explicit Parser(const ParseOptions& options) : options_(options) {}

  // Parses the request at the front of `input`. On complete and error, `command` is filled as
  // far as known (verb, path, noreply), so errors can be answered in pipeline order.
  ParseResult parse(std::string_view input, Command& command);

  // Bytes the pending request needs in all (line + data block), 0 if unknown; lets the
  // owner of the bytes grow its buffer once instead of per read.
  std::size_t wanted() const { return wanted_; }

  const ParseOptions& options() const { return options_; }

 private:
  ParseResult parse_line(std::string_view line, std::size_t line_size, std::string_view input,
                         Command& command);

  const ParseOptions& options_;
  std::size_t swallow_ = 0;  // bytes of a refused data block still to discard
  std::size_t wanted_ = 0;
};

}  // namespace nestcache
