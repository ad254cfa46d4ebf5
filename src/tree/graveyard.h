// Detached subtrees waiting to be freed, and the memory taken out of a shard to be freed after
// its lock is let go.
#pragma once

#include <cstddef>
#include <vector>

#include <absl/functional/function_ref.h>

#include "entry.h"

namespace nestcache {

// Allocations taken out of a shard (unhooked from its deadline index, LRU, counters and budget)
// that nothing else can reach, for the caller to free after it has let go of the lock: freeing a
// large batch (and malloc's consolidation with it) then holds up no other client. Owns what it
// holds until free_all() or its destruction.
class Released {
 public:
  Released() = default;
  Released(const Released&) = delete;
  Released& operator=(const Released&) = delete;
  ~Released() { free_all(); }

  void add(Entry* node) { entries_.push_back(node); }
  void add(Kids* table) { tables_.push_back(table); }
  // Frees everything held now.
  void free_all();

 private:
  std::vector<Entry*> entries_;
  std::vector<Kids*> tables_;
};

// The subtrees a shard has detached (removed, expired, flushed), taken apart a bounded batch at
// a time, so deleting a namespace of millions of nodes never holds the lock for long. Owns the
// nodes buried in it; guarded by the shard's mutex.
class Graveyard {
 public:
  // Takes ownership of the detached `node` and its subtree.
  void bury(Entry* node) { nodes_.push_back(node); }
  bool empty() const { return nodes_.empty(); }

  // Takes up to `budget` nodes apart: a node's children are taken out of it (and buried) before
  // it, and each node left without children is handed to `retire`, which owns it from then on.
  // True while nodes remain (pinned by CollectTest.HugeSubtreeDeleteIsFreedInBoundedPasses and
  // GraveyardTest).
  bool drain(std::size_t budget, absl::FunctionRef<void(Entry*)> retire);

 private:
  std::vector<Entry*> nodes_;
};

}  // namespace nestcache
