// Splits a `watchtree` stream into its lines: the opening (WATCHING, or the error or COMPACTED
// that refuses it), the events with their data blocks, and the line that ends the stream.
// Works on whatever bytes have arrived, as read_unit does: an event not yet complete is
// `need_more` and consumes nothing; a SET's data block is a view of arrived bytes, its length
// checked against ReaderLimits::max_value before anything waits for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nestcache/client/reply_reader.h"

namespace nestcache::client {

enum class WatchKind {
  watching,   // WATCHING <rev>: the stream is open; events after <rev> follow
  set,        // SET <rev> <seg>+ <flags> <exptime> <bytes> + data: the node's value now
  touch,      // TOUCH <rev> <seg>+ <exptime>
  remove,     // DELETE <rev> <seg>+: the node and its subtree
  expire,     // EXPIRE <rev> <seg>+: the node and its subtree, past its deadline
  evict,      // EVICT <rev> <seg>+: the value, for memory (children stay)
  unset,      // UNSET <rev> <seg>+: the value dropped (children stay)
  graft,      // GRAFT <rev> <seg>+ <staged> <exptime>: the node now holds its sibling's subtree
  flush,      // FLUSH <rev>: everything went
  progress,   // PROGRESS <rev>: nothing else changed up to <rev>
  compacted,  // COMPACTED <rev>: ends the stream; the history starts at <rev>
  canceled,   // CANCELED <rev> <reason>: ends the stream; resume after <rev>
  error,      // ERROR, CLIENT_ERROR ..., SERVER_ERROR ...: the watch was refused
};

// Whether the stream ends with `kind` (the server closes after it).
inline bool ends_stream(WatchKind kind) {
  return kind == WatchKind::compacted || kind == WatchKind::canceled || kind == WatchKind::error;
}

struct WatchEvent {
  WatchKind kind = WatchKind::error;
  uint64_t revision = 0;
  std::string_view line;    // the line without its "\r\n"
  std::string_view path;    // the node's segments joined by spaces (empty for the others)
  std::string_view staged;  // graft: the staged sibling's name
  std::string_view reason;  // canceled: why ("slow consumer")
  uint32_t flags = 0;       // set
  int64_t exptime = 0;      // set, touch, graft: the absolute deadline, 0 = never
  std::string_view data;    // set: the value
};

// Reads one line (and a SET's data block) from the start of `input`. On complete, `consumed`
// is its size in bytes. A line that follows none of the shapes above is `bad`.
ReadStatus read_watch_event(std::string_view input, const ReaderLimits& limits, WatchEvent& event,
                            std::size_t& consumed);

// The event's name on the wire ("SET", "DELETE", ...).
std::string_view watch_kind_name(WatchKind kind);

}  // namespace nestcache::client
