// Segment names and headers, and the scan of one segment's bytes.
#include "nestcache/persistence/segment.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nestcache::persistence
