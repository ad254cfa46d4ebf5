// Expiry on a ManualClock: memcached's exptime rules, deadlines that bound whole subtrees, touch,
// read_and_touch (gat) and flush.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
using ::testing::Optional;

class ExpiryTest : public TreeFixture {
 protected:
  // A set with `exptime` as a client sends it (relative, absolute, negative or 0).
  UpdateResult store(const Path& path, std::string_view data, int64_t exptime) {
    return set_value(tree_, path, data, 0, absolute_exptime(exptime, clock_.now()));
  }

  void put(const Path& path, std::string_view data, int64_t exptime = 0) {
    EXPECT_EQ(store(path, data, exptime).outcome, UpdateOutcome::stored) << joined(path);
  }

  Status touch(const Path& path, int64_t exptime) {
    return tree_.touch(path, absolute_exptime(exptime, clock_.now()));
  }
};

// ---- memcached's exptime rules -----------------------------------------------------------------

TEST_F(ExpiryTest, ZeroNeverExpires) {
  put({"a"}, "v", 0);
  at(10 * 365 * 86400);
  EXPECT_EQ(data({"a"}), "v");
}

TEST_F(ExpiryTest, RelativeExptime) {
  put({"a"}, "v", 10);
  at(9);
  EXPECT_EQ(data({"a"}), "v");
  at(10);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, LongestRelativeExptime) {
  put({"a"}, "v", kMaxRelativeExptime);  // 30 days, still relative
  at(kMaxRelativeExptime - 1);
  EXPECT_EQ(data({"a"}), "v");
  at(kMaxRelativeExptime);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, AbsoluteExptime) {
  put({"a"}, "v", kStart + 100);
  at(99);
  EXPECT_EQ(data({"a"}), "v");
  at(100);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, AbsoluteExptimeInThePastIsExpiredAtOnce) {
  EXPECT_EQ(store({"a"}, "v", kMaxRelativeExptime + 1).outcome, UpdateOutcome::stored);  // 1970
  EXPECT_FALSE(data({"a"}));
  EXPECT_EQ(store({"b"}, "v", kStart).outcome, UpdateOutcome::stored);  // exactly now
  EXPECT_FALSE(data({"b"}));
}

TEST_F(ExpiryTest, NegativeExptimeIsExpiredAtOnce) {
  EXPECT_EQ(store({"a", "b"}, "v", -1).outcome, UpdateOutcome::stored);
  EXPECT_FALSE(data({"a", "b"}));
  EXPECT_EQ(store({"c"}, "v", -1000).outcome, UpdateOutcome::stored);
  EXPECT_FALSE(data({"c"}));
}

TEST_F(ExpiryTest, NegativeExptimeRemovesAnOldValue) {
  put({"a"}, "old");
  EXPECT_EQ(store({"a"}, "new", -1).outcome, UpdateOutcome::stored);
  EXPECT_FALSE(data({"a"}));
  EXPECT_EQ(rewrite_value(tree_, {"a"}, "x").outcome, UpdateOutcome::unchanged);
}

TEST_F(ExpiryTest, ARewriteThatKeepsTheDeadline) {
  put({"a"}, "v", 10);
  EXPECT_EQ(rewrite_value(tree_, {"a"}, "vw").outcome, UpdateOutcome::stored);
  at(10);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, SetReplacesTheDeadline) {
  put({"a"}, "v", 10);
  put({"a"}, "w", 0);
  at(1000);
  EXPECT_EQ(data({"a"}), "w");
}

// ---- deadlines bound subtrees ------------------------------------------------------------------

class NamespaceExpiryTest : public ExpiryTest {
 protected:
  // tenants -> {t1, t2}; t1 holds a deep subtree and gets a deadline at +60 (valueless).
  void SetUp() override {
    put({"tenants", "t1", "users", "u1", "name"}, "ann");
    put({"tenants", "t1", "users", "u2", "name"}, "bob");
    put({"tenants", "t1", "conf"}, "c");
    put({"tenants", "t2", "users", "u3"}, "cid");
    put({"other"}, "o");
    ASSERT_EQ(touch({"tenants", "t1"}, 60), Status::touched);
    at(59);
    ASSERT_EQ(data({"tenants", "t1", "users", "u1", "name"}), "ann");
    at(60);
  }
};

TEST_F(NamespaceExpiryTest, ReadsBelowTheExpiredNodeMiss) {
  EXPECT_FALSE(data({"tenants", "t1", "users", "u1", "name"}));
  EXPECT_FALSE(data({"tenants", "t1", "users", "u2", "name"}));
  EXPECT_FALSE(data({"tenants", "t1", "conf"}));
  EXPECT_EQ(data({"tenants", "t2", "users", "u3"}), "cid");
}

