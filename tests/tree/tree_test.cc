// The tree's structure and values: the write primitive (update), implicit parents, pruning,
// subtree deletes, listings, walks and the figures behind `stats`. memcached's store modes and
// incr/decr are rules over update, tested in tests/engine/store_rules_test.cc. Expiry is in
// expiry_test.cc, the background reclaiming in collect_test.cc.
#include "nestcache/tree/tree.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One walk step: the full path joined by ' ', and the data.
using Visited = std::pair<std::string, std::string>;

class TreeTest : public TreeFixture {
 protected:
  explicit TreeTest(TreeOptions options = {}) : TreeFixture(options) {}

  // The valued nodes walk() visits, with their data.
  std::vector<Visited> walk_values(const Path& path) {
    std::vector<Visited> visited;
    tree_.walk(path, [&](const Path& full, const ValueView& value) {
      visited.emplace_back(joined(full), std::string(value.data));
    });
    return visited;
  }
};

class StrictTreeTest : public TreeTest {
 protected:
  StrictTreeTest() : TreeTest(TreeOptions{.strict_parents = true}) {}
};

// ---- writes: Tree::update
// ---------------------------------------------------------------------------------

TEST_F(TreeTest, UpdateGivesTheFunctionTheLiveValueAndWritesWhatItReturns) {
  const uint64_t first = put({"ns", "k"}, "old", 5);
  std::optional<Got> seen;
  const NewValue next{"new", 9, kStart + 60, false};
  const UpdateResult result =
      tree_.update({"ns", "k"}, UpdatePolicy{}, [&](const ValueView* current) {
        if (current != nullptr) {
          seen = Got{std::string(current->data), current->flags, current->exptime, current->cas};
        }
        return &next;
      });
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->data, "old");
  EXPECT_EQ(seen->flags, 5u);
  EXPECT_EQ(seen->cas, first);
  ASSERT_EQ(result.outcome, UpdateOutcome::stored);
  EXPECT_GT(result.cas, first);
  const auto got = get({"ns", "k"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "new");
  EXPECT_EQ(got->flags, 9u);
  EXPECT_EQ(got->exptime, kStart + 60);
  EXPECT_EQ(got->cas, result.cas);
}

// An empty value may come with no bytes at all (mg N creates one from a default string_view):
// stored without touching the null pointer (UBSan flagged the memcpy in the fuzzer).
TEST_F(TreeTest, AnEmptyValueWithNoBytesBehindItIsStored) {
  const UpdateResult result = set_value(tree_, {"v"}, std::string_view{});
  EXPECT_EQ(result.outcome, UpdateOutcome::stored);
  EXPECT_EQ(data({"v"}), "");
  put({"v"}, "now");
  EXPECT_EQ(data({"v"}), "now");
}

TEST_F(TreeTest, UpdateThatReturnsNothingChangesNothing) {
  const uint64_t cas = put({"a"}, "v", 3);
  const UpdateResult result =
      tree_.update({"a"}, UpdatePolicy{}, [](const ValueView*) { return nullptr; });
  EXPECT_EQ(result.outcome, UpdateOutcome::unchanged);
  EXPECT_EQ(get({"a"})->cas, cas);
  EXPECT_EQ(tree_.stats().total_items, 1u);
  // Declined below missing parents that `create` would make: none are left behind.
  UpdatePolicy create;
  create.create = true;
  bool saw_none = false;
  EXPECT_EQ(tree_
                .update({"x", "y", "z"}, create,
                        [&](const ValueView* current) {
                          saw_none = current == nullptr;
                          return nullptr;
                        })
                .outcome,
            UpdateOutcome::unchanged);
  EXPECT_TRUE(saw_none);
  EXPECT_EQ(tree_.stats().nodes, 1u);
  EXPECT_FALSE(children({"x"}));
}

TEST_F(TreeTest, UpdateWithoutCreateMakesNoNode) {
  put({"a", "b"}, "v");
  EXPECT_EQ(rewrite_value(tree_, {"a", "c"}, "x").outcome, UpdateOutcome::unchanged);
  EXPECT_EQ(rewrite_value(tree_, {"p", "q", "r"}, "x").outcome, UpdateOutcome::unchanged);
  EXPECT_EQ(rewrite_value(tree_, {"a"}, "x").outcome, UpdateOutcome::unchanged);  // valueless
  EXPECT_FALSE(get({"a"}));
  // A function that gives a value where there is no node does not make one without `create`.
  const NewValue x{"x"};
  EXPECT_EQ(tree_.update({"a", "d"}, UpdatePolicy{}, [&](const ValueView*) { return &x; }).outcome,
            UpdateOutcome::unchanged);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b")));
  EXPECT_EQ(tree_.stats().nodes, 2u);
}

