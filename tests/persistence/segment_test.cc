// Segment names and headers, and the scan of one segment's bytes.
#include "nestcache/persistence/segment.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "journal_test_support.h"

namespace nestcache::persistence {
namespace {

using testing::make_record;

TEST(SegmentTest, NamesRoundTrip) {
  EXPECT_EQ(segment_name(1), "journal-0000000000000001.seg");
  EXPECT_EQ(segment_name(0xabcdef), "journal-0000000000abcdef.seg");
  for (uint64_t r : {uint64_t{0}, uint64_t{1}, uint64_t{0x123456789abcdef0}, UINT64_MAX}) {
    EXPECT_EQ(parse_segment_name(segment_name(r)), r);
  }
  for (const char* bad : {"journal-000000000000001.seg", "journal-0000000000000001.seg.tmp",
                          "journal-000000000000000G.seg", "journal-000000000000000A.seg",
                          "Journal-0000000000000001.seg", "notes.txt", ""}) {
    EXPECT_FALSE(parse_segment_name(bad).has_value()) << bad;
  }
}

TEST(SegmentTest, HeaderRoundTripsAndRefusesDamage) {
  const SegmentHeader h{kFormatVersion, 43, 42};
  const std::string bytes = encode_segment_header(h);
  ASSERT_EQ(bytes.size(), kSegmentHeaderSize);
  SegmentHeader back;
  EXPECT_EQ(decode_segment_header(bytes, back), HeaderError::none);
  EXPECT_EQ(back, h);
  EXPECT_EQ(decode_segment_header(bytes.substr(0, 39), back), HeaderError::too_short);
  EXPECT_EQ(decode_segment_header("", back), HeaderError::too_short);
  for (std::size_t i = 0; i < 36; ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 0x10;
    EXPECT_NE(decode_segment_header(flipped, back), HeaderError::none) << i;
  }
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_EQ(decode_segment_header(magic, back), HeaderError::bad_magic);
  EXPECT_EQ(decode_segment_header(encode_segment_header({2, 43, 42}), back),
            HeaderError::bad_version);
  EXPECT_EQ(decode_segment_header(encode_segment_header({kFormatVersion, 50, 42}), back),
            HeaderError::bad_revisions);
}

// A segment's bytes: header, `n` records, then `tail` (zeros by default).
std::string segment_bytes(std::size_t n, std::vector<std::size_t>* starts = nullptr) {
  std::string bytes = encode_segment_header({kFormatVersion, 1, 0});
  for (std::size_t i = 0; i < n; ++i) {
    if (starts != nullptr) starts->push_back(bytes.size());
    append_frame(make_record(i).record, bytes);
  }
  return bytes;
}

TEST(SegmentScanTest, ReadsEveryRecordAndStopsAtZeros) {
  std::vector<std::size_t> starts;
  std::string bytes = segment_bytes(20, &starts);
  const std::size_t end = bytes.size();
  bytes.append(4096, '\0');
  std::size_t seen = 0;
  const SegmentScan scan = scan_segment(bytes, {}, [&](const Record& r) {
    EXPECT_EQ(r, make_record(seen).record);
    ++seen;
  });
  EXPECT_EQ(seen, 20u);
  EXPECT_EQ(scan.records, 20u);
  EXPECT_EQ(scan.max_revision, 20u);
  EXPECT_EQ(scan.end, end);
  EXPECT_TRUE(scan.clean());
  EXPECT_FALSE(scan.valid_after.has_value());
}

TEST(SegmentScanTest, TellsATornTailFromDamage) {
  std::vector<std::size_t> starts;
  std::string bytes = segment_bytes(20, &starts);
  bytes.append(1024, '\0');
  std::string torn = bytes;
  torn[starts[19] + 9] ^= 1;  // the last record's body
  SegmentScan scan = scan_segment(torn, {}, [](const Record&) {});
  EXPECT_EQ(scan.stop, SegmentStop::bad_crc);
  EXPECT_EQ(scan.end, starts[19]);
  EXPECT_FALSE(scan.valid_after.has_value());
  EXPECT_GT(scan.dirty_end, scan.end);

  std::string damaged = bytes;
  damaged[starts[10] + 9] ^= 1;
  scan = scan_segment(damaged, {}, [](const Record&) {});
  EXPECT_EQ(scan.stop, SegmentStop::bad_crc);
  EXPECT_EQ(scan.end, starts[10]);
  EXPECT_EQ(scan.valid_after, starts[11]);
}

// A segment overwritten with random bytes (a bad disk) is read in linear time: the search for
// valid frames after the stop decodes before it checksums, so it never CRCs megabytes per 8
// bytes.
TEST(SegmentScanTest, GarbageScansInBoundedTime) {
  std::string bytes = segment_bytes(3);
  std::mt19937_64 rng(99);
  const std::size_t garbage = 8 << 20;
  for (std::size_t i = 0; i < garbage; i += 8) {
    const uint64_t word = rng();
    bytes.append(reinterpret_cast<const char*>(&word), 8);
  }
  const auto start = std::chrono::steady_clock::now();
  const SegmentScan scan = scan_segment(bytes, {}, [](const Record&) {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(scan.records, 3u);
  EXPECT_NE(scan.stop, SegmentStop::end);
  EXPECT_FALSE(scan.valid_after.has_value());
  EXPECT_EQ(scan.dirty_end, bytes.size());
  EXPECT_LT(seconds, 10.0);
}

}  // namespace
}  // namespace nestcache::persistence

namespace nestcache::persistence {
namespace {

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The bytes of proto-spec/persistence.md, as tests/fuzz/make_journal_corpus.py (a second encoder
// written from that page) produces them: the format cannot change by accident.
TEST(SegmentFormatTest, BytesMatchTheSpecsSecondEncoder) {
  EXPECT_EQ(hex(encode_segment_header({kFormatVersion, 1, 0})),
            "4e434a4f55524e4c0100000000000000010000000000000000000000000000004b4cf99500000000");
  testing::OwnedRecord store;
  store.segments = {"config", "db", "host"};
  store.data = std::string(100, 'x');
  store.record.revision = 7;
  store.record.flags = 5;
  store.record.exptime = 1'700'000'000;
  store.rebind();
  std::string framed;
  append_frame(store.record, framed);
  EXPECT_EQ(framed.size(), 152u);  // the size persistence.md section 3 works out
  EXPECT_EQ(hex(framed),
            "8d000000377397980107000000000000000500000000f15365000000000306636f6e66696702646204686f"
            "73746400000078787878787878787878787878787878787878787878787878787878787878787878787878"
            "78787878787878787878787878787878787878787878787878787878787878787878787878787878787878"
            "7878787878787878787878787878787878787878000000");
  Record flush;
  flush.kind = RecordKind::flush;
  flush.revision = 9;
  flush.flush_at = 1'700'000'200;
  framed.clear();
  append_frame(flush, framed);
  EXPECT_EQ(hex(framed), "1100000038954b40060900000000000000c8f153650000000000000000000000");
}

}  // namespace
}  // namespace nestcache::persistence
