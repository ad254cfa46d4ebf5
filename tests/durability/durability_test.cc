// --data-dir in process: requests through the engine, the journal through Durability, and a
// restart as a second tree loading the same directory. What comes back is compared with what
// the first tree held: every value, flag, deadline and cas unique.
#include "nestcache/durability/durability.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"
#include "persistence/journal_test_support.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

using persistence::testing::FaultyFileOps;
using persistence::testing::read_file;
using persistence::testing::TempDir;
using persistence::testing::write_file;

// Every valued node as "path -> data flags exptime cas".
std::map<std::string, std::string> contents(Tree& tree) {
  std::map<std::string, std::string> out;
  tree.walk({}, [&](const Path& full, const ValueView& value) {
    std::ostringstream line;
    line << value.data << ' ' << value.flags << ' ' << value.exptime << ' ' << value.cas;
    out[joined(full)] = line.str();
  });
  return out;
}

// The names of the files in the data directory with this extension.
std::vector<std::string> files_ending(const std::string& dir, const std::string& extension) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == extension) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// One run of the server over a data directory: a tree behind an engine, journaled.
struct Server {
  // The harness only keeps the durability's address: it is made first and goes last, so the
  // journal is closed while its tree is still there.
  explicit Server(DurabilityOptions options, int64_t clock_offset = 0)
      : harness({}, &durability), durability(std::move(options)) {
    harness.clock().set(kStart + clock_offset);
    report = durability.open(harness.tree(), log);
  }
  // Requests, then the group commit their replies would wait for.
  std::string run(std::string_view requests) {
    std::string out = harness.run(requests);
    durability.commit_round();
    return out;
  }

  std::ostringstream log;
  Harness harness;
  Durability durability;
  RecoveryReport report;
};

class DurabilityTest : public ::testing::Test {
 protected:
  DurabilityOptions options(FsyncPolicy fsync = FsyncPolicy::always) const {
    DurabilityOptions o;
    o.dir = dir_.file("data");
    o.fsync = fsync;
    o.writers = 1;
    return o;
  }
  std::string o_dir() const { return dir_.file("data"); }
  // The only segment of the journal (these tests write less than one).
  std::string segment() const {
    for (const auto& entry : std::filesystem::directory_iterator(dir_.file("data"))) {
      if (entry.path().extension() == ".seg") return entry.path().string();
    }
    ADD_FAILURE() << "no segment";
    return {};
  }

  TempDir dir_;
};

TEST_F(DurabilityTest, ARestartBringsBackEveryAcknowledgedChange) {
  std::map<std::string, std::string> before;
  {
    Server first(options());
    ASSERT_TRUE(first.report.ok) << first.report.error;
    EXPECT_EQ(first.run("set config db host 5 0 8\r\n10.0.0.1\r\n"
                        "set config db port 0 3600 4\r\n5432\r\n"
                        "set config db 0 0 2\r\nDB\r\n"
                        "set config feature on 0 0 1\r\n1\r\n"
                        "append config db host 0 0 3\r\n:99\r\n"
                        "set counters hits 0 0 1\r\n7\r\n"
                        "incr counters hits 35\r\n"
                        "touch config db port 7200\r\n"
                        "set cache a 0 0 1\r\nx\r\n"
                        "set cache b 0 0 1\r\ny\r\n"
                        "delete cache\r\n"
                        "set gone x 0 0 1\r\nx\r\n"
                        "set gone x y 0 0 1\r\ny\r\n"
                        "delete gone x\r\n"),
              "STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nSTORED\r\n42\r\nTOUCHED\r\n"
              "STORED\r\nSTORED\r\nDELETED\r\nSTORED\r\nSTORED\r\nDELETED\r\n");
    before = contents(first.harness.tree());
    ASSERT_EQ(before.size(), 5u);
  }
  Server second(options());
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_EQ(contents(second.harness.tree()), before);
  EXPECT_GT(second.report.records, 0u);
}

