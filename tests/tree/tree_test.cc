// The tree's structure and values: store modes, implicit parents, pruning, subtree deletes,
// arithmetic, listings, walks and the figures behind `stats`. Expiry is in expiry_test.cc, the
// background reclaiming in collect_test.cc.
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
#include "paths.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A stored value as read back.
struct Got {
  std::string data;
  uint32_t flags = 0;
  uint64_t cas = 0;
};

// One walk step: the full path joined by ' ', and the data.
using Visited = std::pair<std::string, std::string>;

class TreeTest : public ::testing::Test {
 protected:
  explicit TreeTest(TreeOptions options = {}) : tree_(clock_, options) {}

  StoreResult store(const Path& path, std::string_view data, StoreMode mode = StoreMode::set,
                    uint64_t cas = 0, uint32_t flags = 0) {
    StoreArgs args;
    args.mode = mode;
    args.flags = flags;
    args.cas = cas;
    args.data = data;
    return tree_.store(path, args);
  }

  // Stores with StoreMode::set and insists that it worked.
  uint64_t put(const Path& path, std::string_view data, uint32_t flags = 0) {
    const StoreResult result = store(path, data, StoreMode::set, 0, flags);
    EXPECT_EQ(result.status, Status::stored) << joined(path);
    return result.cas;
  }

  std::optional<Got> get(const Path& path) {
    std::optional<Got> got;
    tree_.read(path, [&](const ValueView& value) {
      got = Got{std::string(value.data), value.flags, value.cas};
    });
    return got;
  }

  std::optional<std::string> data(const Path& path) {
    auto got = get(path);
    if (!got) return std::nullopt;
    return got->data;
  }

  // The children of `path`, or nullopt when there is no live node there.
  std::optional<std::vector<std::string>> children(const Path& path) {
    std::vector<std::string> names;
    if (!tree_.children(path, names)) return std::nullopt;
    return names;
  }

  std::vector<Visited> walk(const Path& path) {
    std::vector<Visited> visited;
    tree_.walk(path, [&](const Path& full, const ValueView& value) {
      visited.emplace_back(joined(full), std::string(value.data));
    });
    return visited;
  }

  ManualClock clock_;
  Tree tree_;
};

class StrictTreeTest : public TreeTest {
 protected:
  StrictTreeTest() : TreeTest(TreeOptions{.strict_parents = true}) {}
};

// ---- store modes -------------------------------------------------------------------------------

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

TEST_F(TreeTest, AddStoresOnlyWhenThereIsNoValue) {
  EXPECT_EQ(store({"a"}, "1", StoreMode::add).status, Status::stored);
  EXPECT_EQ(store({"a"}, "2", StoreMode::add).status, Status::not_stored);
  EXPECT_EQ(data({"a"}), "1");
  EXPECT_EQ(store({"p", "q", "r"}, "3", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"p", "q", "r"}), "3");
  EXPECT_EQ(store({"p", "q", "r"}, "4", StoreMode::add).status, Status::not_stored);
  EXPECT_EQ(data({"p", "q", "r"}), "3");
}

TEST_F(TreeTest, AddOnValuelessNodeWithChildrenSucceedsAndKeepsChildren) {
  put({"ns", "a"}, "1");
  put({"ns", "b"}, "2");
  EXPECT_EQ(store({"ns"}, "top", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"ns"}), "top");
  EXPECT_THAT(children({"ns"}), ::testing::Optional(ElementsAre("a", "b")));
  EXPECT_EQ(data({"ns", "a"}), "1");
  EXPECT_EQ(store({"ns"}, "again", StoreMode::add).status, Status::not_stored);
}

TEST_F(TreeTest, ReplaceNeedsAValue) {
  EXPECT_EQ(store({"a"}, "1", StoreMode::replace).status, Status::not_stored);
  EXPECT_FALSE(get({"a"}));
  put({"a"}, "1");
  EXPECT_EQ(store({"a"}, "2", StoreMode::replace).status, Status::stored);
  EXPECT_EQ(data({"a"}), "2");
}

TEST_F(TreeTest, ReplaceAppendPrependOnValuelessNodeAreNotStored) {
  put({"ns", "child"}, "c");
  for (StoreMode mode : {StoreMode::replace, StoreMode::append, StoreMode::prepend}) {
    EXPECT_EQ(store({"ns"}, "x", mode).status, Status::not_stored) << static_cast<int>(mode);
  }
  EXPECT_FALSE(get({"ns"}));
  EXPECT_THAT(children({"ns"}), ::testing::Optional(ElementsAre("child")));
}