TEST_F(TreeTest, UpdateKeepsTheDeadlineWhenAskedTo) {
  put_until({"a"}, "v", kStart + 10, 4);
  ASSERT_EQ(rewrite_value(tree_, {"a"}, "longer value").outcome, UpdateOutcome::stored);
  const auto got = get({"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->exptime, kStart + 10);
  EXPECT_EQ(got->flags, 4u);
  at(10);
  EXPECT_FALSE(get({"a"}));
}

TEST_F(TreeTest, UpdatePolicyCountsAndUniques) {
  const uint64_t first = put({"n"}, "1");
  UpdatePolicy policy;
  policy.counts_as_item = false;
  policy.unique_on_hit = true;
  // A unique is taken on a hit even when nothing is written.
  EXPECT_EQ(tree_.update({"n"}, policy, [](const ValueView*) { return nullptr; }).outcome,
            UpdateOutcome::unchanged);
  // And none on a miss.
  EXPECT_EQ(tree_.update({"m"}, policy, [](const ValueView*) { return nullptr; }).outcome,
            UpdateOutcome::unchanged);
  NewValue two{"2"};
  const UpdateResult written = tree_.update({"n"}, policy, [&](const ValueView* current) {
    two.flags = current->flags;
    two.keep_exptime = true;
    return &two;
  });
  ASSERT_EQ(written.outcome, UpdateOutcome::stored);
  EXPECT_EQ(written.cas, first + 2);
  EXPECT_EQ(get({"n"})->cas, first + 2);
  EXPECT_EQ(tree_.stats().total_items, 1u);  // not counted as a store
  EXPECT_EQ(put({"n"}, "3"), first + 3);
  EXPECT_EQ(tree_.stats().total_items, 2u);
}

TEST_F(TreeTest, UpdateReservesUnderTheBudgetOnlyWhenAsked) {
  ManualClock clock;
  Tree small(clock, TreeOptions{false, kDefaultMaxDepth, 4096, /*evict=*/false});
  EXPECT_EQ(set_value(small, {"big"}, std::string(8192, 'x')).outcome,
            UpdateOutcome::out_of_memory);
  EXPECT_EQ(small.stats().nodes, 0u);
  ASSERT_EQ(set_value(small, {"n"}, "1").outcome, UpdateOutcome::stored);
}

TEST_F(TreeTest, SetAndReadTopLevel) {
  const uint64_t cas = put({"a"}, "hello", 42);
  EXPECT_GT(cas, 0u);
  const auto got = get({"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "hello");
  EXPECT_EQ(got->flags, 42u);
  EXPECT_EQ(got->cas, cas);
  EXPECT_FALSE(get({"b"}));
}

TEST_F(TreeTest, SetOverwritesValueAndFlags) {
  put({"a"}, "one", 1);
  put({"a"}, "two", 2);
  const auto got = get({"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "two");
  EXPECT_EQ(got->flags, 2u);
}

TEST_F(TreeTest, EmptyValueIsAValue) {
  put({"a"}, "");
  const auto got = get({"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "");
}

TEST_F(TreeTest, SetNestedCreatesValuelessParents) {
  put({"users", "42", "name"}, "bob");
  EXPECT_EQ(data({"users", "42", "name"}), "bob");
  // Implicit parents exist as nodes but hold no value.
  EXPECT_FALSE(get({"users"}));
  EXPECT_FALSE(get({"users", "42"}));
  EXPECT_THAT(children({}), ::testing::Optional(ElementsAre("users")));
  EXPECT_THAT(children({"users"}), ::testing::Optional(ElementsAre("42")));
  EXPECT_THAT(children({"users", "42"}), ::testing::Optional(ElementsAre("name")));
  EXPECT_THAT(children({"users", "42", "name"}), ::testing::Optional(IsEmpty()));
  const TreeStats stats = tree_.stats();
  EXPECT_EQ(stats.nodes, 3u);
  EXPECT_EQ(stats.items, 1u);
  EXPECT_EQ(stats.max_depth, 3u);
}

TEST_F(TreeTest, SamePathNamesInDifferentBranchesAreDistinct) {
  put({"a", "x"}, "1");
  put({"b", "x"}, "2");
  put({"a", "a"}, "3");
  EXPECT_EQ(data({"a", "x"}), "1");
  EXPECT_EQ(data({"b", "x"}), "2");
  EXPECT_EQ(data({"a", "a"}), "3");
  EXPECT_FALSE(get({"x"}));
}

TEST_F(TreeTest, SetKeepsChildren) {
  put({"a", "b"}, "child");
  put({"a"}, "parent");
  put({"a"}, "parent2");
  EXPECT_EQ(data({"a"}), "parent2");
  EXPECT_EQ(data({"a", "b"}), "child");
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b")));
}

TEST_F(TreeTest, PathDeeperThanMaxDepthIsNotStored) {
  ManualClock clock;
  Tree shallow(clock, TreeOptions{.strict_parents = false, .max_depth = 3});
  EXPECT_EQ(set_value(shallow, {"a", "b", "c"}, "x").outcome, UpdateOutcome::stored);
  EXPECT_EQ(set_value(shallow, {"a", "b", "c", "d"}, "x").outcome, UpdateOutcome::bad_path);
  EXPECT_EQ(shallow.stats().nodes, 3u);
  EXPECT_EQ(shallow.stats().max_depth, 3u);
}

TEST_F(TreeTest, EmptyPathIsRefusedEverywhere) {
  EXPECT_EQ(set_value(tree_, {}, "x").outcome, UpdateOutcome::bad_path);
  EXPECT_EQ(rewrite_value(tree_, {}, "x").outcome, UpdateOutcome::bad_path);
  EXPECT_FALSE(get({}));
  EXPECT_EQ(tree_.remove({}), Status::not_found);
  EXPECT_EQ(tree_.remove_value({}), Status::not_found);
  EXPECT_EQ(tree_.touch({}, 0), Status::not_found);
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(TreeTest, ManyLevelsDeep) {
  std::vector<std::string> names;
  for (int i = 0; i < 32; ++i) names.push_back("s" + std::to_string(i));
  Path path;
  for (const std::string& name : names) path.push_back(name);
  put(path, "deep");
  EXPECT_EQ(data(path), "deep");
  EXPECT_EQ(tree_.stats().max_depth, 32u);
  EXPECT_EQ(tree_.stats().nodes, 32u);
  EXPECT_EQ(tree_.remove(path), Status::deleted);
  EXPECT_EQ(tree_.stats().nodes, 0u);
  EXPECT_EQ(tree_.stats().max_depth, 0u);
}

// ---- strict parents ----------------------------------------------------------------------------

TEST_F(StrictTreeTest, MissingParentIsNoParent) {
  EXPECT_EQ(set_value(tree_, {"a", "b"}, "x").outcome, UpdateOutcome::no_parent);
  EXPECT_EQ(tree_.stats().nodes, 0u);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
}

TEST_F(StrictTreeTest, TopLevelAlwaysWorks) {
  EXPECT_EQ(set_value(tree_, {"a"}, "x").outcome, UpdateOutcome::stored);
  EXPECT_EQ(data({"a"}), "x");
}

TEST_F(StrictTreeTest, EachLevelMustExistFirst) {
  put({"a"}, "1");
  EXPECT_EQ(set_value(tree_, {"a", "b", "c"}, "x").outcome, UpdateOutcome::no_parent);
  EXPECT_EQ(set_value(tree_, {"a", "b"}, "2").outcome, UpdateOutcome::stored);
  EXPECT_EQ(set_value(tree_, {"a", "b", "c"}, "3").outcome, UpdateOutcome::stored);
  EXPECT_EQ(data({"a", "b", "c"}), "3");
}

TEST_F(StrictTreeTest, ValuelessParentCounts) {
  put({"a"}, "1");
  put({"a", "b"}, "2");
  ASSERT_EQ(tree_.remove_value({"a"}), Status::deleted);  // a stays, valueless, for its child
  ASSERT_FALSE(get({"a"}));
  EXPECT_EQ(set_value(tree_, {"a", "c"}, "3").outcome, UpdateOutcome::stored);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b", "c")));
}

// ---- delete and pruning ------------------------------------------------------------------------

TEST_F(TreeTest, DeletingLastChildPrunesValuelessAncestors) {
  put({"a", "b", "c", "d"}, "x");
  EXPECT_EQ(tree_.remove({"a", "b", "c", "d"}), Status::deleted);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
  EXPECT_FALSE(children({"a"}));
  EXPECT_EQ(tree_.remove({"a"}), Status::not_found);
  const TreeStats stats = tree_.stats();
  EXPECT_EQ(stats.nodes, 0u);
  EXPECT_EQ(stats.items, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_EQ(stats.max_depth, 0u);
}

TEST_F(TreeTest, PruningStopsAtAValuedAncestor) {
  put({"a"}, "keep");
  put({"a", "b", "c"}, "x");
  EXPECT_EQ(tree_.remove({"a", "b", "c"}), Status::deleted);
  EXPECT_EQ(data({"a"}), "keep");
  EXPECT_THAT(children({"a"}), ::testing::Optional(IsEmpty()));
  EXPECT_FALSE(children({"a", "b"}));
  EXPECT_EQ(tree_.stats().nodes, 1u);
}

TEST_F(TreeTest, PruningStopsAtAnAncestorWithOtherChildren) {
  put({"a", "b", "c"}, "x");
  put({"a", "d"}, "y");
  EXPECT_EQ(tree_.remove({"a", "b", "c"}), Status::deleted);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("d")));
  EXPECT_EQ(tree_.stats().nodes, 2u);
}

TEST_F(TreeTest, DeleteRemovesTheWholeSubtree) {
  put({"a", "b"}, "1");
  put({"a", "b", "c"}, "2");
  put({"a", "b", "d", "e"}, "3");
  put({"a", "x"}, "4");
  EXPECT_EQ(tree_.remove({"a", "b"}), Status::deleted);
  EXPECT_FALSE(get({"a", "b"}));
  EXPECT_FALSE(get({"a", "b", "c"}));
  EXPECT_FALSE(get({"a", "b", "d", "e"}));
  EXPECT_FALSE(children({"a", "b"}));
  EXPECT_FALSE(children({"a", "b", "d"}));
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("x")));
  EXPECT_EQ(data({"a", "x"}), "4");
  EXPECT_EQ(tree_.remove({"a", "b"}), Status::not_found);
  EXPECT_EQ(tree_.stats().nodes, 2u);
  EXPECT_EQ(tree_.stats().items, 1u);
}

TEST_F(TreeTest, DeleteWorksOnAValuelessNode) {
  put({"ns", "a"}, "1");
  put({"ns", "b", "c"}, "2");
  EXPECT_EQ(tree_.remove({"ns"}), Status::deleted);
  EXPECT_FALSE(get({"ns", "a"}));
  EXPECT_FALSE(get({"ns", "b", "c"}));
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(TreeTest, DeleteOfAMissingNodeIsNotFound) {
  EXPECT_EQ(tree_.remove({"nope"}), Status::not_found);
  put({"a", "b"}, "1");
  EXPECT_EQ(tree_.remove({"a", "c"}), Status::not_found);
  EXPECT_EQ(tree_.remove({"a", "b", "c"}), Status::not_found);
  EXPECT_EQ(tree_.remove({"b"}), Status::not_found);
  EXPECT_EQ(data({"a", "b"}), "1");
  EXPECT_EQ(tree_.stats().nodes, 2u);
}

TEST_F(TreeTest, ANodeCanBeRebuiltAfterDelete) {
  put({"a", "b"}, "1");
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  put({"a", "c"}, "2");
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("c")));
  EXPECT_FALSE(get({"a", "b"}));
  EXPECT_EQ(data({"a", "c"}), "2");
}

TEST_F(TreeTest, RemoveValueKeepsANodeWithChildren) {
  put({"a"}, "v");
  put({"a", "b"}, "c");
  EXPECT_EQ(tree_.remove_value({"a"}), Status::deleted);
  EXPECT_FALSE(get({"a"}));
  EXPECT_THAT(children({}), ::testing::Optional(ElementsAre("a")));
  EXPECT_EQ(data({"a", "b"}), "c");
  EXPECT_EQ(tree_.remove_value({"a"}), Status::not_found);  // no value left
  const TreeStats stats = tree_.stats();
  EXPECT_EQ(stats.nodes, 2u);
  EXPECT_EQ(stats.items, 1u);
}

TEST_F(TreeTest, RemoveValuePrunesALeafAndItsEmptyAncestors) {
  put({"a", "b", "c"}, "v");
  EXPECT_EQ(tree_.remove_value({"a", "b", "c"}), Status::deleted);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
  EXPECT_EQ(tree_.stats().nodes, 0u);
  EXPECT_EQ(tree_.remove_value({"a", "b", "c"}), Status::not_found);
  EXPECT_EQ(tree_.remove_value({"zzz"}), Status::not_found);
}

TEST_F(TreeTest, RemoveValueOfAValuelessNodeIsNotFoundAndChangesNothing) {
  put({"a", "b"}, "v");
  EXPECT_EQ(tree_.remove_value({"a"}), Status::not_found);
  EXPECT_EQ(data({"a", "b"}), "v");
  EXPECT_EQ(tree_.stats().nodes, 2u);
}

// ---- children and walks ------------------------------------------------------------------------

TEST_F(TreeTest, ChildrenAreSortedBytewise) {
  const std::vector<std::string> names = {"b", "a",        "B", "aa", "a0", "_",
                                          "~", "\xc3\xa9", "Z", "10", "9",  "z"};
  for (const std::string& name : names) put({"p", name}, "v");
  std::vector<std::string> expected = names;
  std::sort(expected.begin(), expected.end(), [](const std::string& x, const std::string& y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(), [](char c, char d) {
      return static_cast<unsigned char>(c) < static_cast<unsigned char>(d);
    });
  });
  ASSERT_EQ(expected.front(), "10");
  ASSERT_EQ(expected.back(), "\xc3\xa9");  // bytes >= 0x80 sort last
  EXPECT_THAT(children({"p"}), ::testing::Optional(expected));
}

TEST_F(TreeTest, ChildrenOfAMissingNodeIsFalse) {
  EXPECT_FALSE(children({"missing"}));
  put({"a"}, "1");
  EXPECT_FALSE(children({"a", "b"}));
}

TEST_F(TreeTest, ChildrenAppendToTheGivenVector) {
  put({"a", "x"}, "1");
  std::vector<std::string> names = {"already"};
  ASSERT_TRUE(tree_.children({"a"}, names));
  EXPECT_THAT(names, ElementsAre("already", "x"));
}

TEST_F(TreeTest, RootListingSpansShards) {
  // Far more names than shards, so every shard contributes; the merged list is sorted.
  std::vector<std::string> names;
  for (int i = 0; i < 500; ++i) names.push_back("ns" + std::to_string(i * 7919 % 1000));
  for (const std::string& name : names) put({name, "leaf"}, "v");
  std::vector<std::string> expected = names;
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  ASSERT_EQ(expected.size(), 500u);
  EXPECT_THAT(children({}), ::testing::Optional(expected));
}

TEST_F(TreeTest, WalkOfASubtree) {
  put({"a", "b"}, "ab");
  put({"a"}, "a");
  put({"a", "c", "d"}, "acd");  // a c is valueless: not visited
  put({"a", "b", "z"}, "abz");
  put({"a", "b", "e"}, "abe");
  put({"a", "B"}, "aB");
  put({"other"}, "o");
  EXPECT_THAT(walk_values({"a"}), ElementsAre(Visited{"a", "a"}, Visited{"a B", "aB"},
                                              Visited{"a b", "ab"}, Visited{"a b e", "abe"},
                                              Visited{"a b z", "abz"}, Visited{"a c d", "acd"}));
  EXPECT_THAT(walk_values({"a", "b"}),
              ElementsAre(Visited{"a b", "ab"}, Visited{"a b e", "abe"}, Visited{"a b z", "abz"}));
  EXPECT_THAT(walk_values({"a", "c"}), ElementsAre(Visited{"a c d", "acd"}));
  EXPECT_THAT(walk_values({"a", "b", "e"}), ElementsAre(Visited{"a b e", "abe"}));
}

TEST_F(TreeTest, WalkOfTheRoot) {
  put({"m", "x"}, "mx");
  put({"b"}, "b");
  put({"b", "a"}, "ba");
  put({"z", "y", "x"}, "zyx");
  put({"a"}, "a");
  EXPECT_THAT(walk_values({}),
              ElementsAre(Visited{"a", "a"}, Visited{"b", "b"}, Visited{"b a", "ba"},
                          Visited{"m x", "mx"}, Visited{"z y x", "zyx"}));
}

TEST_F(TreeTest, WalkReportsValuesAndMissingNodes) {
  EXPECT_TRUE(tree_.walk({}, [](const Path&, const ValueView&) {}));
  EXPECT_FALSE(tree_.walk({"missing"}, [](const Path&, const ValueView&) {}));
  const uint64_t cas = put({"a", "b"}, "data", 77);
  int visits = 0;
  EXPECT_TRUE(tree_.walk({"a"}, [&](const Path& full, const ValueView& value) {
    ++visits;
    EXPECT_EQ(joined(full), "a b");
    EXPECT_EQ(value.data, "data");
    EXPECT_EQ(value.flags, 77u);
    EXPECT_EQ(value.cas, cas);
  }));
  EXPECT_EQ(visits, 1);
}

// ---- stats -------------------------------------------------------------------------------------

TEST_F(TreeTest, StatsMatchAWalk) {
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("n" + std::to_string(i));
  uint64_t stores = 0;
  for (int i = 0; i < 40; ++i) {
    put({names[i % 7], names[i % 5], names[i]}, std::string(i + 1, 'x'));
    ++stores;
    if (i % 3 == 0) {
      put({names[i % 7]}, "top");
      ++stores;
    }
  }
  put({"deep", "1", "2", "3", "4", "5", "6"}, "d");
  ++stores;
  ASSERT_EQ(tree_.remove({names[1], names[1]}), Status::deleted);
  ASSERT_EQ(tree_.remove_value({names[0]}), Status::deleted);

  const TreeStats stats = tree_.stats();
  const WalkFigures figures = figures_of(tree_);
  EXPECT_EQ(stats.nodes, figures.nodes);
  EXPECT_EQ(stats.items, figures.items);
  EXPECT_EQ(stats.max_depth, figures.max_depth);
  EXPECT_EQ(stats.max_depth, 7u);
  EXPECT_GT(stats.bytes, figures.data_bytes);  // values plus per-node overhead
  EXPECT_EQ(stats.total_items, stores);
  EXPECT_EQ(stats.pending_free, 0u);
}

TEST_F(TreeTest, BytesFollowTheValueSize) {
  EXPECT_EQ(tree_.stats().bytes, 0u);
  put({"a", "b"}, "12345");
  const uint64_t base = tree_.stats().bytes;
  EXPECT_GT(base, 5u);
  put({"a", "b"}, std::string(105, 'x'));
  EXPECT_EQ(tree_.stats().bytes, base + 100);
  ASSERT_EQ(rewrite_value(tree_, {"a", "b"}, std::string(110, 'y')).outcome, UpdateOutcome::stored);
  EXPECT_EQ(tree_.stats().bytes, base + 105);
  put({"a", "b"}, "1");
  EXPECT_EQ(tree_.stats().bytes, base - 4);
  ASSERT_EQ(rewrite_value(tree_, {"a", "b"}, "1000").outcome, UpdateOutcome::stored);
  EXPECT_EQ(tree_.stats().bytes, base - 1);
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  EXPECT_EQ(tree_.stats().bytes, 0u);
}

TEST_F(TreeTest, MaxDepthFallsWhenTheDeepestNodeGoes) {
  put({"a"}, "1");
  put({"b", "c", "d"}, "2");
  EXPECT_EQ(tree_.stats().max_depth, 3u);
  ASSERT_EQ(tree_.remove({"b", "c", "d"}), Status::deleted);
  EXPECT_EQ(tree_.stats().max_depth, 1u);
}

// ---- a node with one child holds it directly ----------------------------------------------

// The figures of a tree built from scratch with just `paths` (each stored with its value), to
// compare a tree that got there by other stores and deletes against.
TreeStats stats_of(std::initializer_list<std::pair<Path, std::string_view>> paths) {
  ManualClock clock;
  Tree tree(clock);
  for (const auto& [path, value] : paths) put(tree, path, value);
  return tree.stats();
}

// `same_memory` when the two trees should also hold the same allocations (no table left behind,
// none missing); not when history left a roots table larger, or a node with a children slot.
void expect_same_figures(const TreeStats& got, const TreeStats& want, bool same_memory = false) {
  EXPECT_EQ(got.nodes, want.nodes);
  EXPECT_EQ(got.items, want.items);
  EXPECT_EQ(got.bytes, want.bytes);
  if (same_memory) {
    // malloc may hand out a chunk 16 bytes larger than the same request got before (it does not
    // split off a remainder too small to be a chunk), depending on what was freed earlier: up to
    // 16 bytes per node. A table left behind or missing is larger than that.
    const uint64_t slack = 16 * want.nodes;
    EXPECT_LE(got.allocated, want.allocated + slack);
    EXPECT_GE(got.allocated + slack, want.allocated);
  }
  EXPECT_EQ(got.max_depth, want.max_depth);
  EXPECT_EQ(got.pending_free, 0u);
}

TEST_F(TreeTest, OneChildThenTwoThenOneAgain) {
  put({"p", "b"}, "1");
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("b")));
  expect_same_figures(tree_.stats(), stats_of({{{"p", "b"}, "1"}}), true);

  put({"p", "a"}, "22");  // the second child: the first moves into a table
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("a", "b")));
  EXPECT_EQ(data({"p", "a"}), "22");
  EXPECT_EQ(data({"p", "b"}), "1");
  expect_same_figures(tree_.stats(), stats_of({{{"p", "b"}, "1"}, {{"p", "a"}, "22"}}), true);
  EXPECT_GT(tree_.stats().allocated, stats_of({{{"p", "b"}, "1"}}).allocated);

  ASSERT_EQ(tree_.remove({"p", "b"}), Status::deleted);  // one again: the table goes
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("a")));
  EXPECT_EQ(data({"p", "a"}), "22");
  expect_same_figures(tree_.stats(), stats_of({{{"p", "a"}, "22"}}), true);

  put({"p", "c"}, "3");  // and two again
  put({"p", "b"}, "4");
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("a", "b", "c")));
  ASSERT_EQ(tree_.remove({"p", "a"}), Status::deleted);
  ASSERT_EQ(tree_.remove({"p", "c"}), Status::deleted);
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("b")));
  expect_same_figures(tree_.stats(), stats_of({{{"p", "b"}, "4"}}), true);
}

