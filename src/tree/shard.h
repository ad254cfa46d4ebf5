// One shard of the tree: the namespaces whose first segment hashes here, under one mutex. The
// shard keeps the structure (find, create, unlink, prune, relocate) and composes the rooms that
// keep the rest: the LRU (lru.h), the deadline index (deadlines.h), the graveyard of detached
// subtrees (graveyard.h) and the memory account (memory_account.h).
// Every method but the constructor expects `mu` to be held by the caller (Tree).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "deadlines.h"
#include "entry.h"
#include "graveyard.h"
#include "kids.h"
#include "lru.h"
#include "memory_account.h"
#include "name_hash.h"
#include "nestcache/tree/change.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

class Tree::Shard {
 public:
  Shard();
  ~Shard();

  // Brings the shard up to `now` before anything reads it: runs a flush whose time has come,
  // then detaches every node whose deadline has passed (pruning the ancestors it leaves empty),
  // so no read sees an expired node, nor an ancestor kept only by one. Cheap when nothing is due.
  void advance(int64_t now);

  // The live node at path[0, count), or nullptr. Expired nodes met on the way are detached
  // (with their subtrees), and ancestors left empty are pruned.
  // `top_hash` is hash_name(path[0]), which also chose the shard.
  Entry* find(const Path& path, std::size_t count, int64_t now, std::size_t top_hash);
  Entry* find(const Path& path, std::size_t count, int64_t now) {
    return find(path, count, now, count > 0 ? hash_name(path[0]) : 0);
  }
  // Like find, but creates missing nodes as valueless ones.
  Entry* find_or_create(const Path& path, std::size_t count, int64_t now, std::size_t top_hash);
  // The live top-level node `name`, whose hash_name is `hash`, or nullptr.
  Entry* live_root(std::string_view name, std::size_t hash, int64_t now) {
    return alive(roots_->find(name, hash), now);
  }
  // The live child `name` of `parent` (the top level when parent is nullptr), or nullptr.
  Entry* live_child(Entry* parent, std::string_view name, int64_t now);
  // `child` (a lookup's result, or nullptr) if it is live; an expired one is detached with its
  // subtree, and nullptr returned.
  Entry* alive(Entry* child, int64_t now) {
    return child != nullptr && child->expired(now) ? expire(child) : child;
  }
  // Creates a valueless child. `parent` may move (it may need room for its children table):
  // after this call reach it as child->parent(), never through the old pointer.
  // With `value_slot`, the child is born ready for a value of up to `data_capacity` bytes.
  [[nodiscard]] Entry* create_child(Entry* parent, std::string_view name, bool value_slot = false,
                                    std::size_t data_capacity = 0);

  // Writes the value (and makes it the LRU's most recent). It may move the node to a larger (or
  // smaller) allocation: returns where the node is now, and the old pointer is dead.
  [[nodiscard]] Entry* set_value(Entry* node, std::string_view data, uint32_t flags, uint64_t cas);
  // Gives `node` the absolute deadline `exptime` (0 = none), bounding its subtree.
  void set_exptime(Entry* node, int64_t exptime) { deadlines_.set(node, exptime); }
  // Drops the value; the node stays while it has children (moved to an allocation without a
  // value slot), else it is pruned with the ancestors it leaves empty. Either way `node` is
  // dead after this call.
  void clear_value(Entry* node);
  // A value was stored (TreeStats::total_items).
  void count_store() { ++total_items_; }

  // Detaches `node` (and its subtree), hands it to the graveyard, and prunes empty ancestors.
  void remove(Entry* node);
  // Removes `node` and then each ancestor while it is empty.
  void prune(Entry* node);

  // flush_all now: every node goes to the graveyard.
  void clear();

  // Tree::graft's work (graft.cc): `target` (nullptr: made as `name` under `parent`) takes the
  // value, children and deadline of its sibling `staged`, which then goes to the graveyard with
  // the target's old children. O(1) in the subtrees' sizes.
  void graft(Entry* parent, Entry* target, std::string_view name, Entry* staged, int64_t exptime);