TEST_F(NamespaceExpiryTest, ChildrenOfAncestorsNoLongerListIt) {
  // Listings first: nothing has detached the expired node yet.
  EXPECT_THAT(children({"tenants"}), Optional(ElementsAre("t2")));
  EXPECT_FALSE(children({"tenants", "t1"}));
  EXPECT_FALSE(children({"tenants", "t1", "users"}));
}

TEST_F(NamespaceExpiryTest, WalkSkipsIt) {
  EXPECT_THAT(walk({}), ElementsAre("other", "tenants t2 users u3"));
  EXPECT_THAT(walk({"tenants"}), ElementsAre("tenants t2 users u3"));
  EXPECT_THAT(walk({"tenants", "t1"}), IsEmpty());
  EXPECT_FALSE(tree_.walk({"tenants", "t1", "users"}, [](const Path&, const ValueView&) {}));
}

TEST_F(NamespaceExpiryTest, UpdatesBelowItFindNothing) {
  EXPECT_EQ(rewrite_value(tree_, {"tenants", "t1", "conf"}, "x").outcome, UpdateOutcome::unchanged);
  EXPECT_EQ(touch({"tenants", "t1", "users"}, 100), Status::not_found);
  EXPECT_EQ(tree_.remove({"tenants", "t1", "users"}), Status::not_found);
  EXPECT_EQ(tree_.remove({"tenants", "t1"}), Status::not_found);
  EXPECT_EQ(tree_.remove_value({"tenants", "t1", "conf"}), Status::not_found);
}

TEST_F(NamespaceExpiryTest, ALaterStoreRecreatesAFreshNode) {
  put({"tenants", "t1", "users", "u9"}, "new");
  EXPECT_THAT(children({"tenants", "t1"}), Optional(ElementsAre("users")));
  EXPECT_THAT(children({"tenants", "t1", "users"}), Optional(ElementsAre("u9")));
  EXPECT_FALSE(data({"tenants", "t1", "users", "u1", "name"}));
  EXPECT_FALSE(data({"tenants", "t1", "conf"}));
  // The fresh node carries no deadline of its predecessor.
  at(100000);
  EXPECT_EQ(data({"tenants", "t1", "users", "u9"}), "new");
}

TEST_F(NamespaceExpiryTest, AnUpdateSeesNoValueAtTheExpiredNode) {
  UpdatePolicy create;
  create.create = true;
  bool saw_none = false;
  const NewValue fresh{"fresh"};
  EXPECT_EQ(tree_
                .update({"tenants", "t1"}, create,
                        [&](const ValueView* current) {
                          saw_none = current == nullptr;
                          return &fresh;
                        })
                .outcome,
            UpdateOutcome::stored);
  EXPECT_TRUE(saw_none);
  EXPECT_EQ(data({"tenants", "t1"}), "fresh");
  EXPECT_THAT(children({"tenants", "t1"}), Optional(IsEmpty()));
}

TEST_F(ExpiryTest, TopLevelNamespaceDeadline) {
  put({"ns", "a"}, "1");
  put({"ns", "b", "c"}, "2");
  put({"keep"}, "k");
  ASSERT_EQ(touch({"ns"}, 5), Status::touched);
  at(5);
  EXPECT_THAT(children({}), Optional(ElementsAre("keep")));
  EXPECT_THAT(walk({}), ElementsAre("keep"));
  EXPECT_FALSE(children({"ns"}));
  EXPECT_FALSE(data({"ns", "b", "c"}));
}

TEST_F(ExpiryTest, AValuedNodesDeadlineBoundsItsChildren) {
  put({"a"}, "parent", 10);
  put({"a", "b"}, "child", 0);  // no deadline of its own
  put({"a", "c"}, "child", 1000);
  at(10);
  EXPECT_FALSE(data({"a", "b"}));
  EXPECT_FALSE(data({"a", "c"}));
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, AChildsDeadlineLeavesItsParent) {
  put({"a"}, "parent");
  put({"a", "b"}, "child", 5);
  put({"a", "b", "c"}, "grandchild");
  at(5);
  EXPECT_THAT(children({"a"}), Optional(IsEmpty()));
  EXPECT_FALSE(data({"a", "b", "c"}));
  EXPECT_EQ(data({"a"}), "parent");
}

TEST_F(ExpiryTest, ReadingAnExpiredLeafPrunesEmptyAncestors) {
  put({"a", "b", "c"}, "v", 5);
  at(5);
  EXPECT_FALSE(data({"a", "b", "c"}));
  EXPECT_THAT(children({}), Optional(IsEmpty()));
  EXPECT_FALSE(children({"a"}));
  EXPECT_EQ(tree_.remove({"a"}), Status::not_found);
}