TEST_F(DurabilityTest, UniquesGoOnAboveTheLastOneOnDisk) {
  uint64_t last = 0;
  {
    Server first(options());
    first.run("set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nset a 0 0 1\r\n3\r\n");
    last = first.harness.tree().last_cas();
  }
  Server second(options());
  EXPECT_EQ(second.report.revision, last);
  second.run("set c 0 0 1\r\n4\r\n");
  EXPECT_EQ(second.harness.tree().last_cas(), last + 1);
}

TEST_F(DurabilityTest, WhatExpiredWhileDownIsGone) {
  {
    Server first(options());
    first.run("set short 0 10 1\r\ns\r\nset long 0 1000 1\r\nl\r\nset forever 0 0 1\r\nf\r\n");
  }
  Server second(options(), 60);
  EXPECT_EQ(second.harness.run("getn short\r\ngetn long\r\ngetn forever\r\n"),
            "END\r\nVALUE long 0 1\r\nl\r\nEND\r\nVALUE forever 0 1\r\nf\r\nEND\r\n");
}

TEST_F(DurabilityTest, OnlyThePersistedNamespacesAreJournaled) {
  DurabilityOptions o = options();
  o.persist = {"config"};
  {
    Server first(o);
    first.run(
        "set config x 0 0 1\r\n1\r\nset cache y 0 0 1\r\n2\r\ndelete cache y\r\n"
        "set cache z 0 0 1\r\n3\r\n");
    EXPECT_EQ(first.harness.stats()["persist_records"], "1");
    EXPECT_EQ(first.harness.stats()["persist_namespaces"], "config");
  }
  Server second(o);
  EXPECT_EQ(second.harness.run("getn config x\r\ngetn cache z\r\n"),
            "VALUE config x 0 1\r\n1\r\nEND\r\nEND\r\n");
}

TEST_F(DurabilityTest, FlushesReplayInTheirPlace) {
  {
    Server first(options());
    first.run(
        "set a 0 0 1\r\n1\r\nflush_all\r\nset b 0 0 1\r\n2\r\n"
        "flush_all 30\r\nset c 0 0 1\r\n3\r\n");
  }
  {
    // Before the delayed flush is due: b and c are there, and it still comes at +30.
    Server second(options(), 10);
    EXPECT_EQ(second.harness.run("get a b c\r\n"),
              "VALUE b 0 1\r\n2\r\nVALUE c 0 1\r\n3\r\nEND\r\n");
    second.harness.clock().set(kStart + 31);
    EXPECT_EQ(second.harness.run("get a b c\r\n"), "END\r\n");
  }
  // Restarted after it was due (and applied): nothing comes back.
  Server third(options(), 40);
  EXPECT_EQ(third.harness.run("get a b c\r\n"), "END\r\n");
}

TEST_F(DurabilityTest, ADelayedFlushDueWhileDownStillTakesWhatCameBeforeIt) {
  {
    Server first(options());
    first.run("set a 0 0 1\r\n1\r\nflush_all 30\r\nset b 0 0 1\r\n2\r\n");
  }
  Server second(options(), 100);
  EXPECT_EQ(second.harness.run("get a b\r\n"), "END\r\n");
  second.run("set c 0 0 1\r\n3\r\n");
  EXPECT_EQ(second.harness.run("get c\r\n"), "VALUE c 0 1\r\n3\r\nEND\r\n");
}

TEST_F(DurabilityTest, CacheMemlimitIsJournaled) {
  {
    Server first(options());
    EXPECT_EQ(first.run("cache_memlimit 16\r\n"), "OK\r\n");
  }
  Server second(options());
  EXPECT_EQ(second.harness.tree().memory_limit(), uint64_t{16} << 20);
}

TEST_F(DurabilityTest, GroupCommitSyncsOncePerRoundAndNotWhenNothingChanged) {
  Server run(options(FsyncPolicy::always));
  const auto syncs = [&] { return std::stoull(run.harness.stats()["persist_fsyncs"]); };
  const uint64_t before = syncs();
  run.run("set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nset c 0 0 1\r\n3\r\n");
  EXPECT_EQ(syncs(), before + 1);
  run.durability.commit_round();
  run.run("get a\r\n");
  EXPECT_EQ(syncs(), before + 1);
  EXPECT_EQ(run.harness.stats()["persist_fsync"], "always");
}

