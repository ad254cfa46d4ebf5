// Resumable walks (Tree::walk_step): a walk cut into bounded steps gives what walk() gives, and a
// walk resumed after the tree changed keeps its order and never repeats a node (protocol.md 5.10).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "nestcache/tree/tree.h"
#include "tree/walk_state.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A fake reply sink: records the full paths of the values it is given, and asks the walk to
// stop after every `stop_every` of them (0 = never).
struct Sink {
  std::vector<std::string> seen;
  std::size_t stop_every = 0;

  bool operator()(const Path& full, const ValueView&) {
    seen.push_back(joined(full));
    return stop_every == 0 || seen.size() % stop_every != 0;
  }
};

class WalkStepTest : public TreeFixture {
 protected:
  void put(const Path& path) { TreeFixture::put(path, "v"); }

  // The full path of the last node the walk looked at (where it resumes).
  std::vector<std::string> position() const {
    const WalkCursor::State* state = cursor_.state();
    return state != nullptr ? state->last_node : std::vector<std::string>();
  }

  // One step; true when the walk is complete.
  bool step(const Path& path, std::size_t max_nodes) {
    return tree_.walk_step(path, cursor_, max_nodes, [&](const Path& full, const ValueView& value) {
      return sink_(full, value);
    });
  }

  // Steps until done; returns how many steps it took.
  std::size_t run(const Path& path, std::size_t max_nodes) {
    std::size_t steps = 1;
    while (!step(path, max_nodes)) ++steps;
    return steps;
  }

  std::vector<std::string> walked(const Path& path) { return walk(path); }

  void fill() {
    for (const Path& path : std::vector<Path>{{"a"},
                                              {"a", "b", "c"},
                                              {"a", "b", "d"},
                                              {"a", "c"},
                                              {"a", "c", "x", "y"},
                                              {"b"},
                                              {"b", "a"},
                                              {"c", "q"},
                                              {"d"}}) {
      put(path);
    }
  }

  WalkCursor cursor_;
  Sink sink_;
};

TEST_F(WalkStepTest, OneStepIsTheWholeWalk) {
  fill();
  EXPECT_TRUE(step({"a"}, 1000));
  EXPECT_EQ(sink_.seen, walked({"a"}));
  EXPECT_THAT(sink_.seen, ElementsAre("a", "a b c", "a b d", "a c", "a c x y"));
}

// A reply done in one step (the common gettree and getch of a small node) holds nothing: its
// cursor's state is made only when a step stops or reads names ahead.
TEST_F(WalkStepTest, AReplyDoneInOneStepHoldsNothing) {
  fill();
  EXPECT_TRUE(step({"a"}, 1000));
  EXPECT_EQ(cursor_.state(), nullptr);
  EXPECT_TRUE(cursor_.empty());
  std::vector<std::string> names;
  EXPECT_TRUE(tree_.children_step({"a"}, cursor_, 100,
                                  [&](std::string_view name) { names.emplace_back(name); }));
  EXPECT_THAT(names, ElementsAre("b", "c"));
  EXPECT_EQ(cursor_.state(), nullptr);
  EXPECT_FALSE(step({"a"}, 2));  // a step that stops holds where
  EXPECT_FALSE(cursor_.empty());
  cursor_.clear();
  EXPECT_TRUE(cursor_.empty());
  EXPECT_EQ(cursor_.state(), nullptr);
}

TEST_F(WalkStepTest, ResumedAfterEveryNodeGivesTheSameWalk) {
  fill();
  for (const Path& path : std::vector<Path>{{"a"}, {"a", "b"}, {"c"}, {}}) {
    for (std::size_t max_nodes : {1, 2, 3}) {
      sink_ = Sink{};
      cursor_.clear();
      run(path, max_nodes);
      EXPECT_EQ(sink_.seen, walked(path)) << joined(path) << " by " << max_nodes;
    }
    // The sink stopping after each value, with a large node budget.
    sink_ = Sink{};
    sink_.stop_every = 1;
    cursor_.clear();
    run(path, 1000);
    EXPECT_EQ(sink_.seen, walked(path)) << joined(path);
  }
}

TEST_F(WalkStepTest, WholeTreeResumesAcrossTopLevelNodesInNameOrder) {
  for (int i = 0; i < 300; ++i) put({"top" + std::to_string(1000 + i)});
  sink_.stop_every = 7;
  const std::size_t steps = run({}, 1000);
  EXPECT_GE(steps, 300u / 7);
  ASSERT_EQ(sink_.seen.size(), 300u);
  EXPECT_TRUE(std::is_sorted(sink_.seen.begin(), sink_.seen.end()));
  EXPECT_EQ(sink_.seen, walked({}));
}

