// Reclaiming memory: collect() expires nodes nobody touches and frees detached subtrees in
// bounded batches; the Reclaimer does it on its own thread; all of it under concurrent load.
// No assertion here depends on how fast anything runs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "nestcache/tree/reclaimer.h"
#include "nestcache/tree/tree.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Builds `groups` x `leaves` valued leaves below `top` (plus the group nodes and `top`), each
// leaf with `deadline(i)` as its absolute deadline.
template <typename Deadline>
void build(Tree& tree, const std::string& top, int groups, int leaves, Deadline deadline) {
  int i = 0;
  for (int g = 0; g < groups; ++g) {
    const std::string group = "g" + std::to_string(g);
    for (int l = 0; l < leaves; ++l, ++i) {
      const std::string leaf = "l" + std::to_string(l);
      put(tree, {top, group, leaf}, "v", deadline(i));
    }
  }
}

void build(Tree& tree, const std::string& top, int groups, int leaves) {
  build(tree, top, groups, leaves, [](int) { return int64_t{0}; });
}

// ---- expiry without readers --------------------------------------------------------------------

TEST(CollectTest, ExpiresAndFreesNodesNobodyTouches) {
  ManualClock clock(kStart);
  Tree tree(clock);
  std::vector<std::string> names;
  for (int i = 0; i < 150; ++i) names.push_back("k" + std::to_string(i));
  for (int i = 0; i < 150; ++i) put(tree, {names[i]}, "v", i < 100 ? kStart + 10 : 0);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(has_value(tree, {names[i]}));  // fetched ones

  collect_all(tree);
  EXPECT_EQ(tree.stats().nodes, 150u);  // not due yet
  EXPECT_EQ(tree.stats().reclaimed, 0u);

  clock.set(kStart + 10);
  collect_all(tree);
  const TreeStats stats = tree.stats();
  EXPECT_EQ(stats.nodes, 50u);
  EXPECT_EQ(stats.items, 50u);
  EXPECT_EQ(stats.reclaimed, 100u);
  EXPECT_EQ(stats.expired_unfetched, 90u);
  EXPECT_EQ(stats.pending_free, 0u);
  EXPECT_EQ(top_level(tree).size(), 50u);
}

TEST(CollectTest, AnExpiredNamespaceGoesWithItsSubtree) {
  ManualClock clock(kStart);
  Tree tree(clock);
  build(tree, "ns", 10, 10);  // 1 + 10 + 100 nodes
  put(tree, {"keep", "x"}, "v");
  ASSERT_EQ(tree.touch({"ns"}, kStart + 30), Status::touched);
  ASSERT_EQ(tree.stats().nodes, 113u);
  clock.set(kStart + 30);
  collect_all(tree);
  const TreeStats stats = tree.stats();
  EXPECT_EQ(stats.nodes, 2u);
  EXPECT_EQ(stats.items, 1u);
  EXPECT_EQ(stats.reclaimed, 1u);  // one deadline passed; its subtree went with it
  EXPECT_THAT(top_level(tree), ElementsAre("keep"));
}

TEST(CollectTest, ExpiringTheLastChildPrunesValuelessParents) {
  ManualClock clock(kStart);
  Tree tree(clock);
  put(tree, {"a", "b", "c"}, "v", kStart + 5);
  put(tree, {"p"}, "valued");
  put(tree, {"p", "q"}, "v", kStart + 5);
  clock.set(kStart + 5);
  collect_all(tree);
  EXPECT_EQ(tree.stats().nodes, 1u);
  EXPECT_THAT(top_level(tree), ElementsAre("p"));
  EXPECT_TRUE(has_value(tree, {"p"}));
}