TEST_F(DurabilityTest, EverysecWritesBeforeRepliesButDoesNotSync) {
  Server run(options(FsyncPolicy::everysec));
  run.run("set a 0 0 1\r\n1\r\n");
  EXPECT_EQ(run.harness.stats()["persist_fsyncs"], "0");
  EXPECT_NE(run.harness.stats()["persist_journal_bytes"], "0");  // in the kernel's hands
}

TEST_F(DurabilityTest, ATornTailIsCutWithOneLogLine) {
  {
    Server first(options());
    first.run("set a 0 0 1\r\n1\r\n");
    first.run("set b 0 0 1\r\n2\r\n");
  }
  // The last record half written: its last bytes (value and padding) never reached the disk.
  std::string bytes = read_file(segment());
  const std::size_t end = bytes.find_last_not_of('\0');
  bytes[end] = '\0';
  bytes[end - 2] = 'Z';
  write_file(segment(), bytes);
  Server second(options());
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_NE(second.log.str().find("torn tail"), std::string::npos) << second.log.str();
  EXPECT_EQ(second.harness.run("get a b\r\n"), "VALUE a 0 1\r\n1\r\nEND\r\n");
  second.run("set c 0 0 1\r\n3\r\n");  // appends after the cut tail, and reads back
  Server third(options());
  EXPECT_EQ(third.harness.run("get a b c\r\n"), "VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n3\r\nEND\r\n");
}

TEST_F(DurabilityTest, DamageBeforeTheTailRefusesToStartUnlessCutOnPurpose) {
  {
    Server first(options());
    first.run("set a 0 0 5\r\naaaaa\r\n");
    first.run("set b 0 0 5\r\nbbbbb\r\n");
  }
  std::string bytes = read_file(segment());
  const std::size_t first_value = bytes.find("aaaaa");
  ASSERT_NE(first_value, std::string::npos);
  bytes[first_value] = 'X';
  write_file(segment(), bytes);
  {
    Server refused(options());
    EXPECT_FALSE(refused.report.ok);
    EXPECT_NE(refused.report.error.find(segment()), std::string::npos) << refused.report.error;
    EXPECT_NE(refused.report.error.find("offset"), std::string::npos) << refused.report.error;
  }
  DurabilityOptions cut = options();
  cut.truncate_corrupt = true;
  Server second(cut);
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_EQ(second.harness.run("get a b\r\n"), "END\r\n");  // cut at the first record
}

TEST_F(DurabilityTest, AFullDiskRefusesWritesKeepsReadsAndComesBack) {
  if (!dir_.mount_tmpfs("small", 2 << 20, false)) GTEST_SKIP() << "mounting a tmpfs needs root";
  DurabilityOptions o = options();
  o.dir = dir_.file("small/data");
  o.segment_size = 256 << 10;
  o.max_record = 8 << 10;
  Server run(o);
  ASSERT_TRUE(run.report.ok) << run.report.error;
  // Fill the file system but for less than a segment.
  const std::string filler = dir_.file("small/filler");
  {
    std::ofstream out(filler);
    const std::string block(64 << 10, 'f');
    for (int i = 0; i < 27; ++i) out << block;
  }
  const std::string value(4000, 'v');
  int stored = 0;
  std::string reply;
  for (int i = 0; i < 200; ++i) {
    reply = run.run("set k" + std::to_string(i) + " 0 0 4000\r\n" + value + "\r\n");
    if (reply != "STORED\r\n") break;
    ++stored;
  }
  ASSERT_EQ(reply, "SERVER_ERROR out of disk space\r\n");
  ASSERT_GT(stored, 0);
  EXPECT_EQ(run.harness.stats()["persist_disk_full"], "1");
  EXPECT_EQ(run.harness.run("get k0\r\n"), "VALUE k0 0 4000\r\n" + value + "\r\nEND\r\n");
  EXPECT_EQ(run.run("delete k0\r\n"), "SERVER_ERROR out of disk space\r\n");
  std::filesystem::remove(filler);
  ::usleep(150 * 1000);  // the disk is asked again 100 ms after a refusal
  EXPECT_EQ(run.run("set after 0 0 1\r\na\r\n"), "STORED\r\n");
  EXPECT_EQ(run.harness.stats()["persist_disk_full"], "0");
  const auto before = contents(run.harness.tree());
  run.durability.close();
  Server again(o);
  EXPECT_EQ(contents(again.harness.tree()), before);
}

