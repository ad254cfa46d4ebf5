// The writer under disk trouble: a directory it cannot write, a full disk (a real 2 MiB tmpfs
// when the tests run as root, an injected ENOSPC otherwise), and a failed fdatasync, after which
// it refuses everything.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "journal_test_support.h"
#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/journal_writer.h"
#include "nestcache/persistence/segment.h"

namespace nestcache::persistence {
namespace {

using testing::FaultyFileOps;
using testing::make_record;
using testing::scan;
using testing::TempDir;
using testing::write_file;

JournalOptions small_segments(const std::string& dir, FileOps* ops = nullptr) {
  JournalOptions options;
  options.dir = dir;
  options.segment_size = 64 * 1024;
  options.file_ops = ops;
  return options;
}

TEST(JournalDiskTest, ReadOnlyDirectoryIsAClearError) {
  TempDir dir;
  std::string where;
  if (::geteuid() == 0) {
    // Root ignores permission bits: a read-only mount is what refuses it.
    if (!dir.mount_tmpfs("ro", 1 << 20, true)) {
      GTEST_SKIP() << "root ignores permission bits and this root may not mount a read-only "
                      "tmpfs: "
                   << std::strerror(errno);
    }
    where = dir.file("ro");
  } else {
    where = dir.file("ro");
    std::filesystem::create_directory(where);
    ::chmod(where.c_str(), 0555);
  }
  JournalWriter writer(small_segments(where));
  const JournalError e = writer.open({});
  EXPECT_EQ(e.kind, JournalErrorKind::io);
  EXPECT_TRUE(e.sys_errno == EROFS || e.sys_errno == EACCES) << e.sys_errno;
  EXPECT_NE(e.message().find(where), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("cannot create a segment"), std::string::npos) << e.message();
  EXPECT_FALSE(writer.failed());
}

// A real full disk: a 2 MiB tmpfs filled by the journal. reserve() sees it when a segment is
// cut, nothing already written is lost, the writer does not fail, and writes come back when
// space does.
TEST(JournalDiskTest, FullDiskIsSeenWhenASegmentIsCut) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "a small tmpfs needs root to mount (uid " << ::geteuid()
                 << "); the injected ENOSPC test covers the logic";
  }
  TempDir dir;
  if (!dir.mount_tmpfs("small", 2 << 20, false)) {
    GTEST_SKIP() << "root, but mounting a 2 MiB tmpfs failed (" << std::strerror(errno)
                 << "); the injected ENOSPC test covers the logic";
  }
  const std::string where = dir.file("small");
  JournalOptions options = small_segments(where);
  options.segment_size = 512 * 1024;
  JournalWriter writer(options);
  ASSERT_TRUE(writer.open({}).ok());
  uint64_t appended = 0;
  JournalError e;
  for (; appended < 100000; ++appended) {
    const testing::OwnedRecord owned = make_record(appended);  // owns what the views point at
    const Record& r = owned.record;
    e = writer.reserve(framed_size(r));
    if (!e.ok()) break;
    ASSERT_TRUE(writer.append(r).ok());
    if (appended % 100 == 99) {
      ASSERT_TRUE(writer.commit().ok());
    }
  }
  EXPECT_EQ(e.kind, JournalErrorKind::no_space) << e.message();
  EXPECT_EQ(e.sys_errno, ENOSPC);
  EXPECT_FALSE(writer.failed());
  ASSERT_TRUE(writer.commit().ok());
  EXPECT_GE(writer.stats().segments, 3u);
  // No temp file left behind by the failed cut.
  for (const auto& entry : std::filesystem::directory_iterator(where)) {
    EXPECT_TRUE(parse_segment_name(entry.path().filename().string()).has_value()) << entry.path();
  }
  // Everything appended before the refusal is there.
  auto s = scan(where);
  EXPECT_EQ(s.report.outcome, ScanOutcome::clean) << s.report.log_line();
  EXPECT_EQ(s.records.size(), appended);
  // Space comes back (a snapshot let old segments go): writes go on by themselves.
  ASSERT_TRUE(writer.drop_segments_before(writer.last_revision()).ok());
  const testing::OwnedRecord owned_next = make_record(appended);
  const Record& next = owned_next.record;
  EXPECT_TRUE(writer.reserve(framed_size(next)).ok());
  EXPECT_TRUE(writer.append(next).ok());
  EXPECT_TRUE(writer.commit().ok());
}

