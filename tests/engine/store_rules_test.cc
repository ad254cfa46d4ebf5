// memcached's storage rules over the tree's write primitive (store_rules.h): set add replace
// append prepend cas, and incr/decr with memcached's wrap, floor and padding. The tree's own
// behaviour under them (implicit parents, pruning, figures) is in tests/tree.
#include "engine/store_rules.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "nestcache/tree/tree.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StoreRulesTest : public TreeFixture {
 protected:
  explicit StoreRulesTest(TreeOptions options = {}) : TreeFixture(options) {}

  StoreResult store(const Path& path, std::string_view data, StoreMode mode = StoreMode::set,
                    uint64_t cas = 0, uint32_t flags = 0) {
    StoreArgs args;
    args.mode = mode;
    args.flags = flags;
    args.cas = cas;
    args.data = data;
    return store_value(tree_, path, args);
  }
  // A store with `exptime` as a client sends it (relative, absolute, negative or 0).
  StoreResult store_for(const Path& path, std::string_view data, int64_t exptime,
                        StoreMode mode = StoreMode::set) {
    StoreArgs args;
    args.mode = mode;
    args.exptime = absolute_exptime(exptime, clock_.now());
    args.data = data;
    return store_value(tree_, path, args);
  }
  ArithResult arith(const Path& path, bool increment, uint64_t delta) {
    return arith_value(tree_, path, increment, delta);
  }
};

class StrictStoreRulesTest : public StoreRulesTest {
 protected:
  StrictStoreRulesTest() : StoreRulesTest(TreeOptions{.strict_parents = true}) {}
};

// A 1 MiB budget that refuses instead of evicting (-M).
class NoEvictStoreRulesTest : public StoreRulesTest {
 protected:
  static constexpr uint64_t kBudget = 1 << 20;
  NoEvictStoreRulesTest()
      : StoreRulesTest(TreeOptions{false, kDefaultMaxDepth, kBudget, /*evict=*/false}) {}
};

// An append reserves its own bytes before the lock: the joined value replaces the old one, so
// what the tree holds grows by them alone, and under -M the budget stays a hard limit.
TEST_F(NoEvictStoreRulesTest, AppendsStayWithinTheBudgetUnderM) {
  const std::string third(300 * 1024, 'a');
  ASSERT_EQ(store({"big"}, third + third).status, Status::stored);
  EXPECT_EQ(store({"big"}, third, StoreMode::append).status, Status::stored);
  EXPECT_LE(tree_.stats().allocated, kBudget);
  EXPECT_EQ(store({"big"}, third, StoreMode::prepend).status, Status::out_of_memory);
  EXPECT_EQ(store({"big"}, third, StoreMode::append).status, Status::out_of_memory);
  EXPECT_LE(tree_.stats().allocated, kBudget);
  ASSERT_TRUE(get({"big"}).has_value());
  EXPECT_EQ(get({"big"})->data.size(), 900u * 1024);
}

// ---- store modes -------------------------------------------------------------------------------

TEST_F(StoreRulesTest, AddStoresOnlyWhenThereIsNoValue) {
  EXPECT_EQ(store({"a"}, "1", StoreMode::add).status, Status::stored);
  EXPECT_EQ(store({"a"}, "2", StoreMode::add).status, Status::not_stored);
  EXPECT_EQ(data({"a"}), "1");
  EXPECT_EQ(store({"p", "q", "r"}, "3", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"p", "q", "r"}), "3");
  EXPECT_EQ(store({"p", "q", "r"}, "4", StoreMode::add).status, Status::not_stored);
  EXPECT_EQ(data({"p", "q", "r"}), "3");
}

TEST_F(StoreRulesTest, AddOnValuelessNodeWithChildrenSucceedsAndKeepsChildren) {
  put({"ns", "a"}, "1");
  put({"ns", "b"}, "2");
  EXPECT_EQ(store({"ns"}, "top", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"ns"}), "top");
  EXPECT_THAT(children({"ns"}), ::testing::Optional(ElementsAre("a", "b")));
  EXPECT_EQ(data({"ns", "a"}), "1");
  EXPECT_EQ(store({"ns"}, "again", StoreMode::add).status, Status::not_stored);
}