TEST_F(WalkStepTest, ResumesAfterANodeDeletedMeanwhile) {
  fill();
  sink_.stop_every = 2;
  ASSERT_FALSE(step({"a"}, 1000));
  EXPECT_THAT(position(), ElementsAre("a", "b", "c"));
  ASSERT_EQ(tree_.remove({"a", "b", "c"}), Status::deleted);
  run({"a"}, 1000);
  EXPECT_THAT(sink_.seen, ElementsAre("a", "a b c", "a b d", "a c", "a c x y"));
}

TEST_F(WalkStepTest, ResumesAfterTheCursorsWholeBranchWasDeleted) {
  fill();
  sink_.stop_every = 2;
  ASSERT_FALSE(step({}, 1000));
  EXPECT_THAT(position(), ElementsAre("a", "b", "c"));
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  run({}, 1000);
  EXPECT_THAT(sink_.seen, ElementsAre("a", "a b c", "b", "b a", "c q", "d"));
}

TEST_F(WalkStepTest, NodesAddedBeforeTheCursorAreNotSeenAndAfterItAre) {
  fill();
  sink_.stop_every = 3;
  ASSERT_FALSE(step({}, 1000));
  EXPECT_THAT(position(), ElementsAre("a", "b", "d"));
  put({"a", "b", "b"});       // before the cursor, in the same node
  put({"0"});                 // before it, at the top level
  put({"a", "b", "d", "e"});  // below the cursor's node: after it in walk order
  put({"a", "bb"});           // after it
  put({"bb"});                // after it, at the top level
  run({}, 1000);
  EXPECT_THAT(sink_.seen, ElementsAre("a", "a b c", "a b d", "a b d e", "a bb", "a c", "a c x y",
                                      "b", "b a", "bb", "c q", "d"));
}

TEST_F(WalkStepTest, StopsAtValuelessNodesWhenTheBudgetRunsOut) {
  put({"a", "b", "c", "d"});
  ASSERT_FALSE(step({"a"}, 2));  // looks at a and a b, neither valued
  EXPECT_THAT(sink_.seen, IsEmpty());
  EXPECT_THAT(position(), ElementsAre("a", "b"));
  run({"a"}, 2);
  EXPECT_THAT(sink_.seen, ElementsAre("a b c d"));
}

TEST_F(WalkStepTest, MissingOrVanishedNodeEndsTheWalk) {
  fill();
  EXPECT_TRUE(step({"zz"}, 10));
  EXPECT_TRUE(step({"a", "zz"}, 10));
  EXPECT_THAT(sink_.seen, IsEmpty());
  sink_.stop_every = 1;
  cursor_.clear();
  ASSERT_FALSE(step({"a"}, 10));
  ASSERT_EQ(tree_.remove({"a"}), Status::deleted);
  EXPECT_TRUE(step({"a"}, 10));
  EXPECT_THAT(sink_.seen, ElementsAre("a"));
}

TEST_F(WalkStepTest, ExpiredNodesAreSkipped) {
  fill();
  put_until({"a", "b", "e"}, "v", clock_.now() + 10);
  sink_.stop_every = 2;
  ASSERT_FALSE(step({"a"}, 1000));
  clock_.advance(20);
  run({"a"}, 1000);
  EXPECT_THAT(sink_.seen, ElementsAre("a", "a b c", "a b d", "a c", "a c x y"));
}

}  // namespace
}  // namespace nestcache

