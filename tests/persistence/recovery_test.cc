// The recovery scan over real files: clean journals, torn tails at every byte, damage before
// the tail, missing and bad segments, foreign files, and the cut on purpose.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "journal_test_support.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/journal_reader.h"
#include "nestcache/persistence/journal_writer.h"
#include "nestcache/persistence/segment.h"

namespace nestcache::persistence {
namespace {

using testing::make_record;
using testing::read_file;
using testing::scan;
using testing::TempDir;
using testing::write_file;

// Writes records [from, to) to the journal in `dir` after a scan, and commits.
void append_records(const std::string& dir, uint64_t from, uint64_t to,
                    uint64_t segment_size = 64 * 1024) {
  const auto scanned = scan(dir);
  ASSERT_TRUE(scanned.report.outcome == ScanOutcome::clean ||
              scanned.report.outcome == ScanOutcome::torn_tail ||
              scanned.report.outcome == ScanOutcome::cut)
      << scanned.report.log_line();
  JournalOptions options;
  options.dir = dir;
  options.segment_size = segment_size;
  JournalWriter writer(options);
  ASSERT_TRUE(writer.open(scanned.report.end).ok());
  for (uint64_t i = from; i < to; ++i) {
    ASSERT_TRUE(writer.append(make_record(i).record).ok()) << i;
    if (i % 5 == 4) {
      ASSERT_TRUE(writer.write().ok());
    }
  }
  ASSERT_TRUE(writer.commit().ok());
}

void expect_records(const testing::Scanned& s, uint64_t count) {
  ASSERT_EQ(s.records.size(), count);
  for (uint64_t i = 0; i < count; ++i) EXPECT_EQ(s.records[i].record, make_record(i).record) << i;
}

// Frame start offsets of the records in a segment file, read back by decoding it.
std::vector<std::size_t> frame_starts(const std::string& bytes) {
  std::vector<std::size_t> starts;
  std::size_t at = kSegmentHeaderSize;
  for (;;) {
    const Frame f = read_frame(std::string_view(bytes).substr(at), max_body_size({}));
    if (f.status != FrameStatus::ok) break;
    starts.push_back(at);
    at += f.size;
  }
  starts.push_back(at);  // the end
  return starts;
}

TEST(JournalRecoveryTest, MissingDirectoryIsAnEmptyJournal) {
  TempDir dir;
  const auto s = scan(dir.file("none"));
  EXPECT_EQ(s.report.outcome, ScanOutcome::clean);
  EXPECT_EQ(s.report.records, 0u);
  EXPECT_TRUE(s.report.end.segment.empty());
}

TEST(JournalRecoveryTest, RoundTripAcrossRotationsAndRestarts) {
  TempDir dir;
  append_records(dir.path(), 0, 300, 4096);
  append_records(dir.path(), 300, 450, 4096);  // a restart continues the last segment
  const auto s = scan(dir.path());
  EXPECT_EQ(s.report.outcome, ScanOutcome::clean) << s.report.log_line();
  EXPECT_GT(s.report.segments, 5u);
  EXPECT_EQ(s.report.end.last_revision, 450u);
  expect_records(s, 450);
}

// The heart of it: the file cut at every byte offset of its last records, the rest zeros (a
// preallocated segment), garbage (a torn write of other bytes) or gone (the file truncated
// there). Recovery keeps exactly the whole records before the cut, zeroes the rest, and a
// writer then continues cleanly.
TEST(JournalRecoveryTest, TornTailAtEveryByteOffset) {
  TempDir base;
  append_records(base.path(), 0, 30);
  const std::string name = segment_name(1);
  const std::string whole = read_file(base.file(name));
  const std::vector<std::size_t> starts = frame_starts(whole);
  ASSERT_EQ(starts.size(), 31u);
  std::mt19937 rng(7);
  for (std::size_t cut = starts[26]; cut <= starts[30]; ++cut) {
    for (int fill = 0; fill < 3; ++fill) {
      static const char* const kFills[] = {" zeros", " garbage", " truncated"};
      SCOPED_TRACE("cut at " + std::to_string(cut) + kFills[fill]);
      TempDir dir;
      std::string bytes = whole.substr(0, cut);
      std::string tail(fill == 2 ? 0 : whole.size() - cut, '\0');
      if (fill == 1) {
        for (std::size_t i = 0; i < std::min<std::size_t>(tail.size(), 300); ++i) {
          tail[i] = static_cast<char>(rng() | 1);
        }
      }
      bytes += tail;
      // A record survives when its header and body are intact (a cut into trailing zero bytes
      // of a body changes nothing); padding is not checked.
      uint64_t expected = 0;
      while (expected < 30) {
        const std::size_t from = starts[expected];
        const std::size_t n = 8 + encoded_size(make_record(expected).record);
        if (from + n > bytes.size() || bytes.compare(from, n, whole, from, n) != 0) break;
        ++expected;
      }
      const bool clean = starts[expected] >= bytes.size() ||
                         bytes.find_first_not_of('\0', starts[expected]) == std::string::npos;
      write_file(dir.file(name), bytes);
      const auto s = scan(dir.path());
      if (clean) {
        EXPECT_EQ(s.report.outcome, ScanOutcome::clean) << s.report.log_line();
      } else {
        EXPECT_EQ(s.report.outcome, ScanOutcome::torn_tail) << s.report.log_line();
        EXPECT_TRUE(s.report.tail_repaired);
        EXPECT_NE(s.report.log_line().find("torn tail"), std::string::npos);
      }
      expect_records(s, expected);
      // After the repair the journal is clean, and appending continues after the kept records.
      if (cut % 5 == 0) {
        append_records(dir.path(), expected, expected + 3);
        const auto again = scan(dir.path());
        EXPECT_EQ(again.report.outcome, ScanOutcome::clean) << again.report.log_line();
        expect_records(again, expected + 3);
      } else {
        EXPECT_EQ(scan(dir.path()).report.outcome, ScanOutcome::clean);
      }
    }
  }
}

TEST(JournalRecoveryTest, TornTailIsKeptWhenRepairIsOff) {
  TempDir dir;
  append_records(dir.path(), 0, 10);
  const std::string path = dir.file(segment_name(1));
  std::string bytes = read_file(path);
  const auto starts = frame_starts(bytes);
  bytes[starts[9] + 10] ^= 0x55;
  write_file(path, bytes);
  EXPECT_EQ(scan(dir.path(), false, false).report.outcome, ScanOutcome::torn_tail);
  EXPECT_EQ(read_file(path), bytes);  // nothing changed on disk
}

// A flipped byte in a record with valid records after it: damage, naming file and offset.
TEST(JournalRecoveryTest, FlippedByteMidSegmentIsDamage) {
  TempDir base;
  append_records(base.path(), 0, 20);
  const std::string name = segment_name(1);
  const std::string whole = read_file(base.file(name));
  const auto starts = frame_starts(whole);
  for (std::size_t victim : {0u, 5u, 18u}) {
    for (std::size_t within :
         {std::size_t{0}, std::size_t{3}, std::size_t{4}, std::size_t{8}, std::size_t{12}}) {
      SCOPED_TRACE(std::to_string(victim) + "+" + std::to_string(within));
      TempDir dir;
      std::string bytes = whole;
      bytes[starts[victim] + within] ^= 0x20;
      write_file(dir.file(name), bytes);
      const auto s = scan(dir.path());
      EXPECT_EQ(s.report.outcome, ScanOutcome::damaged);
      EXPECT_EQ(s.report.error.kind, JournalErrorKind::damaged);
      EXPECT_EQ(s.report.error.file, dir.file(name));
      EXPECT_EQ(s.report.error.offset, starts[victim]);
      const std::string line = s.report.log_line();
      EXPECT_NE(line.find(dir.file(name) + " offset " + std::to_string(starts[victim])),
                std::string::npos)
          << line;
      expect_records(s, victim);
    }
  }
}

TEST(JournalRecoveryTest, TruncateCorruptJournalCutsThereOnPurpose) {
  TempDir dir;
  append_records(dir.path(), 0, 200, 4096);
  auto before = scan(dir.path());
  ASSERT_GE(before.report.segments, 3u);
  // Damage the second segment's third record.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  const std::string path = dir.file(names[1]);
  std::string bytes = read_file(path);
  const auto starts = frame_starts(bytes);
  bytes[starts[2] + 9] ^= 1;
  write_file(path, bytes);
  const uint64_t kept = *parse_segment_name(names[1]) - 1 + 2;

  const auto refused = scan(dir.path());
  EXPECT_EQ(refused.report.outcome, ScanOutcome::damaged);
  EXPECT_EQ(refused.report.error.offset, starts[2]);

  const auto cut = scan(dir.path(), true);
  EXPECT_EQ(cut.report.outcome, ScanOutcome::cut) << cut.report.log_line();
  EXPECT_EQ(cut.report.error.offset, starts[2]);
  expect_records(cut, kept);
  EXPECT_EQ(cut.report.dropped.size(), names.size() - 1);  // the copy and the later segments
  EXPECT_TRUE(std::filesystem::exists(path + ".dropped"));
  // Revisions the dropped segments held are not handed out again.
  EXPECT_GE(cut.report.end.last_revision, *parse_segment_name(names.back()) - 1);

  const auto after = scan(dir.path());
  EXPECT_EQ(after.report.outcome, ScanOutcome::clean) << after.report.log_line();
  expect_records(after, kept);
  EXPECT_EQ(after.report.ignored.size(), names.size() - 1);
}

TEST(JournalRecoveryTest, MissingMiddleSegmentIsNamed) {
  TempDir dir;
  append_records(dir.path(), 0, 200, 4096);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 3u);
  std::filesystem::remove(dir.file(names[1]));
  const auto s = scan(dir.path());
  EXPECT_EQ(s.report.outcome, ScanOutcome::damaged);
  EXPECT_EQ(s.report.error.kind, JournalErrorKind::missing_segment);
  EXPECT_EQ(s.report.error.file, dir.file(names[2]));
  EXPECT_EQ(s.report.error.offset, 0u);
  expect_records(s, *parse_segment_name(names[1]) - 1);  // the first segment only