TEST_F(StoreRulesTest, ReplaceNeedsAValue) {
  EXPECT_EQ(store({"a"}, "1", StoreMode::replace).status, Status::not_stored);
  EXPECT_FALSE(get({"a"}));
  put({"a"}, "1");
  EXPECT_EQ(store({"a"}, "2", StoreMode::replace).status, Status::stored);
  EXPECT_EQ(data({"a"}), "2");
}

TEST_F(StoreRulesTest, ReplaceAppendPrependOnValuelessNodeAreNotStored) {
  put({"ns", "child"}, "c");
  for (StoreMode mode : {StoreMode::replace, StoreMode::append, StoreMode::prepend}) {
    EXPECT_EQ(store({"ns"}, "x", mode).status, Status::not_stored) << static_cast<int>(mode);
  }
  EXPECT_FALSE(get({"ns"}));
  EXPECT_THAT(children({"ns"}), ::testing::Optional(ElementsAre("child")));
}

TEST_F(StoreRulesTest, ModesThatNeedAValueCreateNoParents) {
  for (StoreMode mode : {StoreMode::replace, StoreMode::append, StoreMode::prepend}) {
    EXPECT_EQ(store({"a", "b", "c"}, "x", mode).status, Status::not_stored);
  }
  EXPECT_EQ(store({"a", "b", "c"}, "x", StoreMode::cas, 1).status, Status::not_found);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(StoreRulesTest, ReplaceBelowAnExistingParentLeavesParentAlone) {
  put({"a", "b"}, "1");
  EXPECT_EQ(store({"a", "c"}, "x", StoreMode::replace).status, Status::not_stored);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b")));
  EXPECT_EQ(tree_.stats().nodes, 2u);
}

TEST_F(StoreRulesTest, AppendAndPrependKeepFlags) {
  put({"a", "b"}, "mid", 7);
  EXPECT_EQ(store({"a", "b"}, "<", StoreMode::prepend, 0, 99).status, Status::stored);
  EXPECT_EQ(store({"a", "b"}, ">", StoreMode::append, 0, 99).status, Status::stored);
  const auto got = get({"a", "b"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "<mid>");
  EXPECT_EQ(got->flags, 7u);
}

TEST_F(StoreRulesTest, AppendOnMissingIsNotStored) {
  EXPECT_EQ(store({"a"}, "x", StoreMode::append).status, Status::not_stored);
  EXPECT_EQ(store({"a"}, "x", StoreMode::prepend).status, Status::not_stored);
  EXPECT_FALSE(get({"a"}));
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(StoreRulesTest, CasMatchMismatchMissingAndValueless) {
  EXPECT_EQ(store({"a"}, "x", StoreMode::cas, 1).status, Status::not_found);
  put({"ns", "leaf"}, "v");
  EXPECT_EQ(store({"ns"}, "x", StoreMode::cas, 1).status, Status::not_found);  // valueless

  const uint64_t cas = put({"ns", "leaf"}, "v1");
  EXPECT_EQ(store({"ns", "leaf"}, "bad", StoreMode::cas, cas + 1000).status, Status::exists);
  EXPECT_EQ(data({"ns", "leaf"}), "v1");

  const StoreResult ok = store({"ns", "leaf"}, "v2", StoreMode::cas, cas);
  EXPECT_EQ(ok.status, Status::stored);
  EXPECT_GT(ok.cas, cas);
  EXPECT_EQ(data({"ns", "leaf"}), "v2");
  EXPECT_EQ(get({"ns", "leaf"})->cas, ok.cas);
  // The old unique is spent.
  EXPECT_EQ(store({"ns", "leaf"}, "v3", StoreMode::cas, cas).status, Status::exists);
  EXPECT_EQ(data({"ns", "leaf"}), "v2");
}

TEST_F(StoreRulesTest, CasUniquesIncreaseWithEveryChange) {
  std::vector<uint64_t> seen;
  seen.push_back(put({"a"}, "1"));
  seen.push_back(put({"b", "c"}, "1"));
  seen.push_back(store({"a"}, "2", StoreMode::append).cas);
  seen.push_back(store({"a"}, "0", StoreMode::prepend).cas);
  seen.push_back(store({"a"}, "5", StoreMode::replace).cas);
  ASSERT_EQ(arith({"a"}, true, 1).status, Status::stored);
  seen.push_back(get({"a"})->cas);
  seen.push_back(store({"a"}, "9", StoreMode::cas, seen.back()).cas);
  seen.push_back(store({"d"}, "1", StoreMode::add).cas);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i], seen[i - 1]) << "store #" << i;
  }
}

