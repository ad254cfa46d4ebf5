// Splits a server's byte stream into reply units: one line, or a VALUE/NODE header with its data
// block. Works on whatever bytes have arrived: a unit not yet complete is `need_more` and
// consumes nothing, so the caller appends bytes and asks again. A data block is only ever a view
// of bytes that have arrived; its length is checked against a limit, never allocated up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nestcache::client {

enum class ReadStatus { complete, need_more, bad };

// What a line says, from its first token (and the whole line for the fixed replies).
enum class LineKind {
  end,
  stored,
  not_stored,
  exists,
  not_found,
  deleted,
  touched,
  ok,  // fixed status lines
  error,
  client_error,
  server_error,  // errors
  child,         // CHILD <name> (getch)
  stat,          // STAT <name> <value>
  number,        // incr/decr's result
  other,         // anything else
};
LineKind classify(std::string_view line);

enum class UnitKind {
  line,   // one reply line
  value,  // VALUE <key> <flags> <bytes> [<cas>] + data (get, getn, gettree; gets and getns)
  node,   // NODE <path> <flags> <exptime> <bytes> <cas> + data (dumptree)
};

struct Unit {
  UnitKind kind = UnitKind::line;
  std::string_view line;  // the header line without its "\r\n"
  // value and node: the parsed header and the data block (views into the input).
  std::string_view key;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint64_t cas = 0;
  std::string_view data;
};

struct ReaderLimits {
  std::size_t max_line = std::size_t{1} << 20;   // a longer line without "\n" is bad
  std::size_t max_value = std::size_t{1} << 30;  // a VALUE claiming more is bad
};

// Reads one unit from the start of `input`. `with_cas`: a VALUE line ends with a cas unique
// (gets, getns), which decides how its tokens are read from the right (a key may be several
// spaced segments). On complete, `consumed` is the unit's size in bytes.
ReadStatus read_unit(std::string_view input, bool with_cas, const ReaderLimits& limits, Unit& unit,
                     std::size_t& consumed);

}  // namespace nestcache::client