TEST_F(TreeTest, ModesThatNeedAValueCreateNoParents) {
  for (StoreMode mode : {StoreMode::replace, StoreMode::append, StoreMode::prepend}) {
    EXPECT_EQ(store({"a", "b", "c"}, "x", mode).status, Status::not_stored);
  }
  EXPECT_EQ(store({"a", "b", "c"}, "x", StoreMode::cas, 1).status, Status::not_found);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(TreeTest, ReplaceBelowAnExistingParentLeavesParentAlone) {
  put({"a", "b"}, "1");
  EXPECT_EQ(store({"a", "c"}, "x", StoreMode::replace).status, Status::not_stored);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b")));
  EXPECT_EQ(tree_.stats().nodes, 2u);
}

TEST_F(TreeTest, AppendAndPrependKeepFlags) {
  put({"a", "b"}, "mid", 7);
  EXPECT_EQ(store({"a", "b"}, "<", StoreMode::prepend, 0, 99).status, Status::stored);
  EXPECT_EQ(store({"a", "b"}, ">", StoreMode::append, 0, 99).status, Status::stored);
  const auto got = get({"a", "b"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "<mid>");
  EXPECT_EQ(got->flags, 7u);
}

TEST_F(TreeTest, AppendOnMissingIsNotStored) {
  EXPECT_EQ(store({"a"}, "x", StoreMode::append).status, Status::not_stored);
  EXPECT_EQ(store({"a"}, "x", StoreMode::prepend).status, Status::not_stored);
  EXPECT_FALSE(get({"a"}));
  EXPECT_EQ(tree_.stats().nodes, 0u);
}

TEST_F(TreeTest, CasMatchMismatchMissingAndValueless) {
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

TEST_F(TreeTest, CasUniquesIncreaseWithEveryChange) {
  std::vector<uint64_t> seen;
  seen.push_back(put({"a"}, "1"));
  seen.push_back(put({"b", "c"}, "1"));
  seen.push_back(store({"a"}, "2", StoreMode::append).cas);
  seen.push_back(store({"a"}, "0", StoreMode::prepend).cas);
  seen.push_back(store({"a"}, "5", StoreMode::replace).cas);
  ASSERT_EQ(tree_.arith({"a"}, true, 1).status, Status::stored);
  seen.push_back(get({"a"})->cas);
  seen.push_back(store({"a"}, "9", StoreMode::cas, seen.back()).cas);
  seen.push_back(store({"d"}, "1", StoreMode::add).cas);
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i], seen[i - 1]) << "store #" << i;
  }
}

TEST_F(TreeTest, FailedStoresDoNotChangeTheUnique) {
  const uint64_t cas = put({"a"}, "1");
  store({"a"}, "2", StoreMode::add);
  store({"a"}, "2", StoreMode::cas, cas + 1);
  EXPECT_EQ(get({"a"})->cas, cas);
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
  StoreArgs args;
  args.data = "x";
  EXPECT_EQ(shallow.store({"a", "b", "c"}, args).status, Status::stored);
  EXPECT_EQ(shallow.store({"a", "b", "c", "d"}, args).status, Status::not_stored);
  EXPECT_EQ(shallow.stats().nodes, 3u);
  EXPECT_EQ(shallow.stats().max_depth, 3u);
}

