// The argument rules of the meta commands (mg ms md ma me), memcached 1.6.18's
// process_m*_command before they touch an item: token counts, the key, the flags, ms's length.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "nestcache/protocol/command.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {

struct MetaLineResult {
  ParseError error = ParseError::none;  // none: the line is good
  std::string_view detail;              // meta_error / bad_path: the text after CLIENT_ERROR
  // ms: the data block's length (without its \r\n); when an error comes after a good length,
  // `swallow` says the block follows anyway and is to be discarded, as memcached does.
  int32_t bytes = 0;
  bool swallow = false;
};

// Reads tokens[1...] (tokens[0] is the command's name) of a meta line into `command`: the key
// into command.key and command.path (one token: split on the separator when there is one, else
// one segment; base64-decoded into command.decoded_key with b), the flag tokens into
// command.args and their meaning into command.meta. q is left to the handlers (it hides only
// the nominal reply; command.noreply stays false, so errors are always sent).
MetaLineResult parse_meta_line(std::span<const std::string_view> tokens,
                               const ParseOptions& options, Command& command);

}  // namespace nestcache
