// The change seam (change.h): every change of the tree reaches the one observer, in order, with
// the node's full path, the value after a store and its unique; every other change takes a
// revision of its own while an observer is attached (without one, only stores take uniques, so
// cas values stay memcached's).
#include "nestcache/tree/change.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nestcache/tree/tree.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One change as recorded: copies, since the views die when on_change returns.
struct Seen {
  ChangeKind kind = ChangeKind::store;
  std::string path;
  std::string data;
  uint32_t flags = 0;
  int64_t exptime = 0;
  int64_t time = 0;
  uint64_t memory_limit = 0;
  uint64_t cas = 0;
};

class Recorder final : public ChangeObserver {
 public:
  void on_change(const Change& change) override {
    Seen seen;
    seen.kind = change.kind;
    seen.path = joined(*change.path);
    seen.data = std::string(change.value.data);
    seen.flags = change.value.flags;
    seen.exptime = change.kind == ChangeKind::store ? change.value.exptime : change.exptime;
    seen.time = change.time;
    seen.memory_limit = change.memory_limit;
    seen.cas = change.cas;
    if (change.kind == ChangeKind::store) {
      EXPECT_EQ(change.cas, change.value.cas);
    }
    all.push_back(std::move(seen));
  }
  // The kinds and paths seen, as "kind path" lines.
  std::vector<std::string> lines() const {
    static const char* const kNames[] = {"store",        "touch", "remove", "remove_value",
                                         "expire",       "evict", "flush",  "flush_pending",
                                         "memory_limit", "unused"};
    std::vector<std::string> out;
    for (const Seen& seen : all) {
      out.push_back(std::string(kNames[static_cast<int>(seen.kind)]) + " " + seen.path);
    }
    return out;
  }
  std::vector<Seen> all;
};

class ChangeTest : public TreeFixture {
 protected:
  explicit ChangeTest(TreeOptions options = {}) : TreeFixture(options) {
    tree_.set_observer(&recorder_);
  }
  ~ChangeTest() override { tree_.set_observer(nullptr); }

  Recorder recorder_;
};

TEST_F(ChangeTest, AStoreCarriesTheValueAfterItAndItsUnique) {
  const uint64_t cas = put_until({"ns", "user", "name"}, "ann", kStart + 60, 7);
  ASSERT_EQ(recorder_.all.size(), 1u);  // implicit parents are part of the store
  const Seen& seen = recorder_.all[0];
  EXPECT_EQ(seen.kind, ChangeKind::store);
  EXPECT_EQ(seen.path, "ns user name");
  EXPECT_EQ(seen.data, "ann");
  EXPECT_EQ(seen.flags, 7u);
  EXPECT_EQ(seen.exptime, kStart + 60);
  EXPECT_EQ(seen.cas, cas);

  // A rewrite (append, incr) is a store too, with the whole value after it.
  ASSERT_EQ(rewrite_value(tree_, {"ns", "user", "name"}, "annie").outcome, UpdateOutcome::stored);
  ASSERT_EQ(recorder_.all.size(), 2u);
  EXPECT_EQ(recorder_.all[1].data, "annie");
  EXPECT_EQ(recorder_.all[1].flags, 7u);
  EXPECT_EQ(recorder_.all[1].exptime, kStart + 60);
  EXPECT_EQ(recorder_.all[1].cas, cas + 1);
}

TEST_F(ChangeTest, WhatChangesNothingIsNotReported) {
  put({"a"}, "v");
  recorder_.all.clear();
  EXPECT_EQ(rewrite_value(tree_, {"b"}, "x").outcome, UpdateOutcome::unchanged);
  EXPECT_EQ(tree_.remove({"b"}), Status::not_found);
  EXPECT_EQ(tree_.remove_value({"b"}), Status::not_found);
  EXPECT_EQ(tree_.touch({"b"}, 0), Status::not_found);
  EXPECT_TRUE(has({"a"}));
  EXPECT_THAT(recorder_.all, IsEmpty());
}

