// Helpers shared by the reads that cover more than one node (walk.cc, children.cc).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "kids.h"

namespace nestcache {

// The live children of `node` in name order: a small table is kept so already, a hash table is
// sorted here.
inline std::vector<Entry*> sorted_live(const Entry& node, int64_t now) {
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

// The live children of `node` named after `after` (all of them when it is null), at most
// `limit`, in name order. A bounded max-heap keeps the `limit` smallest names seen, so a step
// resumed in a node with a million children scans them once and holds `limit` pointers, never
// a copy of the whole table.
inline std::vector<Entry*> next_children(const Entry& node, const std::string* after,
                                         std::size_t limit, int64_t now) {
  auto by_name = [](const Entry* a, const Entry* b) { return a->name() < b->name(); };
  std::vector<Entry*> next;
  node.for_each_child([&](Entry* child) {
    if (child->expired(now) || (after != nullptr && child->name() <= *after)) return;
    if (next.size() < limit) {
      next.push_back(child);
      std::push_heap(next.begin(), next.end(), by_name);
    } else if (limit > 0 && by_name(child, next.front())) {
      std::pop_heap(next.begin(), next.end(), by_name);
      next.back() = child;
      std::push_heap(next.begin(), next.end(), by_name);
    }
  });
  std::sort_heap(next.begin(), next.end(), by_name);
  return next;
}

}  // namespace nestcache
