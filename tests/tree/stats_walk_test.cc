// The tree's figures (curr_items, bytes, tree_nodes, tree_valueless_nodes) agree with what a walk
// of the tree finds, after any mix of stores, deletes of values and subtrees, expiry, flushes and
// eviction (issue 4: "the stats figures compared against a walk of the tree").
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nestcache/common/clock.h"
#include "nestcache/tree/tree.h"
#include "tree/entry.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

// What a walk finds: every live node, by listing children from the top down.
struct Census {
  uint64_t nodes = 0;
  uint64_t items = 0;
  uint64_t bytes = 0;
};

void count_below(Tree& tree, Path& path, Census& census) {
  std::vector<std::string> names;
  if (!tree.children(path, names)) return;
  for (const std::string& name : names) {
    path.push_back(name);
    ++census.nodes;
    std::size_t data_size = 0;
    if (tree.read(path, [&](const ValueView& value) { data_size = value.data.size(); })) {
      ++census.items;
    }
    census.bytes += Entry::cost(name.size(), data_size);
    count_below(tree, path, census);
    path.pop_back();
  }
}

Census census(Tree& tree) {
  Census found;
  Path path;
  count_below(tree, path, found);
  return found;
}

void expect_agree(Tree& tree, const std::string& when) {
  const TreeStats stats = tree.stats();
  const Census found = census(tree);
  EXPECT_EQ(stats.nodes, found.nodes) << when;
  EXPECT_EQ(stats.items, found.items) << when;
  EXPECT_EQ(stats.bytes, found.bytes) << when;
  EXPECT_LE(stats.items, stats.nodes) << when;
}

// A random path of 1..4 segments over a small alphabet, so operations collide often.
Path random_path(std::mt19937& rng) {
  static const char* const kNames[] = {"a", "b", "c", "tenant", "user", "x"};
  Path path;
  const int depth = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < depth; ++i) path.push_back(kNames[rng() % 6]);
  return path;
}

class StatsWalkTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(StatsWalkTest, FiguresMatchAWalkAfterRandomOperations) {
  std::mt19937 rng(GetParam());
  ManualClock clock(kStart);
  // A small budget, so eviction and its pruning are part of the mix.
  Tree tree(clock, TreeOptions{false, kDefaultMaxDepth, 16 * 1024, true});
  for (int round = 0; round < 40; ++round) {
    for (int op = 0; op < 50; ++op) {
      const Path path = random_path(rng);
      switch (rng() % 10) {
        case 0:
        case 1:
        case 2:
        case 3: {
          const std::string data(rng() % 700, 'v');
          const int64_t deadline = rng() % 8 == 0 ? clock.now() + 1 + rng() % 3 : 0;
          set_value(tree, path, data, 0, deadline);
          break;
        }
        case 4: {  // a longer value where there is one, flags and deadline kept (append)
          const std::string more(rng() % 50, 'w');
          UpdatePolicy policy;
          policy.reserve = more.size();
          std::string joined_value;
          NewValue next;
          tree.update(path, policy, [&](const ValueView* current) -> const NewValue* {
            if (current == nullptr) return nullptr;
            joined_value = std::string(current->data) + more;
            next = NewValue{joined_value, current->flags, 0, true};
            return &next;
          });
          break;
        }
        case 5:
          tree.remove(path);
          break;
        case 6:
          tree.remove_value(path);
          break;
        case 7:
          tree.touch(path, clock.now() + 1 + rng() % 2);
          break;
        case 8:
          clock.advance(1);
          break;
        default:
          if (rng() % 20 == 0) tree.flush(clock.now());
          break;
      }
    }
    expect_agree(tree, "round " + std::to_string(round) + " before collect");
    while (tree.collect(1 + rng() % 64)) {
    }
    expect_agree(tree, "round " + std::to_string(round) + " after collect");
    ASSERT_EQ(tree.stats().pending_free, 0u);
    if (HasFailure()) return;
  }
  // The mix did exercise what it is meant to.
  const TreeStats stats = tree.stats();
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_GT(stats.reclaimed, 0u);
  EXPECT_GT(stats.nodes, stats.items);  // some valueless nodes are left
}

INSTANTIATE_TEST_SUITE_P(Seeds, StatsWalkTest, ::testing::Values(1u, 2u, 3u, 42u, 1234u));

}  // namespace
}  // namespace nestcache
