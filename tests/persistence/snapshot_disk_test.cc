// Snapshot files under disk trouble and in a shared directory: a full disk or a failed sync at
// any step leaves no snapshot and says so, a crash's temp file is removed and never read, and
// the listing orders snapshots and ignores every other name.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "journal_test_support.h"
#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/journal_reader.h"
#include "nestcache/persistence/journal_writer.h"
#include "nestcache/persistence/snapshot.h"
#include "snapshot_test_support.h"

namespace nestcache::persistence {
namespace {

using testing::load;
using testing::OwnedRecord;
using testing::store;
using testing::TempDir;
using testing::write_file;
using testing::write_snapshot;

// The real calls, failing when the test says so; pwrite writes at most `max_write` bytes.
class FaultyFileOps final : public FileOps {
 public:
  std::atomic<int> pwrite_errno{0};
  std::atomic<int> fdatasync_errno{0};
  std::atomic<int> fsync_errno{0};
  std::size_t max_write = SIZE_MAX;
  int pwrites = 0;

  ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
    ++pwrites;
    if (const int e = pwrite_errno.load()) {
      errno = e;
      return -1;
    }
    return system_file_ops().pwrite(fd, data, std::min(size, max_write), offset);
  }
  int fdatasync(int fd) override {
    if (const int e = fdatasync_errno.load()) {
      errno = e;
      return -1;
    }
    return system_file_ops().fdatasync(fd);
  }
  int fsync(int fd) override {
    if (const int e = fsync_errno.load()) {
      errno = e;
      return -1;
    }
    return system_file_ops().fsync(fd);
  }
  int fallocate(int fd, off_t offset, off_t length) override {
    return system_file_ops().fallocate(fd, offset, length);
  }
};

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

OwnedRecord value(uint64_t i) {
  return store(i + 1, {"ns", "k" + std::to_string(i)}, std::string(100, 'x'));
}

// A full disk while the buffer is written during add(): no_space naming the temp file, no file
// left, every later call refused; a new snapshot works once space is back.
TEST(SnapshotDiskTest, NoSpaceDuringAddLeavesNoFile) {
  TempDir dir;
  FaultyFileOps ops;
  SnapshotWriterOptions options;
  options.chunk_size = 4096;
  options.file_ops = &ops;
  SnapshotWriter writer(options);
  ASSERT_TRUE(writer.open(dir.path(), 50, 0).ok());
  ops.pwrite_errno = ENOSPC;
  JournalError e;
  uint64_t added = 0;
  for (; added < 1000 && e.ok(); ++added) e = writer.add(value(added).record);
  EXPECT_EQ(e.kind, JournalErrorKind::no_space) << e.message();
  EXPECT_EQ(e.sys_errno, ENOSPC);
  EXPECT_LT(added, 100u);  // seen at the first full chunk
  EXPECT_NE(e.message().find(writer.path() + ".tmp"), std::string::npos) << e.message();
  EXPECT_TRUE(names_in(dir.path()).empty());
  ops.pwrite_errno = 0;
  EXPECT_EQ(writer.add(value(0).record).kind, JournalErrorKind::failed);
  EXPECT_EQ(writer.finish().kind, JournalErrorKind::failed);
  EXPECT_TRUE(names_in(dir.path()).empty());

  ASSERT_TRUE(writer.open(dir.path(), 60, 0).ok());
  ASSERT_TRUE(writer.add(value(1).record).ok());
  ASSERT_TRUE(writer.finish().ok());
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{snapshot_name(60)});
}