TEST_F(TreeTest, ATableOfManyChildrenDownToOne) {
  for (int i = 0; i < 40; ++i) put({"p", "c" + std::to_string(i)}, "v");  // a hash set
  for (int i = 1; i < 40; ++i)
    ASSERT_EQ(tree_.remove({"p", "c" + std::to_string(i)}), Status::deleted);
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("c0")));
  expect_same_figures(tree_.stats(), stats_of({{{"p", "c0"}, "v"}}), true);
}

TEST_F(TreeTest, DeletingTheOnlyChild) {
  put({"v"}, "keep");
  put({"v", "only"}, "x");
  put({"n", "only", "deeper"}, "y");  // a chain of sole children under a valueless top
  ASSERT_EQ(tree_.remove({"v", "only"}), Status::deleted);
  EXPECT_EQ(data({"v"}), "keep");
  EXPECT_THAT(children({"v"}), ::testing::Optional(IsEmpty()));
  ASSERT_EQ(tree_.remove({"n", "only", "deeper"}), Status::deleted);  // prunes n and n/only
  EXPECT_FALSE(children({"n"}));
  expect_same_figures(tree_.stats(), stats_of({{{"v"}, "keep"}}));

  put({"v", "again"}, "z");  // the slot is reused
  EXPECT_THAT(children({"v"}), ::testing::Optional(ElementsAre("again")));
  ASSERT_EQ(tree_.remove_value({"v", "again"}), Status::deleted);
  EXPECT_THAT(children({"v"}), ::testing::Optional(IsEmpty()));
  expect_same_figures(tree_.stats(), stats_of({{{"v"}, "keep"}}));
}