TEST_F(ChangeTest, EveryKindInOrderWithPathsAndUniques) {
  const uint64_t first = put({"ns", "a"}, "1");
  const uint64_t second = put({"ns", "b", "c"}, "2");
  ASSERT_EQ(tree_.touch({"ns", "b"}, kStart + 100), Status::touched);
  ASSERT_TRUE(tree_.read_and_touch({"ns", "a"}, kStart + 200, [](const ValueView&) {}));
  ASSERT_EQ(tree_.remove_value({"ns", "a"}), Status::deleted);
  ASSERT_EQ(tree_.remove({"ns", "b"}), Status::deleted);  // a subtree: one event
  EXPECT_THAT(recorder_.lines(), ElementsAre("store ns a", "store ns b c", "touch ns b",
                                             "touch ns a", "remove_value ns a", "remove ns b"));
  EXPECT_EQ(recorder_.all[1].cas, second);
  EXPECT_EQ(second, first + 1);
  EXPECT_EQ(recorder_.all[2].exptime, kStart + 100);
  EXPECT_EQ(recorder_.all[3].exptime, kStart + 200);
  // Every change takes a revision of its own, in the order they happened; the next store's
  // unique comes after them.
  for (std::size_t i = 2; i < recorder_.all.size(); ++i) {
    EXPECT_EQ(recorder_.all[i].cas, second + (i - 1)) << "a revision of its own";
  }
  EXPECT_EQ(put({"ns", "d"}, "3"), second + recorder_.all.size() - 1);
}

TEST_F(ChangeTest, AUniqueUsedUpByARefusedIncrIsReportedUnused) {
  const uint64_t cas = put({"n"}, "not a number");
  UpdatePolicy policy;
  policy.unique_on_hit = true;  // as an incr: the unique is taken before the value is read
  const UpdateResult refused =
      tree_.update({"n"}, policy, [](const ValueView*) -> const NewValue* { return nullptr; });
  EXPECT_EQ(refused.outcome, UpdateOutcome::unchanged);
  ASSERT_THAT(recorder_.lines(), ElementsAre("store n", "unused "));
  EXPECT_EQ(recorder_.all[1].cas, cas + 1);
  EXPECT_EQ(tree_.last_cas(), cas + 1);
}

class ChangeNumberingTest : public TreeFixture {};

TEST_F(ChangeNumberingTest, WithoutAnObserverOnlyValuesTakeUniquesAsInMemcached) {
  const uint64_t first = put({"a"}, "1");
  ASSERT_EQ(tree_.touch({"a"}, kStart + 10), Status::touched);
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  EXPECT_EQ(put({"b"}, "2"), first + 1);
}

TEST_F(ChangeTest, ExpiryOfASubtreeIsOneEventWhetherFoundOrCollected) {
  put({"lazy", "x", "y"}, "1");
  put({"swept", "x", "y"}, "2");
  const uint64_t last = put({"keep"}, "3");
  ASSERT_EQ(tree_.touch({"lazy", "x"}, kStart + 10), Status::touched);
  ASSERT_EQ(tree_.touch({"swept"}, kStart + 10), Status::touched);
  recorder_.all.clear();
  at(10);
  // Every deadline due is applied before anything is read: both go through the deadline index.
  EXPECT_FALSE(has({"lazy", "x", "y"}));
  collect_all(tree_);
  EXPECT_THAT(recorder_.lines(), ::testing::UnorderedElementsAre("expire lazy x", "expire swept"));
  ASSERT_EQ(recorder_.all.size(), 2u);
  EXPECT_EQ(std::min(recorder_.all[0].cas, recorder_.all[1].cas), last + 3);  // after 2 touches
  EXPECT_EQ(std::max(recorder_.all[0].cas, recorder_.all[1].cas), last + 4);
}

TEST_F(ChangeTest, AValueStoredAlreadyExpiredIsStoredThenExpired) {
  // A deadline in the past (memcached's negative exptime): the next access to the namespace
  // expires it before doing anything else.
  put_until({"ns", "gone"}, "v", kStart - 1);
  put({"ns", "kept"}, "v");
  EXPECT_FALSE(has({"ns", "gone"}));
  EXPECT_THAT(recorder_.lines(), ElementsAre("store ns gone", "expire ns gone", "store ns kept"));
}

class ChangeEvictionTest : public ChangeTest {
 protected:
  ChangeEvictionTest() : ChangeTest(TreeOptions{false, kDefaultMaxDepth, 8 * 1024, true}) {}
};