TEST_F(TreeTest, EmptyPathIsRefusedEverywhere) {
  EXPECT_EQ(store({}, "x").status, Status::not_stored);
  EXPECT_FALSE(get({}));
  EXPECT_EQ(tree_.remove({}), Status::not_found);
  EXPECT_EQ(tree_.remove_value({}), Status::not_found);
  EXPECT_EQ(tree_.touch({}, 0), Status::not_found);
  EXPECT_EQ(tree_.arith({}, true, 1).status, Status::not_found);
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

TEST_F(StrictTreeTest, MissingParentIsNotStored) {
  EXPECT_EQ(store({"a", "b"}, "x").status, Status::not_stored);
  EXPECT_EQ(store({"a", "b"}, "x", StoreMode::add).status, Status::not_stored);
  EXPECT_EQ(tree_.stats().nodes, 0u);
  EXPECT_THAT(children({}), ::testing::Optional(IsEmpty()));
}

TEST_F(StrictTreeTest, TopLevelAlwaysWorks) {
  EXPECT_EQ(store({"a"}, "x").status, Status::stored);
  EXPECT_EQ(store({"b"}, "y", StoreMode::add).status, Status::stored);
  EXPECT_EQ(data({"a"}), "x");
  EXPECT_EQ(data({"b"}), "y");
}

TEST_F(StrictTreeTest, EachLevelMustExistFirst) {
  put({"a"}, "1");
  EXPECT_EQ(store({"a", "b", "c"}, "x").status, Status::not_stored);
  EXPECT_EQ(store({"a", "b"}, "2").status, Status::stored);
  EXPECT_EQ(store({"a", "b", "c"}, "3").status, Status::stored);
  EXPECT_EQ(data({"a", "b", "c"}), "3");
}

TEST_F(StrictTreeTest, ValuelessParentCounts) {
  put({"a"}, "1");
  put({"a", "b"}, "2");
  ASSERT_EQ(tree_.remove_value({"a"}), Status::deleted);  // a stays, valueless, for its child
  ASSERT_FALSE(get({"a"}));
  EXPECT_EQ(store({"a", "c"}, "3").status, Status::stored);
  EXPECT_THAT(children({"a"}), ::testing::Optional(ElementsAre("b", "c")));
}

TEST_F(StrictTreeTest, CasBelowMissingParentIsNotFound) {
  EXPECT_EQ(store({"a", "b"}, "x", StoreMode::cas, 1).status, Status::not_found);
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

// ---- incr / decr -------------------------------------------------------------------------------

TEST_F(TreeTest, IncrAndDecr) {
  put({"n"}, "10", 5);
  ArithResult r = tree_.arith({"n"}, true, 5);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 15u);
  EXPECT_EQ(data({"n"}), "15");
  r = tree_.arith({"n"}, false, 3);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 12u);
  EXPECT_EQ(data({"n"}), "12");
  EXPECT_EQ(get({"n"})->flags, 5u);  // flags survive
}

TEST_F(TreeTest, IncrOnANestedPath) {
  put({"stats", "hits"}, "0");
  EXPECT_EQ(tree_.arith({"stats", "hits"}, true, 1).value, 1u);
  EXPECT_EQ(tree_.arith({"stats", "hits"}, true, 1).value, 2u);
  EXPECT_EQ(data({"stats", "hits"}), "2");
}

TEST_F(TreeTest, IncrGrowsTheValue) {
  put({"n"}, "99");
  EXPECT_EQ(tree_.arith({"n"}, true, 1).value, 100u);
  EXPECT_EQ(data({"n"}), "100");
}

TEST_F(TreeTest, IncrWrapsAt2To64) {
  put({"n"}, "18446744073709551615");
  ArithResult r = tree_.arith({"n"}, true, 1);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 0u);
  EXPECT_EQ(data({"n"}), "0" + std::string(19, ' '));
  put({"m"}, "18446744073709551610");
  EXPECT_EQ(tree_.arith({"m"}, true, 10).value, 4u);
}

TEST_F(TreeTest, DecrFloorsAtZero) {
  put({"n"}, "5");
  const ArithResult r = tree_.arith({"n"}, false, 10);
  EXPECT_EQ(r.status, Status::stored);
  EXPECT_EQ(r.value, 0u);
  EXPECT_EQ(data({"n"}), "0");
  EXPECT_EQ(tree_.arith({"n"}, false, 1).value, 0u);
}

TEST_F(TreeTest, ShorterResultIsPaddedWithSpaces) {
  put({"n"}, "10");
  EXPECT_EQ(tree_.arith({"n"}, false, 1).value, 9u);
  EXPECT_EQ(data({"n"}), "9 ");
  // The padded value still counts.
  EXPECT_EQ(tree_.arith({"n"}, true, 1).value, 10u);
  EXPECT_EQ(data({"n"}), "10");
  put({"m"}, "1000");
  EXPECT_EQ(tree_.arith({"m"}, false, 999).value, 1u);
  EXPECT_EQ(data({"m"}), "1   ");
}

TEST_F(TreeTest, LeadingSpacesAreAccepted) {
  put({"n"}, "  7");
  EXPECT_EQ(tree_.arith({"n"}, true, 1).value, 8u);
  EXPECT_EQ(data({"n"}), "8  ");
}

TEST_F(TreeTest, NonNumericValues) {
  for (std::string_view text :
       {"", "12a", "-1", "abc", "1.5", "18446744073709551616", "+-3", "0x10"}) {
    put({"n"}, text);
    EXPECT_EQ(tree_.arith({"n"}, true, 1).status, Status::non_numeric) << "'" << text << "'";
    EXPECT_EQ(tree_.arith({"n"}, false, 1).status, Status::non_numeric) << "'" << text << "'";
    EXPECT_EQ(data({"n"}), std::string(text));  // untouched
  }
}