TEST_F(TreeTest, AParentWithOneChildMovesAndKeepsIt) {
  put({"p"}, "short");
  put({"p", "c"}, "child");
  put({"p", "c", "g"}, "grandchild");
  put({"p"}, std::string(5000, 'L'));  // moves p: its only child must follow
  EXPECT_EQ(data({"p", "c"}), "child");
  put({"p", "c"}, std::string(3000, 'C'));  // moves c, the only child of p and parent of g
  EXPECT_EQ(data({"p", "c", "g"}), "grandchild");
  put({"p"}, "tiny");  // and back into a smaller allocation
  put({"p", "c"}, "small");
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("c")));
  EXPECT_THAT(children({"p", "c"}), ::testing::Optional(ElementsAre("g")));
  put({"p", "d"}, "second");  // a table now, built from the moved nodes
  EXPECT_THAT(children({"p"}), ::testing::Optional(ElementsAre("c", "d")));
  EXPECT_THAT(walk_values({"p"}),
              ElementsAre(Visited{"p", "tiny"}, Visited{"p c", "small"},
                          Visited{"p c g", "grandchild"}, Visited{"p d", "second"}));
  const TreeStats want = stats_of({{{"p"}, "tiny"},
                                   {{"p", "c"}, "small"},
                                   {{"p", "c", "g"}, "grandchild"},
                                   {{"p", "d"}, "second"}});
  EXPECT_EQ(tree_.stats().nodes, want.nodes);
  EXPECT_EQ(tree_.stats().items, want.items);
  EXPECT_EQ(tree_.stats().bytes, want.bytes);
}

