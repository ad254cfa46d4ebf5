// Journal records: one per change applied to the tree, in the byte layout of
// proto-spec/persistence.md section 3. A Record views bytes owned by someone else (the tree's
// change, or the segment being read), so encoding and decoding copy no value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nestcache/common/path.h"

namespace nestcache::persistence {

// The kind byte on disk: values are part of the format and never change meaning.
enum class RecordKind : uint8_t {
  store = 1,          // a value set at path (any storage command, incr/decr)
  touch = 2,          // a new deadline for the node at path
  remove = 3,         // the node at path and its subtree deleted
  remove_value = 4,   // the value at path dropped, the node kept (delete of a value, eviction)
  expire = 5,         // the node at path and its subtree expired
  flush = 6,          // flush_all emptied the tree here (flush_at: when it was due)
  memory_limit = 7,   // cache_memlimit
  flush_pending = 8,  // flush_all <delay>: the tree is to be emptied at flush_at
  graft = 10,         // the node at path replaced by its staged sibling `data` (swap)
};

// One change. Which fields count depends on `kind`; the others are ignored by the encoder and
// left at their defaults by the decoder, so decode(encode(r)) == r for a record built that way.
struct Record {
  RecordKind kind = RecordKind::store;
  // The server-wide revision the change took; for store it is also the value's cas unique.
  uint64_t revision = 0;
  Path path;                  // store, touch, remove, remove_value, expire
  std::string_view data;      // store; graft: the staged sibling's name (1..255 bytes)
  uint32_t flags = 0;         // store
  int64_t exptime = 0;        // store, touch, graft: absolute Unix time, 0 = never
  int64_t flush_at = 0;       // flush, flush_pending: absolute Unix time
  uint64_t memory_limit = 0;  // memory_limit: bytes, 0 = unlimited

  friend bool operator==(const Record& a, const Record& b);
};

// What the decoder accepts; a record over them is an error, never an allocation.
struct RecordLimits {
  std::size_t max_depth = kMaxDepthLimit;              // segments per path (<= 255)
  std::size_t max_segment_length = kMaxSegmentLength;  // bytes per segment (<= 255)
  std::size_t max_value = std::size_t{1} << 30;        // bytes per value (-I; <= 4 GiB - 1)
};

enum class RecordError : uint8_t {
  none,
  truncated,        // the bytes end inside a field
  bad_kind,         // a kind byte this version does not know
  path_too_deep,    // more segments than max_depth
  bad_segment,      // a segment of length 0 or over max_segment_length
  value_too_large,  // a value length over max_value
  trailing_bytes,   // bytes left after the last field
  empty_path,       // a kind that needs a path has none
};

// A short English name for an error, for log lines ("truncated", "bad kind", ...).
std::string_view to_string(RecordError error);

// The bytes encode_record() appends for `record`: the kind byte and the payload.
std::size_t encoded_size(const Record& record);

// Appends `record`'s kind byte and payload to `out`. The record must be within the limits the
// reader will use (check_record); the encoder itself does not check.
void encode_record(const Record& record, std::string& out);
// The same bytes written at `out`, which has room for encoded_size(record) of them.
void write_record(const Record& record, char* out);

// RecordError::none when `record` can be written and read back under `limits`.
RecordError check_record(const Record& record, const RecordLimits& limits);

struct DecodedRecord {
  RecordError error = RecordError::none;
  std::size_t error_at = 0;  // byte offset in the input where the error was seen
  Record record;             // views into the input; valid only when error is none
};

// Decodes one record (kind byte and payload) that fills `bytes` exactly. Every length is checked
// against the bytes present and `limits` before it is used; nothing is allocated beyond the
// path's segment views (at most max_depth, each backed by at least two input bytes).
DecodedRecord decode_record(std::string_view bytes, const RecordLimits& limits = {});

}  // namespace nestcache::persistence