// -I 1024m: the room kept for writes in flight is bounded by the segment, not by the largest
// item, or every write would cut (and preallocate) a segment of gigabytes.
TEST_F(DurabilityTest, AHugeItemLimitDoesNotGrowSegmentsPerWrite) {
  DurabilityOptions o = options();
  o.writers = 4;
  o.max_record = std::size_t{1} << 30;
  o.segment_size = 1 << 20;
  Server run(o);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(run.run("set k" + std::to_string(i) + " 0 0 1\r\nx\r\n"), "STORED\r\n");
  }
  const auto segments = files_ending(o_dir(), ".seg");
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_LE(std::filesystem::file_size(o_dir() + "/" + segments[0]), std::uintmax_t{1} << 20);
}

TEST_F(DurabilityTest, AnUnwritableDirectoryIsRefusedNamingIt) {
  if (!dir_.mount_tmpfs("ro", 1 << 20, true)) GTEST_SKIP() << "mounting a tmpfs needs root";
  DurabilityOptions o = options();
  o.dir = dir_.file("ro/data");
  Server run(o);
  EXPECT_FALSE(run.report.ok);
  EXPECT_NE(run.report.error.find(dir_.file("ro")), std::string::npos) << run.report.error;
}

// A change the tree applied and the journal could not take (here a record over the journal's
// limits, which no command can make) stops the process at the next commit, before the round's
// replies: even when nothing else was appended since the last write.
TEST_F(DurabilityTest, AChangeTheJournalCannotTakeStopsTheProcessAtTheNextCommit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        Server run(options());
        run.run("set a 0 0 1\r\n1\r\n");
        const std::string long_name(300, 'n');
        const Path path{long_name};
        Change change;
        change.kind = ChangeKind::remove;
        change.path = &path;
        run.durability.on_change(change);
        run.durability.commit_round();
        std::_Exit(0);  // not reached: the commit stops the process (not close(), later)
      },
      ::testing::ExitedWithCode(74), "bad segment|segment");
}

TEST_F(DurabilityTest, AFailedFdatasyncStopsTheProcessBeforeAnyReply) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        FaultyFileOps ops;
        DurabilityOptions o = options(FsyncPolicy::always);
        o.file_ops = &ops;
        Server run(o);
        ops.fdatasync_errno = EIO;
        run.run("set a 0 0 1\r\n1\r\n");
      },
      ::testing::ExitedWithCode(74), "stopping, so that no change that is not on disk");
}

// ---- snapshots ----

TEST_F(DurabilityTest, ASnapshotReplacesTheJournalItCovers) {
  std::map<std::string, std::string> before;
  {
    Server first(options());
    for (int i = 0; i < 300; ++i) {
      first.run("set ns k" + std::to_string(i) + " " + std::to_string(i) + " 0 3\r\nabc\r\n");
    }
    first.run("delete ns k7\r\n");
    const auto segments_before = files_ending(o_dir(), ".seg");
    ASSERT_TRUE(first.durability.take_snapshot());
    EXPECT_EQ(files_ending(o_dir(), ".snap").size(), 1u);
    const auto segments_after = files_ending(o_dir(), ".seg");
    ASSERT_EQ(segments_after.size(), 1u);  // the old segment went; the cut one stays
    EXPECT_NE(segments_after, segments_before);
    first.run("set ns k1 0 0 3\r\nnew\r\ndelete ns k2\r\n");
    EXPECT_EQ(first.harness.stats()["persist_snapshots"], "1");
    before = contents(first.harness.tree());
  }
  Server second(options());
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_GT(second.report.snapshot_revision, 0u);
  EXPECT_EQ(contents(second.harness.tree()), before);
  second.run("set ns k9 0 0 1\r\nx\r\n");
  EXPECT_GT(second.harness.tree().last_cas(), second.report.revision);
}