namespace nestcache {
namespace {

// A node with tens of thousands of children: the walk reads names ahead instead of scanning all
// children at every step, and still gives every child once, in order, however it is stepped.
class WideWalkStepTest : public WalkStepTest {
 protected:
  // Children named prefix + 100000..; with another prefix they sit elsewhere in the table.
  void fill_wide(const Path& parent, int count, const std::string& prefix = "k") {
    for (int i = 0; i < count; ++i) {
      Path path = parent;
      const std::string name = prefix + std::to_string(100000 + (i * 7919) % count);
      path.push_back(name);
      put(path);
    }
  }
};

TEST_F(WideWalkStepTest, AWideNodeIsWalkedWholeInOrder) {
  fill_wide({"wide"}, 40000);  // past the read-ahead of 16384 names: it is refilled twice
  put({"wide", "k100005", "deep"});
  run({"wide"}, 100);
  EXPECT_EQ(sink_.seen, walked({"wide"}));
  EXPECT_EQ(sink_.seen.size(), 40001u);
}

TEST_F(WideWalkStepTest, NamesReadAheadThatWereDeletedAreSkipped) {
  fill_wide({"wide"}, 5000);
  ASSERT_FALSE(step({"wide"}, 10));  // the names are read ahead now
  for (int i = 200; i < 300; ++i) {
    ASSERT_EQ(tree_.remove({"wide", "k" + std::to_string(100000 + i)}), Status::deleted);
  }
  run({"wide"}, 50);
  EXPECT_EQ(sink_.seen.size(), 5000u - 100u);
  EXPECT_TRUE(std::is_sorted(sink_.seen.begin(), sink_.seen.end()));
}

// A scan for the next names looks at a slice of the wide node's table per step, so one step never
// holds the lock for a whole scan of a huge node: steps that visit nothing are part of the walk.
TEST_F(WideWalkStepTest, AScanOfAWideNodeIsMadeASliceAtATime) {
  fill_wide({"wide"}, 40000);  // 65536 slots: 8 slices per scan, 3 scans
  EXPECT_FALSE(step({"wide"}, 1000000));
  EXPECT_THAT(sink_.seen, IsEmpty()) << "the first step scanned the whole node";
  const std::size_t steps = 1 + run({"wide"}, 1000000);
  // Each scan's 8 slices take a step each, but the step that ends a scan goes on visiting into
  // the next scan's first slice.
  EXPECT_GE(steps, 3u * 7u);
  EXPECT_EQ(sink_.seen, walked({"wide"}));
}

// Removing a child closes its gap in the hash table by moving the children after it back, maybe
// from a slice not scanned yet into one already scanned (the child would be missed) or, around
// the table's end, the other way (seen twice): the scan starts over. Nodes of 10000 children
// (16384 slots, two slices, one scan's worth of names), each with its own names, so that the
// moves fall differently in each.
TEST_F(WideWalkStepTest, ChildrenRemovedBetweenSlicesMakeTheScanStartOver) {
  for (int trial = 0; trial < 20; ++trial) {
    const std::string wide = "wide" + std::to_string(trial);
    const std::string prefix = "t" + std::to_string(trial) + "-";
    fill_wide({wide}, 10000, prefix);
    cursor_ = WalkCursor();
    sink_ = Sink();
    ASSERT_FALSE(step({wide}, 1000000));  // the first slice of the scan
    for (int i = 0; i < 10000; i += 3) {
      ASSERT_EQ(tree_.remove({wide, prefix + std::to_string(100000 + i)}), Status::deleted);
    }
    run({wide}, 1000000);
    ASSERT_EQ(sink_.seen, walked({wide})) << "trial " << trial;  // every child left, once
    ASSERT_EQ(sink_.seen.size(), 10000u - 3334u);
  }
}

// A node that changes between every two slices would never be scanned to the end: after two
// restarts the scan is made in one step.
TEST_F(WideWalkStepTest, AScanThatKeepsStartingOverIsFinishedInOneStep) {
  fill_wide({"wide"}, 40000);
  int removed = 0;
  std::size_t steps = 0;
  for (bool done = false; !done; ++steps) {
    ASSERT_LT(steps, 1000u) << "the walk does not end";
    done = step({"wide"}, 1000);
    // The largest names go first: the walk, in name order, has not reached them.
    ASSERT_EQ(tree_.remove({"wide", "k" + std::to_string(139999 - removed++)}), Status::deleted);
  }
  EXPECT_TRUE(std::is_sorted(sink_.seen.begin(), sink_.seen.end()));
  EXPECT_EQ(std::adjacent_find(sink_.seen.begin(), sink_.seen.end()), sink_.seen.end());
  EXPECT_EQ(sink_.seen.size(), 40000u - std::size_t(removed) + 1u);  // the last one after the end
  // 40 steps of 1000 nodes, and 3 scans of a slice and two restarts each.
  EXPECT_LE(steps, 40u + 3u * 3u + 1u);
}

// getch's steps (Tree::children_step) list what children() lists, however they are cut.
class ChildrenStepTest : public WideWalkStepTest {
 protected:
  // Steps of up to `max_names` until done; returns how many steps it took.
  std::size_t list(const Path& path, std::size_t max_names) {
    std::size_t steps = 1;
    while (!tree_.children_step(path, cursor_, max_names,
                                [&](std::string_view name) { names_.emplace_back(name); })) {
      ++steps;
    }
    return steps;
  }
  std::vector<std::string> children(const Path& path) {
    std::vector<std::string> all;
    tree_.children(path, all);
    return all;
  }
  std::vector<std::string> names_;
};

TEST_F(ChildrenStepTest, NameByNameGivesWhatChildrenGives) {
  fill();
  EXPECT_EQ(list({}, 1), 5u);  // a b c d, and the step that finds no more
  EXPECT_EQ(names_, children({}));
  names_.clear();
  cursor_ = WalkCursor();
  list({"a"}, 1);
  EXPECT_THAT(names_, ElementsAre("b", "c"));
  names_.clear();
  cursor_ = WalkCursor();
  EXPECT_EQ(list({"nothing"}, 1), 1u);
  EXPECT_THAT(names_, IsEmpty());
}

TEST_F(ChildrenStepTest, AWideNodeIsListedInSlicesAndInOrder) {
  fill_wide({"wide"}, 40000);
  ASSERT_FALSE(tree_.children_step({"wide"}, cursor_, 1000000,
                                   [&](std::string_view name) { names_.emplace_back(name); }));
  EXPECT_THAT(names_, IsEmpty()) << "the first step scanned the whole node";
  list({"wide"}, 1000);
  EXPECT_EQ(names_, children({"wide"}));
  EXPECT_EQ(names_.size(), 40000u);
}

TEST_F(ChildrenStepTest, AWideTopLevelIsListedInOrder) {
  fill_wide({}, 20000);
  list({}, 777);
  EXPECT_EQ(names_, children({}));
  EXPECT_EQ(names_.size(), 20000u);
}

TEST_F(ChildrenStepTest, NamesReadAheadThatWereDeletedAreNotListed) {
  fill_wide({"wide"}, 5000);
  fill_wide({}, 3000, "top");
  for (const Path& path : {Path{"wide"}, Path{}}) {
    names_.clear();
    cursor_ = WalkCursor();
    ASSERT_FALSE(tree_.children_step(path, cursor_, 10, [&](std::string_view name) {
      names_.emplace_back(name);
    }));  // the names are read ahead now
    const std::string prefix = path.empty() ? "top" : "k";
    for (int i = 200; i < 300; ++i) {
      const std::string name = prefix + std::to_string(100000 + i);  // a Path holds views
      Path child = path;
      child.push_back(name);
      ASSERT_EQ(tree_.remove(child), Status::deleted);
    }
    list(path, 50);
    EXPECT_EQ(names_, children(path));
  }
}

TEST_F(WideWalkStepTest, AWideTopLevelIsWalkedWholeInOrder) {
  fill_wide({}, 20000);
  sink_.stop_every = 333;
  run({}, 1000);
  EXPECT_EQ(sink_.seen, walked({}));
  EXPECT_EQ(sink_.seen.size(), 20000u);
}

// Tree::scan_top_names, a slice of a shard's table per call (a snapshot runs each on a worker):
// names added and removed between slices move others around the table; every name there from
// start to end is read exactly once, and nothing that was never there is.
TEST_F(WalkStepTest, AShardsNamesReadInSlicesWhileTheTableChangesAreEachReadOnce) {
  for (int i = 0; i < 3000; ++i) put({"stay" + std::to_string(i)});
  for (int i = 0; i < 1000; ++i) put({"gone" + std::to_string(i)});
  std::vector<std::string> found;
  int added = 0;
  int removed = 0;
  for (std::size_t shard = 0; shard < Tree::kShardCount; ++shard) {
    Tree::TopNameScan scan;
    while (!scan.done()) {
      tree_.scan_top_names(shard, scan, 8);
      // Churn between the slices: new names (the table grows) and removals (names move back).
      put({"new" + std::to_string(added++)});
      if (removed < 1000) (void)tree_.remove({"gone" + std::to_string(removed++)});
    }
    std::vector<std::string> names = scan.names();
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "shard " << shard;
    found.insert(found.end(), names.begin(), names.end());
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(std::adjacent_find(found.begin(), found.end()), found.end());
  int stay = 0;
  for (const std::string& name : found) {
    if (name.starts_with("stay")) ++stay;
    EXPECT_TRUE(name.starts_with("stay") || name.starts_with("new") || name.starts_with("gone"))
        << name;
  }
  EXPECT_EQ(stay, 3000);
  EXPECT_GT(removed, 500);
}

}  // namespace
}  // namespace nestcache