TEST(CollectTest, MovedDeadlinesAreHonoured) {
  ManualClock clock(kStart);
  Tree tree(clock);
  put(tree, {"a"}, "v", kStart + 5);
  put(tree, {"b"}, "v", kStart + 50);
  ASSERT_EQ(tree.touch({"a"}, kStart + 100), Status::touched);
  ASSERT_EQ(tree.touch({"b"}, 0), Status::touched);
  clock.set(kStart + 60);
  collect_all(tree);
  EXPECT_EQ(tree.stats().nodes, 2u);
  EXPECT_EQ(tree.stats().reclaimed, 0u);
  clock.set(kStart + 100);
  collect_all(tree);
  EXPECT_THAT(top_level(tree), ElementsAre("b"));
  EXPECT_EQ(tree.stats().reclaimed, 1u);
}

// ---- large deletes -----------------------------------------------------------------------------

// memcached drops a deleted item from curr_items and bytes at once; so does a detached subtree
// here, though its nodes await the reclaimer (and still count in `allocated`, the budget's view).
TEST(CollectTest, DetachedSubtreeLeavesItemsAndBytesAtOnce) {
  ManualClock clock(kStart);
  Tree tree(clock);
  put(tree, {"keep", "x"}, "v");
  const TreeStats alone = tree.stats();
  for (int g = 0; g < 300; ++g) {
    for (int l = 0; l < 20; ++l)
      put(tree, {"big", "g" + std::to_string(g), "l" + std::to_string(l)}, "value");
  }
  put(tree, {"soon"}, "v", kStart + 10);
  put(tree, {"soon", "child"}, "v");
  const TreeStats full = tree.stats();
  ASSERT_EQ(full.items, 6003u);
  ASSERT_GE(full.allocated, full.bytes);

  ASSERT_EQ(tree.remove({"big"}), Status::deleted);  // frees only a first batch inline
  TreeStats after = tree.stats();
  EXPECT_GT(after.pending_free, 0u);
  EXPECT_EQ(after.items, 3u);
  EXPECT_GT(after.allocated, alone.allocated + 6000 * 64);  // not freed yet: still held

  clock.set(kStart + 10);
  EXPECT_FALSE(has_value(tree, {"soon", "child"}));  // expired with its parent
  after = tree.stats();
  EXPECT_EQ(after.items, alone.items);
  EXPECT_EQ(after.bytes, alone.bytes);

  collect_all(tree);
  after = tree.stats();
  EXPECT_EQ(after.pending_free, 0u);
  EXPECT_EQ(after.nodes, alone.nodes);
  EXPECT_EQ(after.bytes, alone.bytes);
  EXPECT_EQ(tree.remove({"keep"}), Status::deleted);
  collect_all(tree);
  EXPECT_EQ(tree.stats().bytes, 0u);
  EXPECT_EQ(tree.stats().items, 0u);
}

// Rewriting a value of another size moves its node; a node with many children moves in O(1)
// and keeps them, its LRU place and its deadline.
TEST(CollectTest, AValueThatOutgrowsItsNodeKeepsItsSubtreeAndDeadline) {
  ManualClock clock(kStart);
  Tree tree(clock);
  put(tree, {"p"}, "short", kStart + 100);
  for (int i = 0; i < 40; ++i) put(tree, {"p", "c" + std::to_string(i)}, "v");
  put(tree, {"p"}, std::string(5000, 'L'));  // exptime 0 now
  put(tree, {"p"}, "tiny", kStart + 50);     // shrinks back into a smaller allocation
  std::vector<std::string> names;
  ASSERT_TRUE(tree.children({"p"}, names));
  EXPECT_EQ(names.size(), 40u);
  EXPECT_TRUE(has_value(tree, {"p", "c39"}));
  clock.set(kStart + 50);
  collect_all(tree);
  EXPECT_FALSE(has_value(tree, {"p", "c0"}));
  EXPECT_EQ(tree.stats().nodes, 0u);
  // What is left is the roots table's slot array (48 bytes and a chunk header; malloc may hand
  // out a chunk 16 bytes larger, depending on what was freed before).
  EXPECT_LE(tree.stats().allocated, 64u + 16u);
}

