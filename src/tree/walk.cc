// Reads that cover more than one node: children lists and subtree walks. The top level spans
// every shard, so it is gathered shard by shard (each under its own lock) and then sorted.
#include <algorithm>

#include "nestcache/tree/tree.h"
#include "shard.h"

namespace nestcache {
namespace {

// The live children of `node` in name order: a small table is kept so already, a hash set is
// sorted here.
std::vector<Entry*> sorted_live(const Entry& node, int64_t now) {
  std::vector<Entry*> live;
  node.for_each_child([&](Entry* child) {
    if (!child->expired(now)) live.push_back(child);
  });
  if (const Kids* kids = node.kids(); kids != nullptr && kids->is_big()) {
    std::sort(live.begin(), live.end(),
              [](const Entry* a, const Entry* b) { return a->name() < b->name(); });
  }
  return live;
}

// Depth first, the node before its children, children in name order. Expired children are
// skipped here (a walk must not restructure the set it iterates); the next access or the
// reclaimer detaches them.
void walk_node(Entry* node, Path& full, int64_t now,
               absl::FunctionRef<void(const Path&, const ValueView&)> visit) {
  if (node->has_value()) {
    node->set_fetched(true);
    visit(full, ValueView{node->data(), node->flags(), node->exptime(), node->cas()});
  }
  if (!node->has_children()) return;
  for (Entry* child : sorted_live(*node, now)) {
    full.push_back(child->name());
    walk_node(child, full, now, visit);
    full.pop_back();
  }
}

// One bounded step of a resumable walk (Tree::walk_step): what is left of its node budget,
// and where it stopped.
struct Step {
  std::size_t budget;
  int64_t now;
  absl::FunctionRef<bool(const Path&, const ValueView&)> visit;
  WalkCursor stop;  // set when the step ends before the walk does
};

// The live children of `parent` named after `after` (all of them when it is null), at most
// `limit`, in name order. Only the first `limit` are sorted: a step resumed in a node with many
// children costs a scan of them, not a sort.
std::vector<Entry*> next_children(const Entry& node, const std::string* after, std::size_t limit,
                                  int64_t now) {
  std::vector<Entry*> next;
  node.for_each_child([&](Entry* child) {
    if (!child->expired(now) && (after == nullptr || child->name() > *after)) {
      next.push_back(child);
    }
  });
  auto by_name = [](const Entry* a, const Entry* b) { return a->name() < b->name(); };
  if (next.size() > limit) {
    std::nth_element(next.begin(), next.begin() + static_cast<std::ptrdiff_t>(limit), next.end(),
                     by_name);
    next.resize(limit);
  }
  std::sort(next.begin(), next.end(), by_name);
  return next;
}

// Looks at one node (its value, if any); false when the step ends here.
bool look(Entry* node, const Path& full, Step& step) {
  --step.budget;
  bool more = true;
  if (node->has_value()) {
    node->set_fetched(true);
    more = step.visit(full, ValueView{node->data(), node->flags(), node->exptime(), node->cas()});
  }
  if (more && step.budget > 0) return true;
  step.stop.assign(full.begin(), full.end());
  return false;
}

bool step_subtree(Entry* node, Path& full, Step& step);

// The children of `node` named after `after` (all when null), each with its subtree.
bool step_children(Entry* node, const std::string* after, Path& full, Step& step) {
  if (!node->has_children()) return true;
  // Each child costs at least one unit of budget, so the first `budget` of them are enough.
  for (Entry* child : next_children(*node, after, step.budget, step.now)) {
    full.push_back(child->name());
    const bool more = step_subtree(child, full, step);
    full.pop_back();
    if (!more) return false;
  }
  return true;
}

// `node` and its whole subtree.
bool step_subtree(Entry* node, Path& full, Step& step) {
  return look(node, full, step) && step_children(node, nullptr, full, step);
}

// What comes after cursor[at...] in the subtree of `node` (whose path is cursor[0, at)): the
// part of the subtree of the child on the cursor's way (if it still exists), then the later
// children. `node` itself comes before the cursor.
bool step_after(Entry* node, const WalkCursor& cursor, std::size_t at, Path& full, Step& step) {
  if (at == cursor.size()) return step_children(node, nullptr, full, step);
  const std::string& name = cursor[at];
  if (node->has_children()) {
    Entry* child = node->find_child(name);
    if (child != nullptr && !child->expired(step.now)) {
      full.push_back(child->name());
      const bool more = step_after(child, cursor, at + 1, full, step);
      full.pop_back();
      if (!more) return false;
    }
  }
  return step_children(node, &name, full, step);
}

}  // namespace

bool Tree::children(const Path& path, std::vector<std::string>& names) {
  const int64_t now = clock_.now();
  if (path.empty()) {
    const std::size_t first = names.size();
    for (std::size_t i = 0; i < kShardCount; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mu);
      shard.advance(now);
      shard.roots().for_each([&](Entry* node) {
        if (!node->expired(now)) names.emplace_back(node->name());
      });
    }
    std::sort(names.begin() + static_cast<std::ptrdiff_t>(first), names.end());
    return true;
  }
  return with_node(path, [&](Shard&, Entry* node) {
    if (node == nullptr) return false;
    if (node->has_children()) {
      for (Entry* child : sorted_live(*node, now)) names.emplace_back(child->name());
    }
    return true;
  });
}