// A fuzzy snapshot: the tree changes while it is walked; the journal after the cut makes the
// restart exact.
TEST_F(DurabilityTest, ChangesDuringTheWalkAreMadeExactByTheJournal) {
  std::map<std::string, std::string> before;
  {
    Server first(options(FsyncPolicy::no));
    Tree& tree = first.harness.tree();
    for (int i = 0; i < 20000; ++i) {
      set_value(tree, {"t" + std::to_string(i % 50), "k" + std::to_string(i)},
                "v" + std::to_string(i));
    }
    std::atomic<bool> done{false};
    std::thread writer([&] {
      for (int round = 0; !done.load() || round < 2000; ++round) {
        const std::string top = "t" + std::to_string(round % 50);
        set_value(tree, {top, "k" + std::to_string(round * 7 % 20000)},
                  "w" + std::to_string(round));
        (void)tree.remove({top, "k" + std::to_string(round * 13 % 20000)});
        if (round % 500 == 0) (void)tree.remove({"t" + std::to_string(round % 49)});
        first.durability.commit_round();
      }
    });
    EXPECT_TRUE(first.durability.take_snapshot());
    done = true;
    writer.join();
    before = contents(tree);
  }
  Server second(options(FsyncPolicy::no));
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_EQ(contents(second.harness.tree()), before);
}

TEST_F(DurabilityTest, ASnapshotKeepsTheBudgetAndAFlushStillToCome) {
  {
    Server first(options());
    first.run("cache_memlimit 16\r\nset a 0 0 1\r\n1\r\nflush_all 100\r\n");
    ASSERT_TRUE(first.durability.take_snapshot());
  }
  Server second(options(), 10);
  EXPECT_EQ(second.harness.tree().memory_limit(), uint64_t{16} << 20);
  EXPECT_EQ(second.harness.run("get a\r\n"), "VALUE a 0 1\r\n1\r\nEND\r\n");
  second.harness.clock().set(kStart + 101);
  EXPECT_EQ(second.harness.run("get a\r\n"), "END\r\n");
}

// A deadline on a valueless node bounds its subtree: the snapshot keeps it, and does not mark
// the values it copies as read.
TEST_F(DurabilityTest, ASnapshotKeepsTheDeadlineOfAValuelessNode) {
  {
    Server first(options());
    first.run("set session s1 data 0 0 1\r\nx\r\ntouch session 100\r\n");
    ASSERT_TRUE(first.durability.take_snapshot());
    EXPECT_EQ(first.harness.run("lru_crawler metadump all\r\n").find("fetched=yes"),
              std::string::npos);
  }
  Server second(options(), 50);
  EXPECT_EQ(second.harness.run("getn session s1 data\r\n"),
            "VALUE session s1 data 0 1\r\nx\r\nEND\r\n");
  second.harness.clock().set(kStart + 101);
  EXPECT_EQ(second.harness.run("getn session s1 data\r\n"), "END\r\n");
}

TEST_F(DurabilityTest, ADamagedOrMissingSnapshotRefusesToStart) {
  {
    Server first(options());
    first.run("set a 0 0 5\r\naaaaa\r\n");
    ASSERT_TRUE(first.durability.take_snapshot());
    first.run("set b 0 0 1\r\nb\r\n");
  }
  const std::string snapshot = o_dir() + "/" + files_ending(o_dir(), ".snap").at(0);
  std::string bytes = read_file(snapshot);
  const std::size_t value = bytes.find("aaaaa");
  ASSERT_NE(value, std::string::npos);
  bytes[value] = 'X';
  write_file(snapshot, bytes);
  {
    Server damaged(options());
    EXPECT_FALSE(damaged.report.ok);
    EXPECT_NE(damaged.report.error.find(snapshot), std::string::npos) << damaged.report.error;
  }
  std::filesystem::remove(snapshot);
  Server missing(options());
  EXPECT_FALSE(missing.report.ok);
  EXPECT_NE(missing.report.error.find("changes are missing"), std::string::npos)
      << missing.report.error;
}

