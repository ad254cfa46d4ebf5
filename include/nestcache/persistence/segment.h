// Segment files: their names, their header, and the scan of one segment's bytes
// (proto-spec/persistence.md sections 1 and 2). No file I/O here: the reader maps a file and
// hands its bytes to scan_segment(), and the fuzzer does the same with its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/record.h"

namespace nestcache::persistence {

inline constexpr std::string_view kSegmentMagic = "NCJOURNL";  // 8 bytes
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 40;  // a multiple of the frame alignment
static_assert(kSegmentHeaderSize % kFrameAlignment == 0);

struct SegmentHeader {
  uint32_t version = kFormatVersion;
  // prev_last_revision + 1; the file is named after it, so names only grow.
  uint64_t first_revision = 1;
  // The highest revision in the segments before this one, each segment with records counting
  // its own first revision too (records may come out of revision order): a reader that finds
  // another figure there knows a segment between them is missing.
  uint64_t prev_last_revision = 0;

  friend bool operator==(const SegmentHeader&, const SegmentHeader&) = default;
};

enum class HeaderError : uint8_t {
  none,
  too_short,      // fewer than kSegmentHeaderSize bytes (an empty file among them)
  bad_magic,      // not a nestcache journal segment
  bad_version,    // a format version this build cannot read
  bad_crc,        // the header does not match its CRC
  bad_revisions,  // first_revision is not prev_last_revision + 1
  bad_reserved,   // a reserved word is not zero
};

std::string_view to_string(HeaderError error);

// The kSegmentHeaderSize bytes that start a segment.
std::string encode_segment_header(const SegmentHeader& header);
// Reads the header at the start of `bytes` into `out`.
HeaderError decode_segment_header(std::string_view bytes, SegmentHeader& out);

// "journal-%016x.seg": the name of the segment whose first revision is `first_revision`.
std::string segment_name(uint64_t first_revision);
// The first revision a segment's file name holds, or nullopt when `name` is not exactly a
// segment name (16 lowercase hex digits).
std::optional<uint64_t> parse_segment_name(std::string_view name);

// Why a scan stopped where it did.
enum class SegmentStop : uint8_t {
  end,          // an all-zero frame header, or the end of the bytes: nothing more was written
  short_frame,  // a frame that runs past the end of the bytes
  bad_length,   // a frame length of 0 with a CRC, or over the limits
  bad_crc,      // a frame whose body does not match its CRC
  bad_record,   // a frame with a good CRC whose body does not decode: never a torn write
  bad_header,   // the segment header itself (see header_error)
};

struct SegmentScan {
  HeaderError header_error = HeaderError::none;
  SegmentHeader header;
  std::size_t records = 0;
  uint64_t max_revision = 0;  // the highest record revision, or header.prev_last_revision
  // Offset just past the last whole record read (kSegmentHeaderSize when there is none): where a
  // writer continues, and where damage is reported.
  std::size_t end = 0;
  SegmentStop stop = SegmentStop::end;
  RecordError record_error = RecordError::none;  // stop == bad_record: what the decoder said
  // The offset of a frame after `end` that has a good CRC and decodes, if there is one: what
  // tells damage before the tail from a torn tail.
  std::optional<std::size_t> valid_after;
  // Offset just past the last non-zero byte at or after `end` (== end when the rest is zeros):
  // what a repair must zero so that later appends cannot be misread.
  std::size_t dirty_end = 0;

  // True when the segment ends cleanly: every byte after the last record is zero.
  bool clean() const { return stop == SegmentStop::end && dirty_end == end; }
};

// Scans one segment's bytes: checks the header, then calls `on_record` with each record in
// order (its views valid during the call), stopping at the first frame that is not a whole,
// valid record. Then looks at the rest of the bytes for valid frames and non-zero bytes.
// Allocates nothing per record beyond decode_record's path views.
SegmentScan scan_segment(std::string_view bytes, const RecordLimits& limits,
                         const std::function<void(const Record&)>& on_record);

}  // namespace nestcache::persistence