TEST(JournalDiskTest, InjectedNoSpaceIsRetryable) {
  TempDir dir;
  FaultyFileOps ops;
  JournalWriter writer(small_segments(dir.path(), &ops));
  ASSERT_TRUE(writer.open({}).ok());
  uint64_t i = 0;
  // Fill the first segment, then refuse the next one's preallocation.
  while (writer.stats().segments_cut == 1 && i < 10000) {
    ASSERT_TRUE(writer.append(make_record(i++).record).ok());
    if (i % 50 == 0) {
      ASSERT_TRUE(writer.write().ok());
    }
    const testing::OwnedRecord owned_next = make_record(i);
    const Record& next = owned_next.record;
    if (writer.stats().segments_cut == 1 && i > 100) {
      ops.fallocate_errno = ENOSPC;
      const JournalError e = writer.reserve(framed_size(next));
      ops.fallocate_errno = 0;
      if (!e.ok()) {
        EXPECT_EQ(e.kind, JournalErrorKind::no_space);
        EXPECT_FALSE(writer.failed());
        EXPECT_TRUE(writer.reserve(framed_size(next)).ok());  // space came back
        break;
      }
    }
  }
  EXPECT_EQ(writer.stats().segments_cut, 2u);
  // A write refused for space keeps its batch and writes it later.
  ASSERT_TRUE(writer.append(make_record(i++).record).ok());
  ops.pwrite_errno = ENOSPC;
  EXPECT_EQ(writer.write().kind, JournalErrorKind::no_space);
  EXPECT_GT(writer.pending_bytes(), 0u);
  ops.pwrite_errno = 0;
  EXPECT_TRUE(writer.commit().ok());
  EXPECT_EQ(scan(dir.path()).records.size(), i);
}

// PostgreSQL's fsync lesson: after a failed fdatasync nothing is ever acknowledged again.
TEST(JournalDiskTest, FailedSyncIsStickyAndFatal) {
  TempDir dir;
  FaultyFileOps ops;
  JournalWriter writer(small_segments(dir.path(), &ops));
  ASSERT_TRUE(writer.open({}).ok());
  ASSERT_TRUE(writer.append(make_record(0).record).ok());
  ASSERT_TRUE(writer.commit().ok());
  ASSERT_TRUE(writer.append(make_record(1).record).ok());
  ops.fdatasync_errno = EIO;
  const JournalError e = writer.commit();
  EXPECT_EQ(e.kind, JournalErrorKind::failed);
  EXPECT_EQ(e.sys_errno, EIO);
  EXPECT_NE(e.message().find("fdatasync failed"), std::string::npos) << e.message();
  EXPECT_TRUE(writer.failed());
  ops.fdatasync_errno = 0;  // the disk "recovers": the writer must not believe it
  EXPECT_EQ(writer.sync().kind, JournalErrorKind::failed);
  EXPECT_EQ(writer.append(make_record(2).record).kind, JournalErrorKind::failed);
  EXPECT_EQ(writer.write().kind, JournalErrorKind::failed);
  EXPECT_EQ(writer.reserve(100).kind, JournalErrorKind::failed);
  EXPECT_EQ(writer.commit().kind, JournalErrorKind::failed);
}

TEST(JournalDiskTest, FailedWriteIsStickyToo) {
  TempDir dir;
  FaultyFileOps ops;
  JournalWriter writer(small_segments(dir.path(), &ops));
  ASSERT_TRUE(writer.open({}).ok());
  ASSERT_TRUE(writer.append(make_record(0).record).ok());
  ops.pwrite_errno = EIO;
  EXPECT_EQ(writer.write().kind, JournalErrorKind::failed);
  ops.pwrite_errno = 0;
  EXPECT_EQ(writer.write().kind, JournalErrorKind::failed);
}

