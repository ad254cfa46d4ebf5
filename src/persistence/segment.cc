#include "nestcache/persistence/segment.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "byte_order.h"
#include "file_format.h"
#include "nestcache/persistence/crc32c.h"

namespace nestcache::persistence {
namespace {

// The header's two words (file_format.h): first_revision, prev_last_revision.
static_assert(kSegmentHeaderSize == kFileHeaderSize);
constexpr std::string_view kNamePrefix = "journal-";
constexpr std::string_view kNameSuffix = ".seg";

SegmentStop stop_for(FrameStatus status) {
  switch (status) {
    case FrameStatus::ok:
    case FrameStatus::zero:
      return SegmentStop::end;
    case FrameStatus::short_frame:
      return SegmentStop::short_frame;
    case FrameStatus::bad_length:
      return SegmentStop::bad_length;
    case FrameStatus::bad_crc:
      return SegmentStop::bad_crc;
  }
  return SegmentStop::bad_length;
}

// Offset just past the last non-zero byte of bytes[from...], or `from` when they are all zero.
// Forward, a block at a time: the file is mapped, and the kernel reads ahead only for a reader
// that goes forward (backwards, a fresh 64 MiB segment took ~1 s of readahead bookkeeping).
std::size_t last_dirty(std::string_view bytes, std::size_t from) {
  constexpr std::size_t kBlock = 64;
  std::size_t dirty = from;
  std::size_t at = from;
  for (; at < bytes.size() && at % kBlock != 0; ++at) {
    if (bytes[at] != '\0') dirty = at + 1;
  }
  for (; at + kBlock <= bytes.size(); at += kBlock) {
    uint64_t any = 0;
    for (std::size_t i = 0; i < kBlock; i += 8) {
      uint64_t word;
      std::memcpy(&word, bytes.data() + at + i, sizeof word);
      any |= word;
    }
    if (any == 0) continue;
    for (std::size_t i = kBlock; i > 0; --i) {
      if (bytes[at + i - 1] != '\0') {
        dirty = at + i;
        break;
      }
    }
  }
  for (; at < bytes.size(); ++at) {
    if (bytes[at] != '\0') dirty = at + 1;
  }
  return dirty;
}

}  // namespace

std::string_view to_string(HeaderError error) {
  switch (error) {
    case HeaderError::none:
      return "no error";
    case HeaderError::too_short:
      return "segment header missing or cut short";
    case HeaderError::bad_magic:
      return "not a nestcache journal segment (bad magic)";
    case HeaderError::bad_version:
      return "unsupported segment format version";
    case HeaderError::bad_crc:
      return "segment header CRC mismatch";
    case HeaderError::bad_reserved:
      return "segment header reserved bytes are not zero";
    case HeaderError::bad_revisions:
      return "segment header revisions disagree";
  }
  return "unknown header error";
}

std::string encode_segment_header(const SegmentHeader& header) {
  return encode_file_header(kSegmentMagic,
                            {header.version, header.first_revision, header.prev_last_revision});
}

HeaderError decode_segment_header(std::string_view bytes, SegmentHeader& out) {
  FileHeader words;
  switch (decode_file_header(bytes, kSegmentMagic, words)) {
    case FileHeaderError::none:
      break;
    case FileHeaderError::too_short:
      return HeaderError::too_short;
    case FileHeaderError::bad_magic:
      return HeaderError::bad_magic;
    case FileHeaderError::bad_crc:
      return HeaderError::bad_crc;
    case FileHeaderError::reserved_not_zero:
      return HeaderError::bad_reserved;
  }
  out.version = words.version;
  if (out.version != kFormatVersion) return HeaderError::bad_version;
  out.first_revision = words.first;
  out.prev_last_revision = words.second;
  if (out.prev_last_revision == UINT64_MAX || out.first_revision != out.prev_last_revision + 1) {
    return HeaderError::bad_revisions;
  }
  return HeaderError::none;
}

std::string segment_name(uint64_t first_revision) {
  return numbered_file_name(kNamePrefix, first_revision, kNameSuffix);
}

std::optional<uint64_t> parse_segment_name(std::string_view name) {
  return parse_numbered_file_name(name, kNamePrefix, kNameSuffix);
}

SegmentScan scan_segment(std::string_view bytes, const RecordLimits& limits,
                         const std::function<void(const Record&)>& on_record) {
  SegmentScan scan;
  scan.header_error = decode_segment_header(bytes, scan.header);
  if (scan.header_error != HeaderError::none) {
    scan.stop = SegmentStop::bad_header;
    return scan;
  }
  scan.max_revision = scan.header.prev_last_revision;
  const std::size_t max_body = max_body_size(limits);
  std::size_t at = kSegmentHeaderSize;
  for (;;) {
    const Frame frame = read_frame(bytes.substr(at), max_body);
    if (frame.status != FrameStatus::ok) {
      scan.stop = stop_for(frame.status);
      break;
    }
    const DecodedRecord decoded = decode_record(frame.body, limits);
    if (decoded.error != RecordError::none) {
      scan.stop = SegmentStop::bad_record;
      scan.record_error = decoded.error;
      break;
    }
    on_record(decoded.record);
    ++scan.records;
    scan.max_revision = std::max(scan.max_revision, decoded.record.revision);
    at += frame.size;
  }
  scan.end = at;
  scan.dirty_end = last_dirty(bytes, at);
  // Any valid frame among the non-zero bytes after the stop? Only aligned offsets can hold one.
  // The body is decoded before its CRC is computed: random bytes almost never decode (a kind
  // byte, lengths that end exactly at the frame's end), so a segment of garbage costs a decode
  // attempt per 8 bytes, not a CRC of up to max_body bytes per 8 bytes.
  for (std::size_t p = at + kFrameAlignment; p + kFrameHeaderSize <= scan.dirty_end;
       p += kFrameAlignment) {
    const uint32_t length = load_le<uint32_t>(bytes.data() + p);
    if (length == 0 || length > max_body || length > bytes.size() - p - kFrameHeaderSize) {
      continue;
    }
    const std::string_view body = bytes.substr(p + kFrameHeaderSize, length);
    if (decode_record(body, limits).error != RecordError::none) continue;
    if (crc32c(body) != load_le<uint32_t>(bytes.data() + p + 4)) continue;
    scan.valid_after = p;
    break;
  }
  return scan;
}

}  // namespace nestcache::persistence