// A detached subtree leaves `bytes` and `curr_items` at once, also when its top (or the node
// above it) holds a single child directly, and when a table was built over such a chain.
TEST_F(TreeTest, DetachingASubtreeUnderASoleChildCountsItOutAtOnce) {
  put({"keep"}, "k");
  put({"t", "u", "profile", "f0"}, "0");  // t -> u -> profile: sole children all the way
  put({"t", "u", "profile", "f1"}, "1");
  put({"t", "u"}, "user");
  put({"t", "u", "profile"}, "prof");
  EXPECT_EQ(tree_.stats().items, 5u);
  put({"t", "v"}, "x");  // t's table starts with the totals of the chain below u
  EXPECT_EQ(tree_.stats().items, 6u);

  ASSERT_EQ(tree_.remove({"t", "u"}), Status::deleted);  // t is down to one child again
  TreeStats stats = tree_.stats();
  EXPECT_EQ(stats.items, 2u);
  EXPECT_EQ(stats.bytes, stats_of({{{"keep"}, "k"}, {{"t", "v"}, "x"}}).bytes);

  put({"t", "v", "w", "y"}, "deep");                // v -> w -> y: a chain below the sole child v
  ASSERT_EQ(tree_.remove({"t"}), Status::deleted);  // the top holds its only child directly
  stats = tree_.stats();
  EXPECT_EQ(stats.items, 1u);
  EXPECT_EQ(stats.pending_free, 0u);  // small: freed inline
  expect_same_figures(stats, stats_of({{{"keep"}, "k"}}));
}