TEST_F(StoreRulesTest, FailedStoresDoNotChangeTheUnique) {
  const uint64_t cas = put({"a"}, "1");
  store({"a"}, "2", StoreMode::add);
  store({"a"}, "2", StoreMode::cas, cas + 1);
  EXPECT_EQ(get({"a"})->cas, cas);
}

TEST_F(StoreRulesTest, TotalItemsCountsEveryStoredValue) {
  put({"a"}, "1");
  put({"a"}, "2");
  store({"a"}, "3", StoreMode::add);      // refused
  store({"b"}, "3", StoreMode::replace);  // refused
  store({"a"}, "3", StoreMode::append);
  EXPECT_EQ(tree_.stats().total_items, 3u);
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  EXPECT_EQ(tree_.stats().total_items, 3u);  // a running total
  EXPECT_EQ(tree_.stats().items, 0u);
}

TEST_F(StoreRulesTest, PathDeeperThanMaxDepthIsNotStored) {
  ManualClock clock;
  Tree shallow(clock, TreeOptions{.strict_parents = false, .max_depth = 3});
  StoreArgs args;
  args.data = "x";
  EXPECT_EQ(store_value(shallow, {"a", "b", "c"}, args).status, Status::stored);
  EXPECT_EQ(store_value(shallow, {"a", "b", "c", "d"}, args).status, Status::not_stored);
  args.mode = StoreMode::cas;
  EXPECT_EQ(store_value(shallow, {"a", "b", "c", "d"}, args).status, Status::not_stored);
  EXPECT_EQ(shallow.stats().nodes, 3u);
}