TEST_F(ChangeEvictionTest, AnEvictionNamesTheValueThatWent) {
  const std::string value(1000, 'v');
  for (int i = 0; i < 12; ++i) put({"ns", "k" + std::to_string(i)}, value);
  ASSERT_GT(tree_.stats().evictions, 0u);
  std::vector<std::string> evicted;
  for (const Seen& seen : recorder_.all) {
    if (seen.kind == ChangeKind::evict) evicted.push_back(seen.path);
  }
  ASSERT_EQ(evicted.size(), tree_.stats().evictions);
  EXPECT_EQ(evicted[0], "ns k0");  // the coldest first
  // An eviction comes before the store that needed the room.
  EXPECT_EQ(recorder_.all.back().kind, ChangeKind::store);
  EXPECT_EQ(recorder_.all.back().path, "ns k11");
}

// With an observer, a flush empties every shard at once and is one change: a journal replays
// it in its place among the others (per-shard events could not be: the shard of a name is
// chosen by a per-process hash).
TEST_F(ChangeTest, AFlushIsOneChangeWithItsTime) {
  put({"a"}, "1");
  put({"b", "c"}, "2");
  recorder_.all.clear();
  tree_.flush(kStart);  // at once
  EXPECT_THAT(recorder_.lines(), ElementsAre("flush "));
  EXPECT_EQ(recorder_.all[0].time, kStart);
  EXPECT_EQ(tree_.stats().items, 0u);
}

TEST_F(ChangeTest, ADelayedFlushIsAnnouncedThenAppliedOnceWhenDue) {
  tree_.flush(kStart + 30);
  put({"a"}, "1");  // stored before the flush is due: it goes with it
  at(29);
  EXPECT_TRUE(tree_.read({"a"}, [](const ValueView&) {}));
  at(30);
  put({"b"}, "2");  // the first request at or after the deadline applies the flush first
  EXPECT_THAT(recorder_.lines(), ElementsAre("flush_pending ", "store a", "flush ", "store b"));
  EXPECT_EQ(recorder_.all[0].time, kStart + 30);
  EXPECT_EQ(recorder_.all[2].time, kStart + 30);
  EXPECT_FALSE(tree_.read({"a"}, [](const ValueView&) {}));
  EXPECT_TRUE(tree_.read({"b"}, [](const ValueView&) {}));
  collect_all(tree_);
  (void)tree_.stats();
  EXPECT_EQ(recorder_.all.size(), 4u);  // applied once, whoever looks next
}

TEST_F(ChangeTest, ALaterFlushReplacesAPendingOne) {
  tree_.flush(kStart + 30);
  tree_.flush(kStart);  // at once, and the pending one is gone
  put({"a"}, "1");
  at(40);
  collect_all(tree_);
  EXPECT_TRUE(tree_.read({"a"}, [](const ValueView&) {}));
  EXPECT_THAT(recorder_.lines(), ElementsAre("flush_pending ", "flush ", "store a"));
}

TEST_F(ChangeTest, AMemoryLimitIsReported) {
  ASSERT_TRUE(tree_.set_memory_limit(uint64_t{8} << 20));
  ASSERT_EQ(recorder_.all.size(), 1u);
  EXPECT_EQ(recorder_.all[0].kind, ChangeKind::memory_limit);
  EXPECT_EQ(recorder_.all[0].memory_limit, uint64_t{8} << 20);
}

// A journal's replay restores a value with the unique it had; the counter goes on above it.
TEST_F(ChangeTest, AValueCanKeepAGivenUniqueAndTheCounterIsRaised) {
  NewValue value;
  value.data = "v";
  value.cas = 1000;
  UpdatePolicy policy;
  policy.create = true;
  const UpdateResult result =
      tree_.update({"a", "b"}, policy, [&](const ValueView*) { return &value; });
  ASSERT_EQ(result.outcome, UpdateOutcome::stored);
  EXPECT_EQ(result.cas, 1000u);
  EXPECT_EQ(recorder_.all.back().cas, 1000u);
  tree_.raise_cas(1000);
  tree_.raise_cas(7);  // never lowered
  EXPECT_EQ(tree_.last_cas(), 1000u);
  put({"c"}, "1");
  EXPECT_EQ(recorder_.all.back().cas, 1001u);
}

TEST_F(ChangeTest, DetachedObserverSeesNothing) {
  tree_.set_observer(nullptr);
  put({"a"}, "1");
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  EXPECT_THAT(recorder_.all, IsEmpty());
}

}  // namespace
}  // namespace nestcache