  const auto cut = scan(dir.path(), true);
  EXPECT_EQ(cut.report.outcome, ScanOutcome::cut);
  EXPECT_EQ(cut.report.end.segment, names[0]);
  append_records(dir.path(), 1000, 1001, 4096);
  EXPECT_EQ(scan(dir.path()).report.outcome, ScanOutcome::clean);
}

TEST(JournalRecoveryTest, BadHeaderAndEmptySegmentFileAreRefused) {
  TempDir dir;
  append_records(dir.path(), 0, 100, 4096);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename());
  }
  std::sort(names.begin(), names.end());
  const std::string path = dir.file(names[1]);
  const std::string good = read_file(path);
  std::string bad = good;
  bad[0] = 'X';
  write_file(path, bad);
  auto s = scan(dir.path());
  EXPECT_EQ(s.report.outcome, ScanOutcome::damaged);
  EXPECT_EQ(s.report.error.kind, JournalErrorKind::bad_header);
  EXPECT_EQ(s.report.error.file, path);
  EXPECT_NE(s.report.log_line().find("bad magic"), std::string::npos) << s.report.log_line();

  write_file(path, "");
  s = scan(dir.path());
  EXPECT_EQ(s.report.error.kind, JournalErrorKind::bad_header);
  EXPECT_NE(s.report.log_line().find("missing or cut short"), std::string::npos);

  // A header valid in itself but for another revision than the name says.
  write_file(path, encode_segment_header({kFormatVersion, 2, 1}) + good.substr(40));
  s = scan(dir.path());
  EXPECT_EQ(s.report.error.kind, JournalErrorKind::bad_header);
}

TEST(JournalRecoveryTest, ForeignAndEmptyFilesAreIgnored) {
  TempDir dir;
  append_records(dir.path(), 0, 10);
  write_file(dir.file("README"), "notes");
  write_file(dir.file("empty"), "");
  write_file(dir.file("journal-zz.seg"), "not a segment name");
  write_file(dir.file(segment_name(99) + ".tmp"), "left by a crash during a cut");
  std::filesystem::create_directory(dir.file("snapshots"));
  const auto s = scan(dir.path());
  EXPECT_EQ(s.report.outcome, ScanOutcome::clean) << s.report.log_line();
  expect_records(s, 10);
  EXPECT_EQ(s.report.ignored.size(), 5u);
  // The writer removes the temp file of an interrupted cut, and nothing else.
  append_records(dir.path(), 10, 11);
  EXPECT_FALSE(std::filesystem::exists(dir.file(segment_name(99) + ".tmp")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("README")));
  expect_records(scan(dir.path()), 11);
}

}  // namespace
}  // namespace nestcache::persistence