TEST(JournalWriterTest, OversizedRecordsAreRefusedAndLargeOnesGetTheirOwnSegment) {
  TempDir dir;
  JournalOptions options = small_segments(dir.path());
  options.limits.max_value = 256 * 1024;
  JournalWriter writer(options);
  ASSERT_TRUE(writer.open({}).ok());
  testing::OwnedRecord big = make_record(0);
  big.data = std::string(200 * 1024, 'b');  // over the 64 KiB segment size
  big.rebind();
  EXPECT_TRUE(writer.append(big.record).ok());  // the empty first segment grows
  big.record.revision = 2;
  EXPECT_TRUE(writer.append(big.record).ok());  // a segment of its own
  big.data = std::string(300 * 1024, 'b');
  big.rebind();
  big.record.revision = 3;
  EXPECT_EQ(writer.append(big.record).kind, JournalErrorKind::bad_record);
  ASSERT_TRUE(writer.commit().ok());
  EXPECT_EQ(writer.stats().segments, 2u);
  ScanOptions scan_options;
  scan_options.dir = dir.path();
  scan_options.limits = options.limits;
  std::size_t n = 0;
  const ScanReport report = scan_journal(scan_options, [&](const Record& r) {
    EXPECT_EQ(r.data.size(), 200u * 1024);
    ++n;
  });
  EXPECT_EQ(report.outcome, ScanOutcome::clean) << report.log_line();
  EXPECT_EQ(n, 2u);
}

TEST(JournalWriterTest, DropsSegmentsASnapshotCovers) {
  TempDir dir;
  JournalWriter writer(small_segments(dir.path()));
  ASSERT_TRUE(writer.open({}).ok());
  for (uint64_t i = 0; i < 3000; ++i) ASSERT_TRUE(writer.append(make_record(i).record).ok());
  ASSERT_TRUE(writer.commit().ok());
  const uint64_t segments = writer.stats().segments;
  ASSERT_GE(segments, 3u);
  ASSERT_TRUE(writer.drop_segments_before(1500).ok());
  const auto s = scan(dir.path());
  EXPECT_EQ(s.report.outcome, ScanOutcome::clean) << s.report.log_line();
  ASSERT_FALSE(s.records.empty());
  EXPECT_LE(s.records.front().record.revision, 1500u);  // nothing at or after 1500 dropped
  EXPECT_GT(s.report.start_revision, 0u);
  EXPECT_EQ(s.records.back().record.revision, 3000u);
  EXPECT_LT(writer.stats().segments, segments);
  // The segment being written is never dropped.
  ASSERT_TRUE(writer.drop_segments_before(UINT64_MAX).ok());
  EXPECT_EQ(writer.stats().segments, 1u);
  EXPECT_EQ(scan(dir.path()).report.outcome, ScanOutcome::clean);
}

// everysec: sync() from a timer thread while the owner appends and writes, across cuts.
TEST(JournalWriterTest, SyncFromAnotherThread) {
  TempDir dir;
  JournalWriter writer(small_segments(dir.path()));
  ASSERT_TRUE(writer.open({}).ok());
  std::atomic<bool> done{false};
  std::thread syncer([&] {
    while (!done.load()) EXPECT_TRUE(writer.sync().ok());
  });
  for (uint64_t i = 0; i < 2000; ++i) {
    ASSERT_TRUE(writer.append(make_record(i).record).ok());
    if (i % 10 == 9) {
      ASSERT_TRUE(writer.write().ok());
    }
  }
  ASSERT_TRUE(writer.write().ok());
  done = true;
  syncer.join();
  EXPECT_EQ(scan(dir.path()).records.size(), 2000u);
}

TEST(JournalWriterTest, OpensOnlyWhereAScanEnded) {
  TempDir dir;
  {
    JournalWriter writer(small_segments(dir.path()));
    ASSERT_TRUE(writer.open({}).ok());
  }
  JournalWriter again(small_segments(dir.path()));
  EXPECT_EQ(again.open({}).kind, JournalErrorKind::io);
  // Nor anywhere but in the last segment.
  {
    JournalWriter writer(small_segments(dir.path()));
    ASSERT_TRUE(writer.open(scan(dir.path()).report.end).ok());
    for (uint64_t i = 0; i < 3000; ++i) ASSERT_TRUE(writer.append(make_record(i).record).ok());
    ASSERT_TRUE(writer.commit().ok());
    ASSERT_GE(writer.stats().segments, 2u);
  }
  JournalWriter middle(small_segments(dir.path()));
  const JournalError e = middle.open({segment_name(1), kSegmentHeaderSize, 0});
  EXPECT_EQ(e.kind, JournalErrorKind::io);
  EXPECT_NE(e.message().find("not the journal's last segment"), std::string::npos);
  EXPECT_EQ(scan(dir.path()).records.size(), 3000u);
}

}  // namespace
}  // namespace nestcache::persistence