bool Tree::walk(const Path& path,
                absl::FunctionRef<void(const Path& full, const ValueView&)> visit) {
  const int64_t now = clock_.now();
  if (path.empty()) {
    std::vector<std::string> tops;
    children(path, tops);
    for (const std::string& top : tops) {
      Path one{top};
      walk(one, visit);  // a top-level node that vanished meanwhile is simply skipped
    }
    return true;
  }
  return with_node(path, [&](Shard&, Entry* node) {
    if (node == nullptr) return false;
    Path full = path;
    walk_node(node, full, now, visit);
    return true;
  });
}

std::vector<std::string> Tree::top_names_from(const std::string* from, bool inclusive,
                                              std::size_t limit) {
  const int64_t now = clock_.now();
  std::vector<std::string> names;
  auto keep_smallest = [&] {
    if (names.size() <= limit) return;
    std::nth_element(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(limit),
                     names.end());
    names.resize(limit);
  };
  for (std::size_t i = 0; i < kShardCount; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    shard.advance(now);
    shard.roots().for_each([&](Entry* node) {
      if (node->expired(now)) return;
      if (from != nullptr && (inclusive ? node->name() < *from : node->name() <= *from)) return;
      names.emplace_back(node->name());
      if (names.size() >= 2 * limit) keep_smallest();
    });
  }
  keep_smallest();
  std::sort(names.begin(), names.end());
  return names;
}

bool Tree::walk_step(const Path& path, WalkCursor& cursor, std::size_t max_nodes,
                     absl::FunctionRef<bool(const Path& full, const ValueView&)> visit) {
  Step step{std::max<std::size_t>(max_nodes, 1), clock_.now(), visit, {}};
  // Walks the subtree at `at` (a non-empty path) after the cursor, under its shard's lock.
  auto subtree = [&](const Path& at) {
    return with_node(at, [&](Shard&, Entry* node) {
      if (node == nullptr) return true;  // gone: nothing of it is left to visit
      Path full = at;
      const bool resumed = !cursor.empty() && cursor.size() >= at.size() &&
                           std::equal(at.begin(), at.end(), cursor.begin());
      return resumed ? step_after(node, cursor, at.size(), full, step)
                     : step_subtree(node, full, step);
    });
  };
  bool done;
  if (!path.empty()) {
    done = subtree(path);
  } else {
    // The top level spans every shard: take the next few names in order, then walk each one
    // under its own lock. The top-level node holding the cursor is resumed inside; the ones
    // after it are walked whole.
    std::string after;  // the last top-level node finished in this step
    bool first = true;
    done = false;
    while (!done && step.budget > 0) {
      const std::string* from = first ? (cursor.empty() ? nullptr : &cursor[0]) : &after;
      std::vector<std::string> tops = top_names_from(from, first, step.budget);
      if (tops.empty()) {
        done = true;
        break;
      }
      for (const std::string& top : tops) {
        const Path one{top};
        if (!subtree(one)) break;
        after = top;
        cursor.clear();  // resumed past the cursor's own top-level node
      }
      if (!step.stop.empty()) break;
      first = false;
    }
  }
  if (!done) cursor = std::move(step.stop);
  return done;
}

}  // namespace nestcache