TEST(CollectTest, HugeSubtreeDeleteIsFreedInBoundedPasses) {
  ManualClock clock(kStart);
  Tree tree(clock);
  build(tree, "big", 400, 500);  // 200,000 leaves + 400 groups + 1
  put(tree, {"small", "x"}, "v");
  constexpr uint64_t kBig = 200'000 + 400 + 1;
  ASSERT_EQ(tree.stats().nodes, kBig + 2);
  ASSERT_EQ(tree.stats().items, 200'001u);

  ASSERT_EQ(tree.remove({"big"}), Status::deleted);
  // Gone for every reader at once, but not yet freed.
  EXPECT_FALSE(has_value(tree, {"big", "g7", "l7"}));
  EXPECT_THAT(top_level(tree), ElementsAre("small"));
  // Counted out of the live figures at once, and held until the reclaimer frees it.
  TreeStats stats = tree.stats();
  EXPECT_EQ(stats.nodes, 2u);  // small, small x
  EXPECT_EQ(stats.items, 1u);
  EXPECT_GT(stats.pending_free, kBig / 2);
  EXPECT_LE(stats.pending_free, kBig);

  constexpr std::size_t kBudget = 1000;
  int passes = 0;
  bool more = true;
  while (more) {
    const uint64_t before = tree.stats().pending_free;
    more = tree.collect(kBudget);
    ++passes;
    const uint64_t after = tree.stats().pending_free;
    ASSERT_LE(after, before);
    ASSERT_LE(before - after, kBudget) << "pass " << passes << " freed more than its budget";
    ASSERT_LT(passes, 10'000) << "collect never finishes";
    // Other namespaces stay usable between passes.
    if (passes == 3) put(tree, {"small", "y"}, "v");
  }
  EXPECT_GE(passes, static_cast<int>(kBig / kBudget));
  stats = tree.stats();
  EXPECT_EQ(stats.nodes, 3u);  // small, small x, small y
  EXPECT_EQ(stats.items, 2u);
  EXPECT_EQ(stats.pending_free, 0u);
  EXPECT_EQ(stats.max_depth, 2u);

  ASSERT_EQ(tree.remove({"small"}), Status::deleted);
  collect_all(tree);
  stats = tree.stats();
  EXPECT_EQ(stats.nodes, 0u);
  EXPECT_EQ(stats.items, 0u);
  EXPECT_EQ(stats.bytes, 0u);
}

TEST(CollectTest, WideFlatSubtreeWithBudgetOne) {
  ManualClock clock(kStart);
  Tree tree(clock);
  for (int i = 0; i < 2000; ++i) put(tree, {"flat", "c" + std::to_string(i)}, "v");
  ASSERT_EQ(tree.remove({"flat"}), Status::deleted);
  const int passes = collect_all(tree, 1);
  EXPECT_GT(passes, 1);
  EXPECT_EQ(tree.stats().nodes, 0u);
  EXPECT_EQ(tree.stats().pending_free, 0u);
}

TEST(CollectTest, ExpiredNodesInsideADeletedSubtree) {
  ManualClock clock(kStart);
  Tree tree(clock);
  // Every leaf and group has a deadline; some share a name with the recreated namespace below.
  build(tree, "ns", 40, 250, [](int i) { return kStart + 1 + i % 100; });
  for (int g = 0; g < 40; ++g) {
    ASSERT_EQ(tree.touch({"ns", "g" + std::to_string(g)}, kStart + 50 + g), Status::touched);
  }
  ASSERT_EQ(tree.touch({"ns"}, kStart + 500), Status::touched);
  ASSERT_EQ(tree.remove({"ns"}), Status::deleted);
  // A new namespace of the same name, partly with deadlines of its own.
  for (int i = 0; i < 100; ++i) {
    put(tree, {"ns", "g" + std::to_string(i % 3), "l" + std::to_string(i)}, "v",
        i % 2 == 0 ? kStart + 20 : 0);
  }
  // Free a little of the old namespace, then let every deadline pass.
  tree.collect(7);
  clock.set(kStart + 1000);
  int passes = 1;
  while (tree.collect(50)) {
    ++passes;
    ASSERT_LT(passes, 100'000);
  }
  const TreeStats stats = tree.stats();
  EXPECT_EQ(stats.pending_free, 0u);
  EXPECT_EQ(stats.reclaimed, 50u);  // only the new namespace's deadlines met attached nodes
  EXPECT_EQ(stats.items, 50u);
  const WalkFigures figures = figures_of(tree);
  EXPECT_EQ(figures.items, 50u);
  EXPECT_EQ(stats.nodes, figures.nodes);
}

TEST(CollectTest, DeadlinesInAFlushedTree) {
  ManualClock clock(kStart);
  Tree tree(clock);
  for (int i = 0; i < 500; ++i) {
    put(tree, {"t" + std::to_string(i % 20), "k" + std::to_string(i)}, "v", kStart + 1 + i % 7);
  }
  tree.flush(kStart);
  put(tree, {"t1", "fresh"}, "v", kStart + 3);
  clock.set(kStart + 100);
  collect_all(tree, 16);
  const TreeStats stats = tree.stats();
  EXPECT_EQ(stats.nodes, 0u);
  EXPECT_EQ(stats.reclaimed, 1u);
  EXPECT_EQ(stats.pending_free, 0u);
}

TEST(CollectTest, TreeDestructorFreesPendingWork) {
  // Nothing to assert on after destruction; a leak or double free shows under ASan/valgrind,
  // and the figures before it show there was work left.
  ManualClock clock(kStart);
  auto tree = std::make_unique<Tree>(clock);
  build(*tree, "ns", 20, 100, [](int i) { return kStart + 1 + i % 5; });
  ASSERT_EQ(tree->remove({"ns", "g3"}), Status::deleted);
  ASSERT_EQ(tree->remove({"ns"}), Status::deleted);
  EXPECT_EQ(tree->stats().nodes, 0u);
  EXPECT_GT(tree->stats().pending_free, 0u);
  tree.reset();
}

// ---- the Reclaimer thread ----------------------------------------------------------------------

TEST(ReclaimerTest, FreesADeletedSubtreeByItself) {
  ManualClock clock(kStart);
  Tree tree(clock);
  build(tree, "big", 100, 500);
  Reclaimer reclaimer(tree, std::chrono::milliseconds(20));
  ASSERT_EQ(tree.remove({"big"}), Status::deleted);
  reclaimer.wake();
  // Generous: the test asserts that it happens, not how fast.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  EXPECT_EQ(tree.stats().nodes, 0u);  // out of the live figures at once
  while (tree.stats().pending_free != 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(tree.stats().nodes, 0u);
  EXPECT_EQ(tree.stats().pending_free, 0u);
}

TEST(ReclaimerTest, ExpiresNodesByItself) {
  ManualClock clock(kStart);
  Tree tree(clock);
  build(tree, "ns", 10, 10);
  put(tree, {"keep"}, "v");
  ASSERT_EQ(tree.touch({"ns"}, kStart + 10), Status::touched);
  Reclaimer reclaimer(tree, std::chrono::milliseconds(10));
  clock.set(kStart + 10);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (tree.stats().nodes != 1 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(tree.stats().nodes, 1u);
  EXPECT_EQ(tree.stats().reclaimed, 1u);
}

TEST(ReclaimerTest, StopIsIdempotentAndEndsTheBackgroundWork) {
  ManualClock clock(kStart);
  Tree tree(clock);
  {
    // An hour-long interval must not hold up stop() or the destructor (a hang fails the test).
    Reclaimer reclaimer(tree, std::chrono::hours(1));
    reclaimer.wake();
    reclaimer.stop();
    reclaimer.stop();
  }
  Reclaimer stopped(tree, std::chrono::milliseconds(1));
  stopped.stop();
  build(tree, "ns", 10, 100);
  ASSERT_EQ(tree.remove({"ns"}), Status::deleted);
  stopped.wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Nobody frees what a stopped reclaimer left: the work waits for collect().
  EXPECT_GT(tree.stats().pending_free, 0u);
  collect_all(tree);
  EXPECT_EQ(tree.stats().nodes, 0u);
}

// ---- concurrency -------------------------------------------------------------------------------

TEST(CollectConcurrencyTest, ManyThreadsOnOverlappingNamespacesWhileCollecting) {
  ManualClock clock(kStart);
  Tree tree(clock);
  constexpr int kThreads = 8;
  constexpr int kOps = 20'000;
  const std::vector<std::string> spaces = {"alpha", "beta", "gamma", "delta"};
  std::vector<std::string> names;
  for (int i = 0; i < 16; ++i) names.push_back("n" + std::to_string(i));

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> collections{0};
  std::thread collector([&] {
    while (!stop.load()) {
      tree.collect(64);
      collections.fetch_add(1);
    }
  });
  std::thread ticker([&] {
    while (!stop.load()) {
      clock.advance(1);
      std::this_thread::yield();
    }
  });

  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
      for (int op = 0; op < kOps; ++op) {
        const std::string& space = spaces[pick(spaces.size())];
        const std::string& mid = names[pick(names.size())];
        const std::string& leaf = names[pick(names.size())];
        const Path path{space, mid, leaf};
        const NewValue twelve{"12"};
        UpdatePolicy create;
        create.create = true;
        create.reserve = 2;
        switch (pick(12)) {
          case 0:
          case 1:
          case 2:
            set_value(tree, path, "12");
            break;
          case 3:
            set_value(tree, path, "12", 0, clock.now() + static_cast<int64_t>(pick(5)));
            break;
          case 4:  // a value only where there is none (memcached's add)
            tree.update({space, mid}, create, [&](const ValueView* current) {
              return current == nullptr ? &twelve : nullptr;
            });
            break;
          case 5:
            tree.read(path, [](const ValueView& value) { ASSERT_FALSE(value.data.empty()); });
            break;
          case 6:
            tree.remove({space, mid});
            break;
          case 7:  // a rewrite of a value that is there (memcached's incr)
            rewrite_value(tree, path, pick(2) == 0 ? "13" : "11");
            break;
          case 8: {
            std::vector<std::string> kids;
            tree.children(pick(4) == 0 ? Path{} : Path{space}, kids);
            ASSERT_TRUE(std::is_sorted(kids.begin(), kids.end()));
            break;
          }
          case 9:
            tree.walk({space},
                      [](const Path& full, const ValueView&) { ASSERT_GE(full.size(), 1u); });
            break;
          case 10:
            tree.touch({space, mid}, clock.now() + static_cast<int64_t>(pick(8)));
            break;
          case 11:
            if (pick(50) == 0)
              tree.remove({space});
            else
              tree.remove_value(path);
            break;
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  stop.store(true);
  collector.join();
  ticker.join();
  EXPECT_GT(collections.load(), 0u);

  collect_all(tree);
  const TreeStats stats = tree.stats();
  const WalkFigures figures = figures_of(tree);
  EXPECT_EQ(stats.pending_free, 0u);
  EXPECT_EQ(stats.nodes, figures.nodes);
  EXPECT_EQ(stats.items, figures.items);
  EXPECT_EQ(stats.max_depth, figures.max_depth);

  // And it all goes away cleanly.
  for (const std::string& space : spaces) tree.remove({space});
  collect_all(tree);
  EXPECT_EQ(tree.stats().nodes, 0u);
  EXPECT_EQ(tree.stats().bytes, 0u);
}

}  // namespace
}  // namespace nestcache