TEST_F(StoreRulesTest, EmptyPathIsRefused) {
  EXPECT_EQ(store({}, "x").status, Status::not_stored);
  EXPECT_EQ(store({}, "x", StoreMode::cas, 1).status, Status::not_stored);
  EXPECT_EQ(arith({}, true, 1).status, Status::not_found);
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(StoreRulesTest, AMissingValueIsNotStoredAndCreatesNothing) {
  EXPECT_EQ(store({"a"}, "x", StoreMode::replace).status, Status::not_stored);
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

// ---- strict parents ----------------------------------------------------------------------------

TEST_F(StrictStoreRulesTest, MissingParentIsNotStored) {
  EXPECT_EQ(store({"a", "b"}, "x").status, Status::not_stored);
  EXPECT_EQ(store({"a", "b"}, "x", StoreMode::add).status, Status::not_stored);
  EXPECT_EQ(tree_.stats().nodes, 0u);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
}

TEST_F(StrictStoreRulesTest, TopLevelAlwaysWorks) {
  EXPECT_EQ(store({"a"}, "x").status, Status::stored);
  EXPECT_EQ(store({"b"}, "y", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"a"}), "x");
  EXPECT_EQ(data({"b"}), "y");
}

TEST_F(StrictStoreRulesTest, EachLevelMustExistFirst) {
  put({"a"}, "1");
  EXPECT_EQ(store({"a", "b", "c"}, "x").status, Status::not_stored);
  EXPECT_EQ(store({"a", "b"}, "2").status, Status::stored);
  EXPECT_EQ(store({"a", "b", "c"}, "3").status, Status::stored);
  EXPECT_EQ(data({"a", "b", "c"}), "3");
}

TEST_F(StrictStoreRulesTest, ValuelessParentCounts) {
  put({"a"}, "1");
  put({"a", "b"}, "2");
  ASSERT_EQ(tree_.remove_value({"a"}), Status::deleted);  // a stays, valueless, for its child
  ASSERT_FALSE(get({"a"}));
  EXPECT_EQ(store({"a", "c"}, "3").status, Status::stored);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b", "c")));
}

TEST_F(StrictStoreRulesTest, CasBelowMissingParentIsNotFound) {
  EXPECT_EQ(store({"a", "b"}, "x", StoreMode::cas, 1).status, Status::not_found);
}

// ---- deadlines ---------------------------------------------------------------------------------

TEST_F(StoreRulesTest, NegativeExptimeRemovesAnOldValue) {
  put({"a"}, "old");
  EXPECT_EQ(store_for({"a"}, "new", -1).status, Status::stored);
  EXPECT_FALSE(data({"a"}));
  EXPECT_EQ(store_for({"a"}, "x", 0, StoreMode::replace).status, Status::not_stored);
}

TEST_F(StoreRulesTest, AppendKeepsTheDeadline) {
  EXPECT_EQ(store_for({"a"}, "v", 10).status, Status::stored);
  EXPECT_EQ(store_for({"a"}, "w", 0, StoreMode::append).status, Status::stored);
  at(10);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(StoreRulesTest, SetReplacesTheDeadline) {
  EXPECT_EQ(store_for({"a"}, "v", 10).status, Status::stored);
  EXPECT_EQ(store_for({"a"}, "w", 0).status, Status::stored);
  at(1000);
  EXPECT_EQ(data({"a"}), "w");
}

TEST_F(StoreRulesTest, ArithKeepsTheDeadline) {
  EXPECT_EQ(store_for({"n"}, "1", 10).status, Status::stored);
  EXPECT_EQ(arith({"n"}, true, 1).value, 2u);
  at(10);
  EXPECT_EQ(arith({"n"}, true, 1).status, Status::not_found);
}

TEST_F(StoreRulesTest, UpdatesBelowAnExpiredNodeFindNothing) {
  put({"tenants", "t1", "conf"}, "1");
  put({"tenants", "t2"}, "keep");
  ASSERT_EQ(tree_.touch({"tenants", "t1"}, kStart + 60), Status::touched);
  at(60);
  EXPECT_EQ(store({"tenants", "t1", "conf"}, "x", StoreMode::replace).status, Status::not_stored);
  EXPECT_EQ(store({"tenants", "t1", "conf"}, "x", StoreMode::cas, 1).status, Status::not_found);
  EXPECT_EQ(arith({"tenants", "t1", "conf"}, true, 1).status, Status::not_found);
  EXPECT_FALSE(children({"tenants", "t1"}));
}

TEST_F(StoreRulesTest, AddOnAnExpiredNodeSucceeds) {
  put({"tenants", "t1", "users", "u1"}, "ann");
  ASSERT_EQ(tree_.touch({"tenants", "t1"}, kStart + 60), Status::touched);
  at(60);
  EXPECT_EQ(store({"tenants", "t1"}, "fresh", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"tenants", "t1"}), "fresh");
  EXPECT_THAT(children({"tenants", "t1"}), ::testing::Optional(IsEmpty()));
}

// ---- incr / decr -------------------------------------------------------------------------------

TEST_F(StoreRulesTest, IncrAndDecr) {
  put({"n"}, "10", 5);
  ArithResult r = arith({"n"}, true, 5);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 15u);
  EXPECT_EQ(data({"n"}), "15");
  r = arith({"n"}, false, 3);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 12u);
  EXPECT_EQ(data({"n"}), "12");
  EXPECT_EQ(get({"n"})->flags, 5u);  // flags survive
}

TEST_F(StoreRulesTest, IncrOnANestedPath) {
  put({"stats", "hits"}, "0");
  EXPECT_EQ(arith({"stats", "hits"}, true, 1).value, 1u);
  EXPECT_EQ(arith({"stats", "hits"}, true, 1).value, 2u);
  EXPECT_EQ(data({"stats", "hits"}), "2");
}

TEST_F(StoreRulesTest, IncrGrowsTheValue) {
  put({"n"}, "99");
  EXPECT_EQ(arith({"n"}, true, 1).value, 100u);
  EXPECT_EQ(data({"n"}), "100");
}