TEST_F(DurabilityTest, ASnapshotIsTakenWhenTheJournalHasGrown) {
  DurabilityOptions o = options(FsyncPolicy::no);
  o.snapshot_min_bytes = 64 << 10;
  Server run(o);
  const std::string value(1000, 'v');
  for (int i = 0; i < 100; ++i) {
    run.run("set k" + std::to_string(i) + " 0 0 1000\r\n" + value + "\r\n");
  }
  // The background thread looks once a second.
  for (int waited = 0; waited < 50 && run.harness.stats()["persist_snapshots"] == "0"; ++waited) {
    ::usleep(100 * 1000);
  }
  EXPECT_EQ(run.harness.stats()["persist_snapshots"], "1");
  EXPECT_EQ(files_ending(o_dir(), ".snap").size(), 1u);
}

// Records wait in stripes until a commit moves them (record_stripes.h). Two threads take turns
// changing one namespace, and the one that made the last change commits first: the journal still
// holds the namespace's changes in the order they happened (buffers per thread would replay the
// other thread's changes last, and end at v198).
TEST_F(DurabilityTest, ANamespaceChangedFromTwoThreadsReplaysInTheOrderOfItsChanges) {
  std::map<std::string, std::string> before;
  {
    Server first(options(FsyncPolicy::no));
    Tree& tree = first.harness.tree();
    std::mutex turn_mu;
    std::condition_variable turn_cv;
    int turn = 0;
    constexpr int kTurns = 200;
    auto player = [&](int me) {
      for (int i = me; i < kTurns; i += 2) {
        std::unique_lock lock(turn_mu);
        turn_cv.wait(lock, [&] { return turn == i; });
        set_value(tree, {"cfg", "k"}, "v" + std::to_string(i));
        if (i % 10 == 3) (void)tree.remove({"cfg"});
        if (i % 10 == 4) set_value(tree, {"cfg", "sub", "x"}, "y" + std::to_string(i));
        ++turn;
        turn_cv.notify_all();
      }
    };
    std::thread odd([&] {
      player(1);
      // The thread that made the last change commits first; the other one's commit comes after.
      first.durability.commit_round();
    });
    player(0);
    odd.join();
    first.durability.commit_round();
    before = contents(tree);
    ASSERT_EQ(before["cfg k"].substr(0, 4), "v199");
  }
  Server second(options(FsyncPolicy::no));
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_EQ(contents(second.harness.tree()), before);
}

// With a step runner (the server's workers), the snapshot thread does not read the tree
// itself: every step runs where the runner puts it, and the snapshot is the same.
TEST_F(DurabilityTest, ASnapshotReadsTheTreeThroughTheStepRunner) {
  std::map<std::string, std::string> before;
  std::atomic<int> steps{0};
  {
    Server first(options(FsyncPolicy::no));
    Tree& tree = first.harness.tree();
    for (int i = 0; i < 3000; ++i) {
      set_value(tree, {"t" + std::to_string(i % 300), "k" + std::to_string(i)}, "v");
    }
    for (int i = 0; i < 500; ++i) set_value(tree, {"wide", "k" + std::to_string(i)}, "w");
    first.durability.commit_round();
    // A "worker": a thread that runs the posted steps in order.
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::function<void()>> queue;
    bool stop = false;
    std::thread worker([&] {
      std::unique_lock lock(mu);
      for (;;) {
        cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;
        std::function<void()> step = std::move(queue.front());
        queue.erase(queue.begin());
        lock.unlock();
        ++steps;
        step();
        lock.lock();
      }
    });
    first.durability.set_step_runner([&](std::function<void()> step) {
      std::lock_guard lock(mu);
      queue.push_back(std::move(step));
      cv.notify_all();
    });
    EXPECT_TRUE(first.durability.take_snapshot());
    first.durability.set_step_runner(nullptr);
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    worker.join();
    // Names of 64 shards, then batches of whole namespaces, and "wide" (500 values) in steps.
    EXPECT_GT(steps.load(), 64 + 4);
    before = contents(tree);
  }
  Server second(options(FsyncPolicy::no));
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_EQ(second.harness.stats()["persist_replayed_records"], "3500");
  EXPECT_EQ(contents(second.harness.tree()), before);
}

