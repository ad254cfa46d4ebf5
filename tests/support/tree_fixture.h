// The helpers every tree test uses, in one place: a tree on a manual clock, and short ways to
// write, read, list and walk it. Writes go through Tree::update, the tree's one write primitive;
// memcached's store modes are the engine's (tests/engine/store_rules_test.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "nestcache/common/path.h"
#include "nestcache/tree/tree.h"
#include "start_time.h"

namespace nestcache {

// Where every test's manual clock starts (ManualClock's default).

// The path's segments joined by single spaces, as the protocol writes a path.
inline std::string joined(const Path& path) {
  std::string text;
  for (std::string_view segment : path) {
    if (!text.empty()) text.push_back(' ');
    text.append(segment);
  }
  return text;
}

// A stored value as read back.
struct Got {
  std::string data;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint64_t cas = 0;
};

// A plain set: missing parents are created (unless strict_parents), room is reserved under the
// budget, and the node gets `data`, `flags` and the absolute `deadline` (0 = never).
inline UpdateResult set_value(Tree& tree, const Path& path, std::string_view data,
                              uint32_t flags = 0, int64_t deadline = 0) {
  UpdatePolicy policy;
  policy.create = true;
  policy.reserve = data.size();
  const NewValue value{data, flags, deadline, false};
  return tree.update(path, policy, [&](const ValueView*) { return &value; });
}

// Writes `data` over the value at `path` only if there is one (no node is created), keeping its
// flags and deadline.
inline UpdateResult rewrite_value(Tree& tree, const Path& path, std::string_view data) {
  NewValue value{data};
  value.keep_exptime = true;
  return tree.update(path, UpdatePolicy{}, [&](const ValueView* current) -> const NewValue* {
    if (current == nullptr) return nullptr;
    value.flags = current->flags;
    return &value;
  });
}

// set_value that insists it worked; returns the new unique.
inline uint64_t put(Tree& tree, const Path& path, std::string_view data, int64_t deadline = 0) {
  const UpdateResult result = set_value(tree, path, data, 0, deadline);
  EXPECT_EQ(result.outcome, UpdateOutcome::stored) << joined(path);
  return result.cas;
}

inline std::optional<Got> read_value(Tree& tree, const Path& path) {
  std::optional<Got> got;
  tree.read(path, [&](const ValueView& value) {
    got = Got{std::string(value.data), value.flags, value.exptime, value.cas};
  });
  return got;
}

inline bool has_value(Tree& tree, const Path& path) {
  return tree.read(path, [](const ValueView&) {});
}

// The children of `path`, or nullopt when there is no live node there.
inline std::optional<std::vector<std::string>> children_of(Tree& tree, const Path& path) {
  std::vector<std::string> names;
  if (!tree.children(path, names)) return std::nullopt;
  return names;
}

inline std::vector<std::string> top_level(Tree& tree) { return *children_of(tree, {}); }

// The full paths (joined) of the valued nodes walk() visits, in its order.
inline std::vector<std::string> walked(Tree& tree, const Path& path) {
  std::vector<std::string> all;
  tree.walk(path, [&](const Path& full, const ValueView&) { all.push_back(joined(full)); });
  return all;
}

// Figures a walk of the whole tree implies: every live node is a valued node or an ancestor of
// one (a node with neither is pruned), so the nodes are the distinct prefixes of valued paths.
struct WalkFigures {
  uint64_t nodes = 0;
  uint64_t items = 0;
  uint64_t max_depth = 0;
  uint64_t data_bytes = 0;
};

inline WalkFigures figures_of(Tree& tree) {
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

// Runs collect() until it reports no work left; returns the number of passes.
inline int collect_all(Tree& tree, std::size_t budget = 4096) {
  int passes = 1;
  while (tree.collect(budget)) ++passes;
  return passes;
}

// A tree on a manual clock that starts at kStart, and the helpers above bound to it.
class TreeFixture : public ::testing::Test {
 protected:
  explicit TreeFixture(TreeOptions options = {}) : clock_(kStart), tree_(clock_, options) {}

  // Sets with no deadline, insisting that it worked; returns the new unique.
  uint64_t put(const Path& path, std::string_view data, uint32_t flags = 0) {
    return put_until(path, data, 0, flags);
  }
  // The same with the absolute `deadline`.
  uint64_t put_until(const Path& path, std::string_view data, int64_t deadline,
                     uint32_t flags = 0) {
    const UpdateResult result = set_value(tree_, path, data, flags, deadline);
    EXPECT_EQ(result.outcome, UpdateOutcome::stored) << joined(path);
    return result.cas;
  }
  std::optional<Got> get(const Path& path) { return read_value(tree_, path); }
  std::optional<std::string> data(const Path& path) {
    auto got = get(path);
    if (!got) return std::nullopt;
    return std::move(got->data);
  }
  bool has(const Path& path) { return has_value(tree_, path); }
  std::optional<std::vector<std::string>> children(const Path& path) {
    return children_of(tree_, path);
  }
  std::vector<std::string> walk(const Path& path) { return walked(tree_, path); }
  // Moves the clock to kStart + `seconds`.
  void at(int64_t seconds) { clock_.set(kStart + seconds); }

  ManualClock clock_;
  Tree tree_;
};

}  // namespace nestcache