// Each step of finish() failing in turn: the trailer's write, the fdatasync, the directory's
// fsync. Always no final file and no temp file; ENOSPC reads as no_space, EIO as io.
TEST(SnapshotDiskTest, FailureDuringFinishLeavesNoFile) {
  TempDir dir;
  struct Case {
    std::atomic<int> FaultyFileOps::*call;
    int err;
    JournalErrorKind kind;
  };
  const Case cases[] = {
      {&FaultyFileOps::pwrite_errno, ENOSPC, JournalErrorKind::no_space},
      {&FaultyFileOps::pwrite_errno, EIO, JournalErrorKind::io},
      {&FaultyFileOps::fdatasync_errno, ENOSPC, JournalErrorKind::no_space},
      {&FaultyFileOps::fdatasync_errno, EIO, JournalErrorKind::io},
      {&FaultyFileOps::fsync_errno, EIO, JournalErrorKind::io},
  };
  for (const Case& c : cases) {
    FaultyFileOps ops;
    SnapshotWriterOptions options;
    options.file_ops = &ops;
    SnapshotWriter writer(options);
    ASSERT_TRUE(writer.open(dir.path(), 70, 0).ok());
    for (uint64_t i = 0; i < 20; ++i) ASSERT_TRUE(writer.add(value(i).record).ok());
    EXPECT_EQ(ops.pwrites, 0);  // all of it still buffered
    (ops.*c.call) = c.err;
    const JournalError e = writer.finish();
    EXPECT_EQ(e.kind, c.kind) << e.message();
    EXPECT_EQ(e.sys_errno, c.err);
    EXPECT_TRUE(names_in(dir.path()).empty()) << e.message();
    EXPECT_EQ(writer.finish().kind, JournalErrorKind::failed);
  }
}

// Writes that take only part of the buffer are continued where they stopped.
TEST(SnapshotDiskTest, ShortWritesAreContinued) {
  TempDir dir;
  FaultyFileOps ops;
  ops.max_write = 1000;
  SnapshotWriterOptions options;
  options.file_ops = &ops;
  options.chunk_size = 8192;
  std::vector<OwnedRecord> values;
  for (uint64_t i = 0; i < 200; ++i) values.push_back(value(i));
  const std::string path = write_snapshot(dir.path(), 80, values, options);
  EXPECT_GT(ops.pwrites, 30);
  const auto loaded = load(path);
  EXPECT_EQ(loaded.report.outcome, SnapshotOutcome::ok) << loaded.report.log_line();
  EXPECT_EQ(loaded.records.size(), values.size());
}

TEST(SnapshotDiskTest, AbandonAndDestructorRemoveTheTempFile) {
  TempDir dir;
  SnapshotWriter writer;
  ASSERT_TRUE(writer.open(dir.path(), 90, 0).ok());
  ASSERT_TRUE(writer.add(value(0).record).ok());
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{snapshot_name(90) + ".tmp"});
  writer.abandon();
  EXPECT_TRUE(names_in(dir.path()).empty());
  EXPECT_EQ(writer.finish().kind, JournalErrorKind::io);  // not open
  {
    SnapshotWriter dropped;
    ASSERT_TRUE(dropped.open(dir.path(), 91, 0).ok());
    ASSERT_TRUE(dropped.add(value(0).record).ok());
  }
  EXPECT_TRUE(names_in(dir.path()).empty());
  {
    SnapshotWriter kept;
    ASSERT_TRUE(kept.open(dir.path(), 92, 0).ok());
    ASSERT_TRUE(kept.finish().ok());
  }
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{snapshot_name(92)});
}

// A crash mid-snapshot leaves "snapshot-R.snap.tmp", here a whole one at a newer revision than
// any other: never listed, and removed by the next open. Other temp files are not its business.
TEST(SnapshotDiskTest, TempFileLeftByACrashIsRemovedAndNeverRead) {
  TempDir dir;
  const std::string whole = write_snapshot(dir.path(), 200, {value(0)});
  const std::string tmp = dir.file(snapshot_name(200) + ".tmp");
  std::filesystem::rename(whole, tmp);
  write_snapshot(dir.path(), 100, {value(1)});
  write_file(dir.file("journal-0000000000000001.seg.tmp"), "x");
  const SnapshotList before = list_snapshots(dir.path());
  ASSERT_EQ(before.files.size(), 1u);
  EXPECT_EQ(before.files[0].revision, 100u);

  SnapshotWriter writer;
  ASSERT_TRUE(writer.open(dir.path(), 150, 0).ok());
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_TRUE(std::filesystem::exists(dir.file("journal-0000000000000001.seg.tmp")));
  ASSERT_TRUE(writer.finish().ok());
  const SnapshotList after = list_snapshots(dir.path());
  ASSERT_EQ(after.files.size(), 2u);
  EXPECT_EQ(after.files[0].name, snapshot_name(150));
}

