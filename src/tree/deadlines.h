// The deadline index of one shard: its nodes with a deadline, soonest first, so that expiry
// finds what is due without looking at anything else.
#pragma once

#include <cstdint>
#include <utility>

#include <absl/container/btree_set.h>

#include "entry.h"

namespace nestcache {

// A node's deadline lives in the node (Entry::exptime); this index mirrors every non-zero one.
// Guarded by the shard's mutex; holds pointers to the shard's nodes, never owns them.
class Deadlines {
 public:
  // Gives `node` the deadline `exptime` (absolute, 0 = none), keeping the index in step.
  void set(Entry* node, int64_t exptime) {
    forget(node);
    node->set_exptime(exptime);
    if (node->exptime() != 0) index_.insert({node->exptime(), node});
  }

  // Takes `node` out of the index (its deadline stays on the node); nothing if it has none.
  void forget(Entry* node) {
    if (node->exptime() != 0) index_.erase({node->exptime(), node});
  }

  // `to`, a copy of `from` with the same deadline (Entry::copy), takes its place.
  void moved(Entry* from, Entry* to) {
    if (to->exptime() != 0) {
      index_.erase({to->exptime(), from});
      index_.insert({to->exptime(), to});
    }
  }

  // The node with the soonest deadline if that is at or before `now`, taken out of the index
  // with its deadline cleared (it goes either way); nullptr when nothing is due.
  Entry* pop_due(int64_t now) {
    if (index_.empty() || index_.begin()->first > now) return nullptr;
    Entry* node = index_.begin()->second;
    index_.erase(index_.begin());
    node->set_exptime(0);
    return node;
  }

  std::size_t size() const { return index_.size(); }

 private:
  absl::btree_set<std::pair<int64_t, Entry*>> index_;
};

}  // namespace nestcache
