// Snapshot files (proto-spec/persistence.md section 7): what is written reads back exactly, and
// a snapshot that is short, has a flipped byte, or lost or gained a frame is damage at the right
// offset, never a partial load.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "journal_test_support.h"
#include "nestcache/persistence/crc32c.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/snapshot.h"
#include "snapshot_test_support.h"

namespace nestcache::persistence {
namespace {

using testing::load;
using testing::OwnedRecord;
using testing::read_file;
using testing::store;
using testing::TempDir;
using testing::write_file;
using testing::write_snapshot;

// The values of a tree with every shape a snapshot must carry.
std::vector<OwnedRecord> varied_values() {
  std::vector<OwnedRecord> values;
  for (uint64_t i = 0; i < 300; ++i) {
    values.push_back(store(100 + i, {"ns" + std::to_string(i % 5), "k" + std::to_string(i)},
                           "value " + std::to_string(i), static_cast<uint32_t>(i * 7),
                           i % 3 == 0 ? 1'700'000'000 + static_cast<int64_t>(i) : 0));
  }
  values.push_back(store(5, {"empty"}, ""));
  std::string binary;
  for (int round = 0; round < 3; ++round) {
    for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  }
  values.push_back(store(6, {"bin", std::string("\x00\xff", 2)}, binary, 0xffffffffu, -1));
  std::vector<std::string> deep;
  for (std::size_t d = 0; d < kMaxDepthLimit; ++d) deep.push_back("d" + std::to_string(d));
  values.push_back(store(7, deep, "deepest"));
  values.push_back(store(8, {std::string(kMaxSegmentLength, 'L'), "x"}, "long segment"));
  std::string big(3 * (1 << 20) + 5, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + i / 7);
  values.push_back(store(9, {"big"}, big));
  OwnedRecord limit;
  limit.record.kind = RecordKind::memory_limit;
  limit.record.revision = 400;
  limit.record.memory_limit = uint64_t{64} << 20;
  values.push_back(limit);
  return values;
}

TEST(SnapshotTest, NamesAreExactlySixteenLowercaseHexDigits) {
  EXPECT_EQ(snapshot_name(0x2a), "snapshot-000000000000002a.snap");
  EXPECT_EQ(parse_snapshot_name("snapshot-000000000000002a.snap"), 0x2au);
  EXPECT_EQ(parse_snapshot_name(snapshot_name(UINT64_MAX)), UINT64_MAX);
  for (const char* bad :
       {"snapshot-000000000000002A.snap", "snapshot-00000000000002a.snap",
        "snapshot-000000000000002a.snap.tmp", "snapshot-000000000000002a.snap.dropped",
        "journal-000000000000002a.seg", "snapshot-00000000000000xa.snap", ""}) {
    EXPECT_FALSE(parse_snapshot_name(bad).has_value()) << bad;
  }
}

// Many records of every shape, written in small and large chunks, read through buffers smaller
// than one frame and larger than the file: the same records, in order, and nothing else.
TEST(SnapshotTest, RoundTripOfManyRecords) {
  TempDir dir;
  const std::vector<OwnedRecord> values = varied_values();
  for (const std::size_t chunk : {std::size_t{100}, std::size_t{1} << 20}) {
    SnapshotWriterOptions options;
    options.chunk_size = chunk;
    const std::string path = write_snapshot(dir.path(), 1000, values, options);
    EXPECT_EQ(path, dir.file("snapshot-00000000000003e8.snap"));
    for (const std::size_t buffer : {std::size_t{64}, std::size_t{4096}, kSnapshotReadBuffer}) {
      const auto loaded = load(path, buffer);
      ASSERT_EQ(loaded.report.outcome, SnapshotOutcome::ok) << loaded.report.log_line();
      EXPECT_EQ(loaded.report.revision, 1000u);
      EXPECT_EQ(loaded.report.started_at, 1'700'000'123);
      EXPECT_EQ(loaded.report.records, values.size());
      ASSERT_EQ(loaded.records.size(), values.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        ASSERT_TRUE(loaded.records[i].record == values[i].record) << "record " << i;
      }
      EXPECT_EQ(loaded.report.log_line(),
                "snapshot: " + std::to_string(values.size()) + " records at revision 1000");
    }
  }
  EXPECT_EQ(list_snapshots(dir.path()).files.size(), 1u);  // no temp file left
}

TEST(SnapshotTest, EmptyTreeRoundTrip) {
  TempDir dir;
  const std::string path = write_snapshot(dir.path(), 0, {});
  EXPECT_EQ(read_file(path).size(), kSnapshotHeaderSize + 32);
  const auto loaded = load(path);
  EXPECT_EQ(loaded.report.outcome, SnapshotOutcome::ok) << loaded.report.log_line();
  EXPECT_EQ(loaded.report.records, 0u);
}

// Where each frame of a snapshot of `values` starts: the header at 0, then every record, then
// the trailer.
std::vector<std::size_t> frame_starts(const std::vector<OwnedRecord>& values) {
  std::vector<std::size_t> starts = {0, kSnapshotHeaderSize};
  for (const OwnedRecord& v : values) starts.push_back(starts.back() + framed_size(v.record));
  return starts;  // the last one is the trailer's
}

// The start of the frame (or the header) holding byte `at`.
std::size_t frame_of(const std::vector<std::size_t>& starts, std::size_t at) {
  std::size_t start = 0;
  for (const std::size_t s : starts) {
    if (s <= at) start = s;
  }
  return start;
}

std::vector<OwnedRecord> small_values() {
  std::vector<OwnedRecord> values;
  for (uint64_t i = 0; i < 12; ++i) {
    values.push_back(store(i + 1, {"a", "k" + std::to_string(i)}, std::string(i * 5, 'v'), 3));
  }
  return values;
}

// Cut at every byte of its header and of its last four records and trailer: always damage, at
// the frame the cut falls in (or at the cut, when it falls between frames).
TEST(SnapshotTest, CutAtEveryByteOffsetIsDamage) {
  TempDir dir;
  const std::vector<OwnedRecord> values = small_values();
  const std::string path = write_snapshot(dir.path(), 77, values);
  const std::string whole = read_file(path);
  const std::vector<std::size_t> starts = frame_starts(values);
  ASSERT_EQ(whole.size(), starts.back() + 32);
  std::vector<std::size_t> cuts;
  for (std::size_t n = 0; n <= kSnapshotHeaderSize; ++n) cuts.push_back(n);
  for (std::size_t n = starts[starts.size() - 5]; n < whole.size(); ++n) cuts.push_back(n);
  for (const std::size_t n : cuts) {
    write_file(path, whole.substr(0, n));
    const auto loaded = load(path);
    ASSERT_EQ(loaded.report.outcome, SnapshotOutcome::damaged) << "cut at " << n;
    const bool between =
        n >= kSnapshotHeaderSize && std::find(starts.begin(), starts.end(), n) != starts.end();
    const std::size_t expected = n < kSnapshotHeaderSize ? 0 : between ? n : frame_of(starts, n);
    EXPECT_EQ(loaded.report.error.offset, expected)
        << "cut at " << n << ": " << loaded.report.log_line();
    // The records wholly before the cut were handed over (and the caller drops them).
    const auto whole_before =
        std::count_if(starts.begin() + 2, starts.end(), [&](std::size_t end) { return end <= n; });
    EXPECT_EQ(loaded.report.records, static_cast<uint64_t>(whole_before)) << "cut at " << n;
  }
}

// Every byte flipped in turn (two ways): damage, named at the frame holding the byte.
TEST(SnapshotTest, FlippedByteAnywhereIsDamageNamingItsFrame) {
  TempDir dir;
  const std::vector<OwnedRecord> values = small_values();
  const std::string path = write_snapshot(dir.path(), 77, values);
  const std::string whole = read_file(path);
  const std::vector<std::size_t> starts = frame_starts(values);
  for (std::size_t at = 0; at < whole.size(); ++at) {
    for (const char mask : {'\x01', '\xff'}) {
      std::string flipped = whole;
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      write_file(path, flipped);
      const auto loaded = load(path);
      ASSERT_EQ(loaded.report.outcome, SnapshotOutcome::damaged) << "byte " << at;
      EXPECT_EQ(loaded.report.error.offset, frame_of(starts, at)) << "byte " << at;
      const std::string line = loaded.report.log_line();
      EXPECT_NE(line.find(path + " offset " + std::to_string(frame_of(starts, at))),
                std::string::npos)
          << line;
    }
  }
}

// Whole valid frames lost, repeated or swapped pass every frame's own CRC: the trailer's count
// and CRC catch them.
TEST(SnapshotTest, LostRepeatedOrSwappedFramesAreCaughtByTheTrailer) {
  TempDir dir;
  const std::vector<OwnedRecord> values = small_values();
  const std::string path = write_snapshot(dir.path(), 77, values);
  const std::string whole = read_file(path);
  const std::vector<std::size_t> s = frame_starts(values);
  const std::string frame3 = whole.substr(s[4], s[5] - s[4]);
  const std::string frame4 = whole.substr(s[5], s[6] - s[5]);
  const std::string head = whole.substr(0, s[4]);
  const std::string tail = whole.substr(s[6]);
  const struct {
    std::string bytes;
    const char* says;
  } cases[] = {
      {head + frame4 + tail, "holds 11"},
      {head + frame3 + frame4 + frame4 + tail, "holds 13"},
      {head + frame4 + frame3 + tail, "CRC"},
  };
  for (const auto& c : cases) {
    write_file(path, c.bytes);
    const auto loaded = load(path);
    ASSERT_EQ(loaded.report.outcome, SnapshotOutcome::damaged) << c.says;
    EXPECT_EQ(loaded.report.error.offset, c.bytes.size() - 32);  // the trailer
    EXPECT_NE(loaded.report.log_line().find(c.says), std::string::npos) << loaded.report.log_line();
  }
  write_file(path, whole + std::string(8, '\0'));
  const auto longer = load(path);
  EXPECT_EQ(longer.report.outcome, SnapshotOutcome::damaged);
  EXPECT_EQ(longer.report.error.offset, whole.size());
}

// A snapshot holds state only: a journal record of an event (a removal) inside one is damage,
// the writer refuses to put one there, and the trailer's kind byte is not a record the journal
// would accept.
TEST(SnapshotTest, JournalRecordsAndTheTrailerAreKeptApart) {
  TempDir dir;
  OwnedRecord removal = store(3, {"a"}, "");
  removal.record.kind = RecordKind::remove;
  SnapshotWriter writer;
  ASSERT_TRUE(writer.open(dir.path(), 3, 0).ok());
  EXPECT_EQ(writer.add(removal.record).kind, JournalErrorKind::bad_record);
  ASSERT_TRUE(writer.finish().ok());
  EXPECT_EQ(load(writer.path()).report.records, 0u);

  std::string bytes = encode_snapshot_header({kSnapshotFormatVersion, 3, 0});
  const std::size_t at = bytes.size();
  append_frame(removal.record, bytes);
  append_snapshot_trailer({3, 1, crc32c(std::string_view(bytes).substr(at))}, bytes);
  write_file(writer.path(), bytes);
  const auto loaded = load(writer.path());
  EXPECT_EQ(loaded.report.outcome, SnapshotOutcome::damaged);
  EXPECT_EQ(loaded.report.error.offset, at);
  EXPECT_TRUE(loaded.records.empty());

  std::string trailer;
  append_snapshot_trailer({3, 0, 0}, trailer);
  const Frame frame = read_frame(trailer, max_body_size({}));
  ASSERT_EQ(frame.status, FrameStatus::ok);
  EXPECT_EQ(decode_record(frame.body).error, RecordError::bad_kind);
}

// Lengths are checked against the limits and the file before anything is read for them.
TEST(SnapshotTest, LengthsAndValuesOverTheLimitsAreDamage) {
  TempDir dir;
  const std::vector<OwnedRecord> values = small_values();
  const std::string path = write_snapshot(dir.path(), 77, values);
  const std::string whole = read_file(path);
  for (const uint32_t length : {0x7ffffff0u, 0x30000000u, 0u}) {
    std::string bad = whole;
    for (int i = 0; i < 4; ++i) {
      bad[kSnapshotHeaderSize + i] = static_cast<char>(length >> (8 * i));
    }
    write_file(path, bad);
    const auto loaded = load(path);
    EXPECT_EQ(loaded.report.outcome, SnapshotOutcome::damaged) << length;
    EXPECT_EQ(loaded.report.error.offset, kSnapshotHeaderSize) << length;
  }
  write_file(path, whole);
  RecordLimits tight;
  tight.max_value = 20;
  const auto loaded = load(path, kSnapshotReadBuffer, tight);
  EXPECT_EQ(loaded.report.outcome, SnapshotOutcome::damaged);
  EXPECT_EQ(loaded.records.size(), 5u);  // values 0..20 bytes long, then one of 25
}

TEST(SnapshotTest, HeaderRevisionMustBeTheNames) {
  TempDir dir;
  const std::string path = write_snapshot(dir.path(), 5, small_values());
  const std::string renamed = dir.file(snapshot_name(6));
  ASSERT_EQ(std::rename(path.c_str(), renamed.c_str()), 0);
  const auto loaded = load(renamed);
  EXPECT_EQ(loaded.report.outcome, SnapshotOutcome::damaged);
  EXPECT_EQ(loaded.report.error.offset, 0u);
  EXPECT_NE(loaded.report.log_line().find("file name"), std::string::npos);
  // A copy under another kind of name is read by its header alone.
  const std::string copy = dir.file("copy.bin");
  ASSERT_EQ(std::rename(renamed.c_str(), copy.c_str()), 0);
  EXPECT_EQ(load(copy).report.outcome, SnapshotOutcome::ok);
  EXPECT_EQ(load(dir.file("missing")).report.outcome, SnapshotOutcome::io_error);
}

}  // namespace
}  // namespace nestcache::persistence