  // Takes up to `budget` detached nodes out of the shard into `released`; returns true if the
  // graveyard is not empty.
  bool drain(std::size_t budget, Released& released);
  // The same, freeing them at once (under the caller's lock).
  bool drain(std::size_t budget) {
    Released now;
    return drain(budget, now);
  }

  void add_stats(TreeStats& stats) const;
  void add_slab_stats(SlabStats& stats) const;

  // Evicts values from the LRU's cold end (and frees detached nodes) until `used` is at most
  // `target`; a value read since it last moved is bumped instead, once (second chance). Returns
  // false if the shard has nothing left to give.
  bool shrink(uint64_t target, const std::atomic<uint64_t>& used);
  // Frees detached nodes (never values) until `used` is at most `target`; false if still over.
  bool free_detached(uint64_t target, const std::atomic<uint64_t>& used);
  // Where the shard reports changes of the memory it holds (the tree-wide budget).
  void attach(std::atomic<uint64_t>& used) { memory_.attach(used); }

  // The top-level nodes of this shard (in no particular order).
  const Kids& roots() const { return *roots_; }

  // Counts the changes that can move a child to another slot of its hash table: an erase (the
  // children after it in its run move back), a table that grows, a flush. A scan of a wide
  // node's slots made in slices, letting go of the lock in between (child_names.h), starts over
  // when this has moved, so that no child present throughout is missed.
  uint64_t slot_moves() const { return slot_moves_; }

  // ---- the change seam (change.h) ----
  // Reports this shard's changes to `observer` (nullptr: none) as shard number `index`;
  // `last_cas` is the tree's counter of uniques (revisions), from which each change that is
  // not a store takes one.
  void set_observer(ChangeObserver* observer, std::atomic<uint64_t>* last_cas, uint32_t index) {
    observer_ = observer;
    last_cas_ = last_cas;
    index_ = index;
  }
  // Each report is one predictable branch when no observer is attached: the change (and the
  // path, built only for an observer) is made out of line.
  // A value stored at `path`, now in `node`.
  void report_store(const Path& path, const Entry* node) {
    if (observer_ != nullptr) [[unlikely]] {
      send_store(path, node);
    }
  }
  // A change of `kind` at `path` (touch: `exptime` is the new deadline).
  void report(ChangeKind kind, const Path& path, int64_t exptime = 0) {
    if (observer_ != nullptr) [[unlikely]] {
      send(kind, path, exptime);
    }
  }
  // A change of `kind` at the attached `node`; its path is built by walking up its parents.
  void report(ChangeKind kind, const Entry* node) {
    if (observer_ != nullptr) [[unlikely]] {
      send(kind, node);
    }
  }
  // The unique `cas` was taken and not used (change.h, ChangeKind::unused).
  void report_unused(uint64_t cas) {
    if (observer_ != nullptr) [[unlikely]] {
      send_unused(cas);
    }
  }
  // A graft (graft.cc), with its path, staged name and deadline filled in.
  void report_graft(Change& change) {
    if (observer_ != nullptr) [[unlikely]] {
      deliver(change);
    }
  }
  // This shard emptied by a flush due at `time`.
  void report_flush(int64_t time) {
    if (observer_ != nullptr) [[unlikely]] {
      send_flush(time);
    }
  }

  std::mutex mu;
  int64_t flush_at = 0;