TEST_F(ExpiryTest, StrictParentsRefuseAnExpiredParent) {
  ManualClock clock(kStart);
  Tree strict(clock, TreeOptions{.strict_parents = true});
  ASSERT_EQ(set_value(strict, {"a"}, "v", 0, kStart + 5).outcome, UpdateOutcome::stored);
  ASSERT_EQ(set_value(strict, {"a", "b"}, "v").outcome, UpdateOutcome::stored);
  clock.set(kStart + 5);
  EXPECT_EQ(set_value(strict, {"a", "c"}, "v").outcome, UpdateOutcome::no_parent);
  EXPECT_EQ(set_value(strict, {"a"}, "v").outcome, UpdateOutcome::stored);
  EXPECT_EQ(set_value(strict, {"a", "c"}, "v").outcome, UpdateOutcome::stored);
}

// An expired node takes with it the ancestors it leaves empty, at once: no listing, delete or
// touch may still see them (these checks come before any read that passes through the node).
TEST_F(ExpiryTest, AncestorsLeftEmptyGoAtOnce) {
  put({"tenants", "t1", "users", "u1"}, "v");
  put({"a", "b", "c", "d"}, "v");
  put({"other"}, "o");
  ASSERT_EQ(touch({"tenants", "t1"}, 10), Status::touched);
  ASSERT_EQ(touch({"a", "b", "c"}, 10), Status::touched);
  at(10);
  EXPECT_THAT(children({}), Optional(ElementsAre("other")));
  EXPECT_THAT(walk({}), ElementsAre("other"));
  EXPECT_FALSE(children({"tenants"}));
  EXPECT_FALSE(children({"a", "b"}));
  EXPECT_EQ(touch({"tenants"}, 100), Status::not_found);
  EXPECT_EQ(tree_.remove({"a"}), Status::not_found);
  EXPECT_EQ(tree_.remove({"a", "b"}), Status::not_found);
}

TEST_F(ExpiryTest, AValuedAncestorStaysWhenItsChildExpires) {
  put({"a"}, "v");
  put({"a", "b", "c"}, "w");
  ASSERT_EQ(touch({"a", "b"}, 10), Status::touched);
  at(10);
  EXPECT_THAT(children({}), Optional(ElementsAre("a")));
  EXPECT_THAT(children({"a"}), Optional(IsEmpty()));
  EXPECT_THAT(walk({}), ElementsAre("a"));
}

TEST_F(ExpiryTest, StrictParentsDoNotSeeAnAncestorLeftEmpty) {
  ManualClock clock(kStart);
  Tree strict(clock, TreeOptions{.strict_parents = true});
  ASSERT_EQ(set_value(strict, {"ns"}, "v").outcome, UpdateOutcome::stored);
  ASSERT_EQ(set_value(strict, {"ns", "t"}, "v").outcome, UpdateOutcome::stored);
  ASSERT_EQ(strict.remove_value({"ns"}), Status::deleted);  // ns: valueless, one child
  ASSERT_EQ(strict.touch({"ns", "t"}, kStart + 5), Status::touched);
  clock.set(kStart + 5);
  EXPECT_EQ(set_value(strict, {"ns", "u"}, "v").outcome, UpdateOutcome::no_parent);
}

// ---- touch and read_and_touch ------------------------------------------------------------------

TEST_F(ExpiryTest, TouchOnAValuelessNodeBoundsItsSubtree) {
  put({"ns", "x", "y"}, "1");
  put({"ns", "z"}, "2");
  EXPECT_EQ(touch({"ns"}, 30), Status::touched);
  at(29);
  EXPECT_EQ(data({"ns", "x", "y"}), "1");
  at(30);
  EXPECT_FALSE(data({"ns", "z"}));
  EXPECT_FALSE(data({"ns", "x", "y"}));
}

TEST_F(ExpiryTest, TouchMissingOrExpiredIsNotFound) {
  EXPECT_EQ(touch({"nope"}, 10), Status::not_found);
  put({"a"}, "v", 5);
  at(5);
  EXPECT_EQ(touch({"a"}, 10), Status::not_found);
}

TEST_F(ExpiryTest, TouchExtendsAndClearsDeadlines) {
  put({"a"}, "v", 10);
  at(5);
  ASSERT_EQ(touch({"a"}, 20), Status::touched);  // now +25
  at(24);
  EXPECT_EQ(data({"a"}), "v");
  ASSERT_EQ(touch({"a"}, 0), Status::touched);  // never
  at(100000);
  EXPECT_EQ(data({"a"}), "v");
}

TEST_F(ExpiryTest, TouchCanShortenADeadline) {
  put({"a"}, "v", 1000);
  ASSERT_EQ(touch({"a"}, 3), Status::touched);
  at(3);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, ReadAndTouchMovesTheDeadline) {
  put({"a", "b"}, "v", 10);
  at(5);
  int64_t seen = -1;
  EXPECT_TRUE(tree_.read_and_touch({"a", "b"}, absolute_exptime(20, clock_.now()),
                                   [&](const ValueView& value) {
                                     EXPECT_EQ(value.data, "v");
                                     seen = value.exptime;
                                   }));
  EXPECT_EQ(seen, kStart + 25);
  at(24);
  EXPECT_EQ(data({"a", "b"}), "v");
  at(25);
  EXPECT_FALSE(data({"a", "b"}));
}