namespace nestcache::persistence {
namespace {

// Two workers may append changes out of revision order; a late record with a revision below its
// segment's name must not make the next cut reuse that name (and replace the segment).
TEST(JournalWriterTest, OutOfOrderRevisionsAcrossACut) {
  testing::TempDir dir;
  JournalOptions options;
  options.dir = dir.path();
  options.segment_size = 4096;
  JournalWriter writer(options);
  ASSERT_TRUE(writer.open({}).ok());
  uint64_t appended = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    // A segment per record, every other pair swapped: revisions 2, 1, 4, 3, ... The segment cut
    // for revision 1 is named 3; the one after it must not be named 3 again.
    testing::OwnedRecord o;
    o.segments = {"k" + std::to_string(i)};
    o.data = std::string(3000, 'v');
    o.rebind();
    o.record.revision = i % 2 == 0 ? i + 2 : i;
    ASSERT_TRUE(writer.append(o.record).ok()) << i;
    ++appended;
  }
  ASSERT_TRUE(writer.commit().ok());
  ASSERT_GE(writer.stats().segments, 3u);
  const auto s = testing::scan(dir.path());
  EXPECT_EQ(s.report.outcome, ScanOutcome::clean) << s.report.log_line();
  EXPECT_EQ(s.records.size(), appended);
  EXPECT_EQ(s.report.end.last_revision, writer.last_revision());
}

}  // namespace
}  // namespace nestcache::persistence

namespace nestcache::persistence {
namespace {

// The group commit's way (durability.cc): appends and take_batch under one lock, write_batch
// outside it, one batch at a time; small segments, so cuts (which wait for the batch in flight)
// happen while batches are written.
TEST(JournalWriterTest, BatchesWrittenOutsideTheAppendLockKeepEveryRecordInOrder) {
  TempDir dir;
  JournalWriter writer(small_segments(dir.path()));
  ASSERT_TRUE(writer.open({}).ok());
  std::mutex append_mu;  // Durability::mu_
  std::mutex io_mu;      // Durability::io_mu_
  constexpr uint64_t kRecords = 5000;
  std::atomic<bool> done{false};
  std::thread committer([&] {
    JournalWriter::Batch batch;
    while (!done.load()) {
      std::lock_guard io(io_mu);
      {
        std::lock_guard lock(append_mu);
        ASSERT_TRUE(writer.take_batch(batch).ok());
      }
      ASSERT_TRUE(writer.write_batch(batch).ok());
      EXPECT_TRUE(batch.empty());
    }
  });
  for (uint64_t i = 0; i < kRecords; ++i) {
    std::lock_guard lock(append_mu);
    ASSERT_TRUE(writer.append(make_record(i).record).ok());
  }
  done = true;
  committer.join();
  ASSERT_TRUE(writer.write().ok());
  EXPECT_GT(writer.stats().segments_cut, 3u);
  const auto found = scan(dir.path()).records;
  ASSERT_EQ(found.size(), kRecords);
  for (uint64_t i = 0; i < kRecords; ++i) EXPECT_EQ(found[i].record.revision, i + 1);
}

// A batch cannot be handed back (records after it may be buffered): any failed write, a full
// disk's included, fails the writer, and the server stops.
TEST(JournalWriterTest, AFailedBatchWriteFailsTheWriter) {
  TempDir dir;
  FaultyFileOps ops;
  JournalWriter writer(small_segments(dir.path(), &ops));
  ASSERT_TRUE(writer.open({}).ok());
  ASSERT_TRUE(writer.append(make_record(0).record).ok());
  JournalWriter::Batch batch;
  ASSERT_TRUE(writer.take_batch(batch).ok());
  EXPECT_FALSE(batch.empty());
  ops.pwrite_errno = ENOSPC;
  EXPECT_EQ(writer.write_batch(batch).kind, JournalErrorKind::failed);
  ops.pwrite_errno = 0;
  EXPECT_TRUE(writer.failed());
  EXPECT_EQ(writer.append(make_record(1).record).kind, JournalErrorKind::failed);
}

}  // namespace
}  // namespace nestcache::persistence