TEST_F(TreeTest, ExpiryOfASoleChildsSubtreeCountsItOut) {
  const int64_t start = clock_.now();
  put({"keep"}, "k");
  put({"a", "b", "c"}, "1");
  put({"a", "b", "c", "d"}, "2");
  ASSERT_EQ(tree_.touch({"a", "b"}, start + 10), Status::touched);  // bounds b and its subtree
  EXPECT_EQ(tree_.stats().items, 3u);
  clock_.set(start + 10);
  EXPECT_FALSE(get({"a", "b", "c", "d"}));
  EXPECT_FALSE(children({"a"}));  // a was left empty: pruned
  tree_.collect(1000);
  expect_same_figures(tree_.stats(), stats_of({{{"keep"}, "k"}}));
}

// ---- a valueless node has no value slot ----------------------------------------------------

TEST_F(TreeTest, AnInnerNodeGainsAndGivesBackItsValueSlot) {
  put({"a", "b"}, "child");
  const TreeStats valueless = tree_.stats();
  const uint64_t cas = put({"a"}, "value", 7);  // a gains a value slot: moves
  EXPECT_GT(tree_.stats().allocated, valueless.allocated);
  const auto got = get({"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "value");
  EXPECT_EQ(got->flags, 7u);
  EXPECT_EQ(got->cas, cas);
  EXPECT_EQ(data({"a", "b"}), "child");

  ASSERT_EQ(tree_.remove_value({"a"}), Status::deleted);  // and gives it back
  EXPECT_FALSE(get({"a"}));
  EXPECT_EQ(data({"a", "b"}), "child");
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b")));
  expect_same_figures(tree_.stats(), valueless, true);

  EXPECT_GT(put({"a"}, "x"), cas);  // a value again
  ASSERT_EQ(rewrite_value(tree_, {"a"}, "y").outcome, UpdateOutcome::stored);
  EXPECT_EQ(data({"a"}), "y");
  ASSERT_EQ(tree_.remove({"a", "b"}), Status::deleted);
  EXPECT_EQ(data({"a"}), "y");
}

}  // namespace
}  // namespace nestcache
