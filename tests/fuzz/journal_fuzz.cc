// libFuzzer target for the journal's reading side: decode_record() over the input,
// scan_segment() over the input as a segment's bytes (what recovery reads from disk), and, with
// bit 2 of the first byte, read_snapshot() over the input as a snapshot file (in a temp file).
// The first byte chooses: bit 0, a valid segment (or snapshot) header is put before the bytes (so
// that the fuzzer reaches the frames without finding a header CRC); bit 1, small limits (depth 4,
// segments of 16 bytes, values of 64). Checked: no crash, no sanitizer report, no single allocation
// larger than 8 bytes per input byte (a length field is never believed before the bytes are there;
// the 8x is the path's segment views, 16 bytes each for at least 2 input bytes each), every record
// decoded re-encodes to the same bytes and decodes back equal, and the scan's offsets are
// consistent. A snapshot read allocates no more than the file justifies either, every record it
// hands over round-trips, and a whole snapshot hands over as many as its trailer counts.
#include <sanitizer/allocator_interface.h>

#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/record.h"
#include "nestcache/persistence/segment.h"
#include "nestcache/persistence/snapshot.h"

namespace {

using namespace nestcache::persistence;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "journal reader contract broken: %s\n", what);
    std::abort();
  }
}

// The largest allocation seen while armed (the decoder or the scan running, not this file's own
// checks).
std::atomic<bool> armed{false};
std::atomic<std::size_t> largest{0};

void on_malloc(const volatile void*, std::size_t size) {
  if (!armed.load(std::memory_order_relaxed)) return;
  std::size_t seen = largest.load(std::memory_order_relaxed);
  while (size > seen && !largest.compare_exchange_weak(seen, size)) {
  }
}
void on_free(const volatile void*) {}

struct Arm {
  Arm() {
    largest = 0;
    armed = true;
  }
  ~Arm() { armed = false; }
};

// decode(encode(r)) == r, and the encoding is the bytes it came from when `bytes` is given.
void check_round_trip(const Record& r, std::string_view bytes, const RecordLimits& limits) {
  check(check_record(r, limits) == RecordError::none, "a decoded record fails check_record");
  std::string again;
  encode_record(r, again);
  check(again.size() == encoded_size(r), "encoded_size disagrees with encode_record");
  if (!bytes.empty()) check(again == bytes, "re-encoding changed the bytes");
  const DecodedRecord back = decode_record(again, limits);
  check(back.error == RecordError::none, "an encoded record does not decode");
  check(back.record == r, "decode(encode(r)) != r");
  std::string framed;
  append_frame(r, framed);
  const Frame frame = read_frame(framed, max_body_size(limits));
  check(frame.status == FrameStatus::ok && frame.size == framed.size(), "a frame does not read");
}

// read_snapshot() over the bytes as a file; its buffer starts at 4 KiB and may grow only as far
// as a frame that the file really holds.
void check_snapshot(uint8_t settings, std::string_view rest, const RecordLimits& limits) {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/journal_fuzz-" +
           std::to_string(::getpid()) + ".snap";
  }();
  std::string file;
  if (settings & 1) file = encode_snapshot_header({kSnapshotFormatVersion, 7, 0});
  file.append(rest);
  {
    std::FILE* out = std::fopen(path.c_str(), "wb");
    check(out != nullptr, "cannot write the temp snapshot");
    check(std::fwrite(file.data(), 1, file.size(), out) == file.size(), "short temp write");
    std::fclose(out);
  }
  uint64_t handed = 0;
  SnapshotReport report;
  {
    Arm arm;
    report = read_snapshot(
        path, limits,
        [&](const Record& r) {
          armed = false;
          check_round_trip(r, {}, limits);
          ++handed;
          armed = true;
        },
        4096);
  }
  std::remove(path.c_str());
  check(largest <= 8 * file.size() + 8192, "read_snapshot allocated too much");
  if (report.outcome == SnapshotOutcome::ok) {
    check(handed == report.records, "records counted wrong in a whole snapshot");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uint8_t settings = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  RecordLimits limits;
  if (settings & 2) {
    limits.max_depth = 4;
    limits.max_segment_length = 16;
    limits.max_value = 64;
  }
  const std::size_t allowed = 8 * size + 256;

  // One record filling the bytes.
  DecodedRecord decoded;
  {
    Arm arm;
    decoded = decode_record(rest, limits);
  }
  check(largest <= allowed, "decode_record allocated more than the input justifies");
  check(decoded.error_at <= rest.size(), "an error offset past the input");
  if (decoded.error == RecordError::none) check_round_trip(decoded.record, rest, limits);

  // A segment.
  std::string segment;
  if (settings & 1) segment = encode_segment_header({kFormatVersion, 1, 0});
  segment.append(rest);
  std::size_t records = 0;
  SegmentScan scan;
  {
    Arm arm;
    scan = scan_segment(segment, limits, [&](const Record& r) {
      armed = false;
      check_round_trip(r, {}, limits);
      ++records;
      armed = true;
    });
  }
  check(largest <= 8 * segment.size() + 256, "scan_segment allocated too much");
  check(scan.records == records, "records counted wrong");
  if (scan.stop == SegmentStop::bad_header) {
    check(records == 0, "records read from a segment with a bad header");
    return 0;
  }
  check(scan.end >= kSegmentHeaderSize && scan.end <= segment.size(), "end out of range");
  check(scan.dirty_end >= scan.end && scan.dirty_end <= segment.size(), "dirty_end out of range");
  if (scan.valid_after) {
    check(*scan.valid_after > scan.end && *scan.valid_after < scan.dirty_end,
          "valid_after out of range");
  }
  if (scan.clean()) check(!scan.valid_after, "a clean end with a valid frame after it");
  if (settings & 4) check_snapshot(settings, rest, limits);
  return 0;
}