// The meta commands change the tree through the same seam: their changes come back after a
// restart, md I's new unique included (the client was given it; the stale mark is not kept).
TEST_F(DurabilityTest, MetaCommandsAreJournaledAndMdInvalidateKeepsItsUnique) {
  std::map<std::string, std::string> before;
  {
    Server first(options());
    EXPECT_EQ(first.run("ms cfg 2 F7 T0\r\nab\r\n"), "HD\r\n");
    EXPECT_EQ(first.run("ms n 1\r\n5\r\n"), "HD\r\n");
    EXPECT_EQ(first.run("ma n D3\r\n"), "HD\r\n");
    EXPECT_EQ(first.run("md cfg I\r\n"), "HD\r\n");
    EXPECT_EQ(first.run("ms gone 1\r\nx\r\n"), "HD\r\n");
    EXPECT_EQ(first.run("md gone\r\n"), "HD\r\n");
    const std::string got = first.run("mg cfg c v\r\n");
    EXPECT_EQ(got.substr(0, 5), "VA 2 ") << got;
    EXPECT_NE(got.find(" X"), std::string::npos) << got;  // stale until the restart
    before = contents(first.harness.tree());
  }
  Server second(options());
  ASSERT_TRUE(second.report.ok) << second.report.error;
  EXPECT_EQ(contents(second.harness.tree()), before);
  EXPECT_EQ(second.harness.run("mg n v\r\n"), "VA 1\r\n8\r\n");
  EXPECT_EQ(second.harness.run("mg gone v\r\n"), "EN\r\n");
}

// stage + swap (protocol.md 5.15): the staged writes and the swap's graft record replay into
// the same tree, for a nested node and for a whole top-level namespace under --persist, whose
// staged top-level sibling is journaled with it.
TEST_F(DurabilityTest, ASwapReplaysAfterARestart) {
  DurabilityOptions o = options();
  o.persist = {"config"};
  std::map<std::string, std::string> before;
  auto staged = [](const std::string& reply) {
    EXPECT_TRUE(reply.starts_with("STAGE ")) << reply;
    return reply.substr(6, reply.size() - 8);
  };
  {
    Server first(o);
    first.run(
        "set config db host 0 0 3\r\nold\r\nset config db port 0 0 4\r\n5432\r\n"
        "set config keep 0 0 1\r\nk\r\nset cache x 0 0 1\r\nx\r\n");
    const std::string db = staged(first.run("stage config db\r\n"));
    EXPECT_EQ(first.run("set config " + db + " host 0 0 3\r\nnew\r\n" + "set config " + db +
                        " 7 0 2\r\nDB\r\nswap config db " + db + " 0\r\n"),
              "STORED\r\nSTORED\r\nSWAPPED\r\n");
    const std::string top = staged(first.run("stage config\r\n"));
    EXPECT_EQ(Tree::staged_target(top), "config");
    EXPECT_EQ(first.run("set " + top + " db host 0 0 4\r\nnew2\r\nset " + top +
                        " other 0 0 1\r\no\r\nswap config " + top + " 0\r\n"),
              "STORED\r\nSTORED\r\nSWAPPED\r\n");
    before = contents(first.harness.tree());
    // The figures follow the subtrees that changed hands (counted out with the graveyard's).
    first.harness.tree().collect();
    EXPECT_EQ(first.harness.stats()["curr_items"], std::to_string(before.size()));
    EXPECT_EQ(first.harness.stats()["tree_nodes"], "6");  // config db host other, cache x
    EXPECT_EQ(first.harness.run("gettree config\r\n"),
              "VALUE config db host 0 4\r\nnew2\r\nVALUE config other 0 1\r\no\r\nEND\r\n");
  }
  Server second(o);
  ASSERT_TRUE(second.report.ok) << second.report.error;
  before.erase("cache x");  // not a persisted namespace
  EXPECT_EQ(contents(second.harness.tree()), before);
  EXPECT_EQ(second.harness.run("getch\r\n"), "CHILD config\r\nEND\r\n");
}

}  // namespace
}  // namespace nestcache