TEST_F(TreeTest, ArithOnMissingOrValuelessIsNotFound) {
  EXPECT_EQ(tree_.arith({"n"}, true, 1).status, Status::not_found);
  put({"ns", "c"}, "1");
  EXPECT_EQ(tree_.arith({"ns"}, true, 1).status, Status::not_found);
  EXPECT_EQ(tree_.arith({"ns", "d"}, false, 1).status, Status::not_found);
  EXPECT_EQ(tree_.stats().nodes, 2u);  // nothing created
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
  EXPECT_THAT(walk({"a"}), ElementsAre(Visited{"a", "a"}, Visited{"a B", "aB"},
                                       Visited{"a b", "ab"}, Visited{"a b e", "abe"},
                                       Visited{"a b z", "abz"}, Visited{"a c d", "acd"}));
  EXPECT_THAT(walk({"a", "b"}),
              ElementsAre(Visited{"a b", "ab"}, Visited{"a b e", "abe"}, Visited{"a b z", "abz"}));
  EXPECT_THAT(walk({"a", "c"}), ElementsAre(Visited{"a c d", "acd"}));
  EXPECT_THAT(walk({"a", "b", "e"}), ElementsAre(Visited{"a b e", "abe"}));
}

TEST_F(TreeTest, WalkOfTheRoot) {
  put({"m", "x"}, "mx");
  put({"b"}, "b");
  put({"b", "a"}, "ba");
  put({"z", "y", "x"}, "zyx");
  put({"a"}, "a");
  EXPECT_THAT(walk({}), ElementsAre(Visited{"a", "a"}, Visited{"b", "b"}, Visited{"b a", "ba"},
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

// Figures a walk of the whole tree implies: every live node is a valued node or an ancestor of
// one (a node with neither is pruned), so the nodes are the distinct prefixes of valued paths.
struct WalkFigures {
  uint64_t nodes = 0;
  uint64_t items = 0;
  uint64_t max_depth = 0;
  uint64_t data_bytes = 0;
};

WalkFigures figures_of(Tree& tree) {
  WalkFigures figures;
  std::set<std::vector<std::string>> prefixes;
  tree.walk({}, [&](const Path& full, const ValueView& value) {
    ++figures.items;
    figures.data_bytes += value.data.size();
    figures.max_depth = std::max<uint64_t>(figures.max_depth, full.size());
    std::vector<std::string> prefix;
    for (std::string_view segment : full) {
      prefix.emplace_back(segment);
      prefixes.insert(prefix);
    }
  });
  figures.nodes = prefixes.size();
  return figures;
}

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
  store({"a", "b"}, "yyyyy", StoreMode::append);
  EXPECT_EQ(tree_.stats().bytes, base + 105);
  put({"a", "b"}, "1");
  EXPECT_EQ(tree_.stats().bytes, base - 4);
  tree_.arith({"a", "b"}, true, 999);  // "1000"
  EXPECT_EQ(tree_.stats().bytes, base - 1);
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  EXPECT_EQ(tree_.stats().bytes, 0u);
}

TEST_F(TreeTest, TotalItemsCountsEveryStoredValue) {
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
  for (const auto& [path, value] : paths) {
    StoreArgs args;
    args.data = value;
    EXPECT_EQ(tree.store(path, args).status, Status::stored);
  }
  return tree.stats();
}

// `same_memory` when the two trees should also hold the same allocations (no table left behind,
// none missing); not when history left a roots table larger, or a node with a children slot.
void expect_same_figures(const TreeStats& got, const TreeStats& want, bool same_memory = false) {
  EXPECT_EQ(got.nodes, want.nodes);
  EXPECT_EQ(got.items, want.items);
  EXPECT_EQ(got.bytes, want.bytes);
  if (same_memory) {
    EXPECT_EQ(got.allocated, want.allocated);
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
  EXPECT_THAT(walk({"p"}), ElementsAre(Visited{"p", "tiny"}, Visited{"p c", "small"},
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

  EXPECT_EQ(store({"a"}, "x", StoreMode::add).status, Status::stored);  // a value again
  EXPECT_GT(store({"a"}, "y", StoreMode::cas, get({"a"})->cas).cas, cas);
  EXPECT_EQ(data({"a"}), "y");
  ASSERT_EQ(tree_.remove({"a", "b"}), Status::deleted);
  EXPECT_EQ(data({"a"}), "y");
}

}  // namespace
}  // namespace nestcache