TEST_F(ExpiryTest, ReadAndTouchMissesOnMissingValuelessAndExpired) {
  auto fail = [](const ValueView&) { ADD_FAILURE() << "visited"; };
  EXPECT_FALSE(tree_.read_and_touch({"a"}, 0, fail));
  put({"ns", "c"}, "v");
  EXPECT_FALSE(tree_.read_and_touch({"ns"}, kStart + 5, fail));
  at(5);
  EXPECT_EQ(data({"ns", "c"}), "v");  // the miss did not touch the valueless node
  put({"e"}, "v", 1);
  at(6);
  EXPECT_FALSE(tree_.read_and_touch({"e"}, 0, fail));
}

// ---- flush -------------------------------------------------------------------------------------

TEST_F(ExpiryTest, FlushNowEmptiesTheTree) {
  for (int i = 0; i < 100; ++i) put({"ns" + std::to_string(i), "k"}, "v");
  put({"a"}, "v");
  tree_.flush(clock_.now());
  EXPECT_FALSE(data({"a"}));
  EXPECT_FALSE(data({"ns7", "k"}));
  EXPECT_THAT(children({}), Optional(IsEmpty()));
  EXPECT_THAT(walk({}), IsEmpty());
  while (tree_.collect()) {
  }
  const TreeStats stats = tree_.stats();
  EXPECT_EQ(stats.nodes, 0u);
  EXPECT_EQ(stats.items, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  // The tree is usable again.
  put({"a"}, "again");
  EXPECT_EQ(data({"a"}), "again");
}

TEST_F(ExpiryTest, FlushInThePastIsAtOnce) {
  put({"a"}, "v");
  tree_.flush(kStart - 100);
  EXPECT_FALSE(data({"a"}));
}

TEST_F(ExpiryTest, DelayedFlushAppliesAtItsTimeAndNotBefore) {
  put({"a"}, "v");
  put({"b", "c"}, "v");
  tree_.flush(kStart + 10);
  at(5);
  put({"later"}, "v");
  at(9);
  EXPECT_EQ(data({"a"}), "v");
  EXPECT_EQ(data({"b", "c"}), "v");
  EXPECT_THAT(children({}), Optional(ElementsAre("a", "b", "later")));
  at(10);
  EXPECT_THAT(children({}), Optional(IsEmpty()));
  EXPECT_FALSE(data({"a"}));
  EXPECT_FALSE(data({"b", "c"}));
  EXPECT_FALSE(data({"later"}));
  // Stores after the flush time stay.
  put({"after"}, "v");
  at(20);
  EXPECT_EQ(data({"after"}), "v");
}

TEST_F(ExpiryTest, DelayedFlushAppliesThroughCollectAlone) {
  for (int i = 0; i < 50; ++i) put({"k" + std::to_string(i)}, "v");
  tree_.flush(kStart + 10);
  at(10);
  while (tree_.collect()) {
  }
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(ExpiryTest, ImmediateFlushCancelsAPendingOne) {
  tree_.flush(kStart + 10);
  tree_.flush(kStart);
  put({"a"}, "v");
  at(10);
  EXPECT_EQ(data({"a"}), "v");
}

TEST_F(ExpiryTest, LaterDelayedFlushReplacesAnEarlierOne) {
  put({"a"}, "v");
  tree_.flush(kStart + 10);
  tree_.flush(kStart + 20);
  at(10);
  EXPECT_EQ(data({"a"}), "v");
  at(20);
  EXPECT_FALSE(data({"a"}));
}

// ---- figures -----------------------------------------------------------------------------------

TEST_F(ExpiryTest, ExpiredValuesStayCountedUntilFreed) {
  put({"a"}, "v", 5);
  put({"b"}, "v");
  at(5);
  EXPECT_FALSE(data({"a"}));  // detached now; freed by the next collect
  while (tree_.collect()) {
  }
  const TreeStats stats = tree_.stats();
  EXPECT_EQ(stats.nodes, 1u);
  EXPECT_EQ(stats.items, 1u);
  EXPECT_EQ(stats.expired_unfetched, 1u);
}

TEST_F(ExpiryTest, ExpiredUnfetchedSkipsValuesThatWereRead) {
  put({"read"}, "v", 5);
  put({"unread"}, "v", 5);
  ASSERT_TRUE(data({"read"}));
  at(5);
  while (tree_.collect()) {
  }
  EXPECT_EQ(tree_.stats().expired_unfetched, 1u);
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

}  // namespace
}  // namespace nestcache