TEST_F(StoreRulesTest, IncrWrapsAt2To64) {
  put({"n"}, "18446744073709551615");
  ArithResult r = arith({"n"}, true, 1);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 0u);
  EXPECT_EQ(data({"n"}), "0" + std::string(19, ' '));
  put({"m"}, "18446744073709551610");
  EXPECT_EQ(arith({"m"}, true, 10).value, 4u);
}

TEST_F(StoreRulesTest, DecrFloorsAtZero) {
  put({"n"}, "5");
  const ArithResult r = arith({"n"}, false, 10);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 0u);
  EXPECT_EQ(data({"n"}), "0");
  EXPECT_EQ(arith({"n"}, false, 1).value, 0u);
}

TEST_F(StoreRulesTest, ShorterResultIsPaddedWithSpaces) {
  put({"n"}, "10");
  EXPECT_EQ(arith({"n"}, false, 1).value, 9u);
  EXPECT_EQ(data({"n"}), "9 ");
  // The padded value still counts.
  EXPECT_EQ(arith({"n"}, true, 1).value, 10u);
  EXPECT_EQ(data({"n"}), "10");
  put({"m"}, "1000");
  EXPECT_EQ(arith({"m"}, false, 999).value, 1u);
  EXPECT_EQ(data({"m"}), "1   ");
}

TEST_F(StoreRulesTest, LeadingSpacesAreAccepted) {
  put({"n"}, "  7");
  EXPECT_EQ(arith({"n"}, true, 1).value, 8u);
  EXPECT_EQ(data({"n"}), "8  ");
}

TEST_F(StoreRulesTest, NonNumericValues) {
  for (std::string_view text :
       {"", "12a", "-1", "abc", "1.5", "18446744073709551616", "+-3", "0x10"}) {
    put({"n"}, text);
    EXPECT_EQ(arith({"n"}, true, 1).status, Status::non_numeric) << "'" << text << "'";
    EXPECT_EQ(arith({"n"}, false, 1).status, Status::non_numeric) << "'" << text << "'";
    EXPECT_EQ(data({"n"}), std::string(text));  // untouched
  }
}

TEST_F(StoreRulesTest, ArithOnMissingOrValuelessIsNotFound) {
  EXPECT_EQ(arith({"n"}, true, 1).status, Status::not_found);
  put({"ns", "c"}, "1");
  EXPECT_EQ(arith({"ns"}, true, 1).status, Status::not_found);
  EXPECT_EQ(arith({"ns", "d"}, false, 1).status, Status::not_found);
  EXPECT_EQ(tree_.stats().nodes, 2u);  // nothing created
}

TEST_F(StoreRulesTest, NineteenDigitsAndLeadingZeros) {
  put({"n"}, "9999999999999999999");  // the longest number read without strtoull
  EXPECT_EQ(arith({"n"}, true, 1).value, 10000000000000000000u);
  EXPECT_EQ(data({"n"}), "10000000000000000000");
  EXPECT_EQ(arith({"n"}, false, 1).value, 9999999999999999999u);  // 20 digits: strtoull's
  put({"z"}, "0000000000000000007");
  EXPECT_EQ(arith({"z"}, true, 1).value, 8u);
  EXPECT_EQ(data({"z"}), "8" + std::string(18, ' '));
  put({"s"}, "7 ");  // a padded number
  EXPECT_EQ(arith({"s"}, true, 1).value, 8u);
  put({"m"}, "1-2");
  EXPECT_EQ(arith({"m"}, true, 1).status, Status::non_numeric);
}

TEST_F(StoreRulesTest, ANonNumericIncrStillTakesAUnique) {
  const uint64_t first = put({"n"}, "abc");
  ASSERT_EQ(arith({"n"}, true, 1).status, Status::non_numeric);
  EXPECT_EQ(get({"n"})->cas, first);
  EXPECT_EQ(put({"m"}, "1"), first + 2);  // the incr used up first + 1
}

}  // namespace
}  // namespace nestcache