 private:
  // Takes `node` out of its parent's table (or the roots) and counts its whole subtree out of
  // `stats bytes` and `curr_items` at once; the subtree's memory stays in the budget until
  // drain() frees it.
  void unlink(Entry* node);
  // Detaches an expired node (alive()'s slow path); returns nullptr.
  Entry* expire(Entry* node);
  // Unhooks a detached node from the shard; its memory goes to `released`.
  void retire(Entry* node, Released& released);
  bool attached(const Entry* node) const;
  // Moves `node` to an allocation with room for `data_capacity` value bytes (and a kids slot,
  // and a value slot or not: see Entry::copy), fixing every pointer to it: its slot in its
  // parent's table, its table's owner, its LRU neighbours and its deadline entry. O(1) in the
  // number of children. Returns where the node is now; the old pointer is dead.
  [[nodiscard]] Entry* relocate(Entry* node, std::size_t data_capacity, bool kids_slot,
                                bool value_slot);
  // Re-points the owner and the children of a table that moved.
  void relink(Kids* kids);
  // Adds `delta_bytes` / `delta_items` to every table from node's parent up to the roots
  // (the subtree figures that make a detach count out in O(depth)).
  void propagate(const Entry* node, int64_t delta_bytes, int64_t delta_items,
                 int64_t delta_nodes = 0);
  // The logical bytes and valued nodes below `node` (not counting itself): its table's figures,
  // found down a chain of sole children (O(depth)).
  struct Totals {
    uint64_t bytes = 0;
    uint32_t items = 0;
    uint32_t nodes = 0;
  };
  static Totals subtree(const Entry* node);
  // Detaches every node whose deadline has passed.
  void expire_due(int64_t now);
  // The out-of-line halves of the reports above.
  void send_store(const Path& path, const Entry* node);
  void send(ChangeKind kind, const Path& path, int64_t exptime);
  void send(ChangeKind kind, const Entry* node);
  void send_flush(int64_t time);
  void send_unused(uint64_t cas);
  // Hands `change` to the observer; a change that is not a store takes its revision here.
  void deliver(Change& change);

  Kids* roots_;
  Lru lru_;
  Deadlines deadlines_;
  Graveyard graveyard_;
  MemoryAccount memory_;
  ChangeObserver* observer_ = nullptr;
  std::atomic<uint64_t>* last_cas_ = nullptr;
  uint32_t index_ = 0;  // this shard's number, for Change::shard
  std::array<uint64_t, kMaxDepthLimit + 1> depth_counts_{};
  // memcached's item size of `node`'s value: its name is its key, so a detached node is counted
  // out as it was counted in.
  static std::size_t item_size(const Entry* node) {
    return memcached_item_size(node->name().size(), node->flags(), node->data_size());
  }
  // Counts a value of memcached item size `size` (and `data` bytes) into (delta 1) or out of
  // (delta -1, as uint64_t) slab_ (see SlabStats).
  void count_slab(std::size_t size, std::size_t data, uint64_t delta) {
    if (size <= kSlabChunkMax) [[likely]] {
      SlabUsage& usage = slab_.classes[slab_class_for(size)];
      usage.items += delta;
      usage.requested += delta * size;
      usage.chunks += delta;
    } else {
      count_large_slab(size, data, delta);
    }
  }
  void count_slab(const Entry* node, uint64_t delta) {
    count_slab(item_size(node), node->data_size(), delta);
  }
  void count_large_slab(std::size_t size, std::size_t data, uint64_t delta);
  static constexpr uint64_t kSlabOut = ~uint64_t{0};  // the delta that counts a value out
  // Counts the expiry of `node`'s value (out of line: the expiry loop runs on every access).
  [[gnu::noinline]] void count_expired(const Entry* node);
  // The class figures of `node`'s value.
  SlabUsage& slab_usage(const Entry* node);
  SlabStats slab_;
  uint64_t nodes_ = 0;
  uint64_t total_items_ = 0;
  uint64_t reclaimed_ = 0;
  uint64_t expired_unfetched_ = 0;
  uint64_t evictions_ = 0;
  uint64_t evicted_unfetched_ = 0;
  uint64_t slot_moves_ = 0;
};

template <typename Fn>
auto Tree::with_shard(std::string_view top, Fn&& fn) {
  return with_shard(shard_for(top), fn);
}

template <typename Fn>
auto Tree::with_shard(Shard& shard, Fn&& fn) {
  const int64_t now = clock_.now();
  catch_up(now);
  std::lock_guard lock(shard.mu);
  shard.advance(now);
  return fn(shard, now);
}

template <typename Fn>
auto Tree::with_node(const Path& path, Fn&& fn) {
  const std::size_t top_hash = hash_name(path[0]);  // hashed once: shard and top-level lookup
  return with_shard(shards_[shard_index(top_hash)], [&](Shard& shard, int64_t now) {
    return fn(shard, shard.find(path, path.size(), now, top_hash));
  });
}

}  // namespace nestcache
