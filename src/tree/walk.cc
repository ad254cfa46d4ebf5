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

}  // namespace nestcache
