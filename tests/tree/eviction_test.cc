// The memory budget (-m): values leave in LRU order (writes bump; a read marks the value, which
// is bumped instead of evicted when it reaches the cold end: a second chance), never whole
// subtrees; a node that loses its value but has children stays; -M refuses instead of evicting.
// Keys share one namespace where order matters: the LRU is kept per shard (a namespace lives in
// one shard), an approximation of one global LRU like memcached's per-slab-class LRUs.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "nestcache/tree/tree.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

constexpr uint64_t kBudget = 10 * 1024;
const std::string kValue(1000, 'v');

class EvictionTest : public TreeFixture {
 protected:
  explicit EvictionTest(bool evict = true)
      : TreeFixture(TreeOptions{false, kDefaultMaxDepth, kBudget, evict}) {}

  UpdateOutcome set(std::vector<std::string_view> segments, std::string_view data = kValue) {
    return set_value(tree_, Path(segments.begin(), segments.end()), data).outcome;
  }
  // A live node is there, valued or not.
  bool exists(const Path& path) { return children(path).has_value(); }
};

TEST_F(EvictionTest, ColdestValueGoesFirstAndAReadKeepsAValueWarm) {
  for (std::string_view key : {"k0", "k1", "k2", "k3", "k4", "k5"}) {
    ASSERT_EQ(set({"ns", key}), UpdateOutcome::stored);
  }
  ASSERT_EQ(tree_.stats().evictions, 0u);
  ASSERT_TRUE(has({"ns", "k0"}));  // k0 is now the most recently used
  for (std::string_view key : {"k6", "k7", "k8", "k9"}) {
    ASSERT_EQ(set({"ns", key}), UpdateOutcome::stored);
  }
  const TreeStats stats = tree_.stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LE(stats.bytes, kBudget);
  EXPECT_TRUE(has({"ns", "k0"}));
  EXPECT_FALSE(has({"ns", "k1"}));  // the coldest
  EXPECT_TRUE(has({"ns", "k9"}));
}

TEST_F(EvictionTest, AReadIsASecondChanceNotImmunity) {
  for (std::string_view key : {"k0", "k1", "k2", "k3", "k4", "k5"}) set({"ns", key});
  ASSERT_TRUE(has({"ns", "k0"}));  // marked, not moved: it is still the coldest
  for (std::string_view key : {"k6", "k7", "k8", "k9"}) set({"ns", key});
  ASSERT_GT(tree_.stats().evictions, 0u);
  EXPECT_TRUE(exists({"ns", "k0"}));  // moved to the head instead of evicted
  EXPECT_FALSE(exists({"ns", "k1"}));
  // Not read again: it goes when it reaches the cold end once more (exists() reads no value).
  for (int i = 10; i < 30; ++i) set({"ns", "k" + std::to_string(i)});
  EXPECT_FALSE(exists({"ns", "k0"}));
}

TEST_F(EvictionTest, AWriteBumpsLikeARead) {
  for (std::string_view key : {"k0", "k1", "k2", "k3", "k4", "k5"}) set({"ns", key});
  ASSERT_EQ(set({"ns", "k0"}, "rewritten"), UpdateOutcome::stored);
  // The short rewrite freed most of k0's memory: two more values than above to force evictions.
  for (std::string_view key : {"k6", "k7", "k8", "k9", "k10", "k11"}) set({"ns", key});
  ASSERT_GT(tree_.stats().evictions, 0u);
  EXPECT_TRUE(has({"ns", "k0"}));
  EXPECT_FALSE(has({"ns", "k1"}));
}

TEST_F(EvictionTest, EvictionTakesTheValueButNeverTheSubtree) {
  ASSERT_EQ(set({"ns"}), UpdateOutcome::stored);  // coldest: evicted first
  ASSERT_EQ(set({"ns", "child"}, "small"), UpdateOutcome::stored);
  for (std::string_view key : {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}) {
    ASSERT_TRUE(has({"ns", "child"}));  // keep the child warm
    ASSERT_EQ(set({"ns", key}), UpdateOutcome::stored);
  }
  EXPECT_GT(tree_.stats().evictions, 0u);
  EXPECT_FALSE(has({"ns"}));          // its value went
  EXPECT_TRUE(exists({"ns"}));        // the node stayed, valueless
  EXPECT_TRUE(has({"ns", "child"}));  // and so did its subtree
}