// Newest first; names that are not exactly snapshot names are not snapshots.
TEST(SnapshotDirectoryTest, ListNewestFirstIgnoringForeignNames) {
  TempDir dir;
  for (const uint64_t r : {5, 0x300, 17}) write_snapshot(dir.path(), r, {value(r)});
  for (const char* foreign :
       {"snapshot-000000000000ABCD.snap", "snapshot-0000000000000005.snap.dropped",
        "snapshot-0000000000000009.snap.tmp", "snapshot-9.snap", "journal-0000000000000001.seg",
        "notes.txt"}) {
    write_file(dir.file(foreign), "not a snapshot");
  }
  const SnapshotList list = list_snapshots(dir.path());
  ASSERT_TRUE(list.error.ok()) << list.error.message();
  ASSERT_EQ(list.files.size(), 3u);
  EXPECT_EQ(list.files[0].revision, 0x300u);
  EXPECT_EQ(list.files[0].name, "snapshot-0000000000000300.snap");
  EXPECT_EQ(list.files[1].revision, 17u);
  EXPECT_EQ(list.files[2].revision, 5u);

  const SnapshotList none = list_snapshots(dir.file("missing"));
  EXPECT_TRUE(none.error.ok());
  EXPECT_TRUE(none.files.empty());
}

TEST(SnapshotDirectoryTest, RemoveBeforeKeepsTheNewest) {
  TempDir dir;
  for (const uint64_t r : {5, 17, 300}) write_snapshot(dir.path(), r, {value(r)});
  write_file(dir.file("notes.txt"), "kept");
  ASSERT_TRUE(remove_snapshots_before(dir.path(), 17).ok());
  EXPECT_EQ(names_in(dir.path()),
            (std::set<std::string>{snapshot_name(17), snapshot_name(300), "notes.txt"}));
  FaultyFileOps ops;
  ASSERT_TRUE(remove_snapshots_before(dir.path(), 1000, &ops).ok());
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{snapshot_name(300), "notes.txt"}));
  // Nothing to remove: no directory fsync either (it would fail here).
  ops.fsync_errno = EIO;
  EXPECT_TRUE(remove_snapshots_before(dir.path(), 1000, &ops).ok());
  write_snapshot(dir.path(), 400, {value(1)});
  EXPECT_EQ(remove_snapshots_before(dir.path(), 1000, &ops).kind, JournalErrorKind::io);
  EXPECT_EQ(list_snapshots(dir.path()).files.size(), 1u);
}

// Snapshots live in the journal's directory: the scan lists them as ignored names, and the
// journal's open leaves them alone.
TEST(SnapshotDirectoryTest, SnapshotsSitBesideTheJournal) {
  TempDir dir;
  JournalOptions options;
  options.dir = dir.path();
  options.segment_size = 64 * 1024;
  {
    JournalWriter journal(options);
    ASSERT_TRUE(journal.open({}).ok());
    ASSERT_TRUE(journal.append(value(0).record).ok());
    ASSERT_TRUE(journal.commit().ok());
  }
  write_snapshot(dir.path(), 1, {value(0)});
  const auto scanned = testing::scan(dir.path());
  EXPECT_EQ(scanned.report.outcome, ScanOutcome::clean) << scanned.report.log_line();
  EXPECT_EQ(scanned.records.size(), 1u);
  EXPECT_EQ(scanned.report.ignored, std::vector<std::string>{snapshot_name(1)});
  JournalWriter again(options);
  ASSERT_TRUE(again.open(scanned.report.end).ok());
  EXPECT_EQ(list_snapshots(dir.path()).files.size(), 1u);
}

}  // namespace
}  // namespace nestcache::persistence