TEST_F(EvictionTest, ANodeLeftEmptyByAnEvictionIsPruned) {
  ASSERT_EQ(set({"ns", "deep", "leaf"}), UpdateOutcome::stored);
  for (int i = 0; i < 12; ++i) set({"ns", std::to_string(i)});
  EXPECT_FALSE(has({"ns", "deep", "leaf"}));
  EXPECT_FALSE(exists({"ns", "deep"}));  // a valueless ancestor with nothing below goes too
}

// The LRU is kept per shard: a store evicts in its own namespace's shard first, and reaches
// into other shards only when its own has nothing left to give.
TEST_F(EvictionTest, OtherShardsGiveWhenTheOwnShardCannot) {
  for (std::string_view key : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
    ASSERT_EQ(set({key}), UpdateOutcome::stored);
  }
  ASSERT_EQ(set({"fresh"}, std::string(3000, 'f')), UpdateOutcome::stored);
  EXPECT_TRUE(has({"fresh"}));
  EXPECT_LE(tree_.stats().bytes, kBudget);
}

TEST_F(EvictionTest, TheBudgetHoldsUnderSustainedWrites) {
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(set({"t" + std::to_string(i % 7), "u" + std::to_string(i)}), UpdateOutcome::stored);
    ASSERT_LE(tree_.stats().bytes, kBudget) << "after store " << i;
  }
  const TreeStats stats = tree_.stats();
  EXPECT_GT(stats.evictions, 1900u);
  EXPECT_EQ(stats.evicted_unfetched, stats.evictions);  // nothing was read
}

TEST_F(EvictionTest, AStoreLargerThanTheWholeBudgetIsRefused) {
  const std::string huge(kBudget, 'h');
  EXPECT_EQ(set({"k"}, huge), UpdateOutcome::out_of_memory);
  EXPECT_FALSE(exists({"k"}));
}

TEST_F(EvictionTest, NodesAloneCannotBreakTheLimit) {
  // A path so deep that its nodes alone need more than the budget.
  std::vector<std::string> names;
  for (int i = 0; i < 32; ++i) names.push_back(std::string(200, static_cast<char>('a' + i % 26)));
  std::vector<std::string_view> path(names.begin(), names.end());
  EXPECT_EQ(set(path, "x"), UpdateOutcome::out_of_memory);
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(EvictionTest, LoweringTheLimitEvictsDownToIt) {
  for (int i = 0; i < 8; ++i)
    ASSERT_EQ(set({"ns", "k" + std::to_string(i)}), UpdateOutcome::stored);
  ASSERT_TRUE(tree_.set_memory_limit(kBudget / 2));
  EXPECT_EQ(tree_.memory_limit(), kBudget / 2);
  EXPECT_LE(tree_.stats().allocated, kBudget / 2);
  EXPECT_GT(tree_.stats().evictions, 0u);
  EXPECT_TRUE(has({"ns", "k7"}));  // the warmest stays
  EXPECT_FALSE(has({"ns", "k0"}));
}

class NoEvictionTest : public EvictionTest {
 protected:
  NoEvictionTest() : EvictionTest(false) {}
};

TEST_F(NoEvictionTest, AFullCacheRefusesAndKeepsWhatItHas) {
  int stored = 0;
  UpdateOutcome status = UpdateOutcome::stored;
  for (; stored < 100 && status == UpdateOutcome::stored; ++stored) {
    status = set({"ns", "k" + std::to_string(stored)});
  }
  ASSERT_EQ(status, UpdateOutcome::out_of_memory);
  EXPECT_EQ(tree_.stats().evictions, 0u);
  EXPECT_TRUE(has({"ns", "k0"}));
  EXPECT_LE(tree_.stats().bytes, kBudget);
  // Room made by a delete can be used again.
  ASSERT_EQ(tree_.remove(Path{"ns", "k0"}), Status::deleted);
  EXPECT_EQ(set({"ns", "again"}), UpdateOutcome::stored);
}

TEST_F(NoEvictionTest, LoweringTheLimitUnderDashMRefusesStoresInstead) {
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(set({"ns", "k" + std::to_string(i)}), UpdateOutcome::stored);
  EXPECT_FALSE(tree_.set_memory_limit(kBudget / 4));
  EXPECT_EQ(tree_.stats().evictions, 0u);
  EXPECT_TRUE(has({"ns", "k0"}));
  EXPECT_EQ(set({"ns", "more"}), UpdateOutcome::out_of_memory);
}

}  // namespace
}  // namespace nestcache
