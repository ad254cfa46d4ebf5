// The one point every change of the tree passes: a store (any mode, incr and decr included), a
// touch, a delete of a subtree or of a value, an expiry, an eviction, a flush. What a journal or
// a watch needs plugs in here (Tree::set_observer) without touching any command.
#pragma once

#include <cstdint>

#include "nestcache/common/path.h"
#include "nestcache/tree/value.h"

namespace nestcache {

enum class ChangeKind : uint8_t {
  store,          // a value written at `path` (set add replace append prepend cas incr decr)
  touch,          // `path`'s deadline is now `exptime` (touch, gat, gats)
  remove,         // the node at `path` went with its whole subtree (delete)
  remove_value,   // only the value at `path` went; the node stays while it has children
  expire,         // the node at `path` went with its whole subtree: its deadline passed
  evict,          // the value at `path` went to make room under the memory budget
  flush,          // flush_all emptied the tree (`time`: when it was due); see below
  flush_pending,  // flush_all <delay>: the tree will be emptied at `time` (observer mode)
  memory_limit,   // cache_memlimit: the budget is now `memory_limit` bytes
  unused,         // the unique `cas` was taken and nothing was written with it (an incr of a
                  // value that is not a number): nothing changed, but a watch hub waits for
                  // every number it has seen taken (watch_hub.h)
  graft,          // the node at `path` was replaced by its sibling `staged` (Tree::graft),
                  // whose subtree it now holds, with the deadline `exptime`
};

// What changed. Ancestors a change leaves empty are pruned with it and not reported apart.
struct Change {
  ChangeKind kind = ChangeKind::store;
  // The node's full path (empty for a flush). The views die when on_change returns.
  const Path* path = nullptr;
  // store: the value as it is now; its cas is the unique the store took.
  ValueView value;
  // touch, graft: the node's new absolute deadline (0 = never).
  int64_t exptime = 0;
  // graft: the name of the staged sibling that took the node's place (a view, as `path`).
  std::string_view staged;
  // flush, flush_pending: when the flush was or is due (absolute Unix time).
  int64_t time = 0;
  // memory_limit: the new budget in bytes (0 = unlimited).
  uint64_t memory_limit = 0;
  // The change's revision. store: the new unique (== value.cas). flush_pending and
  // memory_limit (which change no node): the latest unique taken. Every other kind takes the
  // next number of the tree's counter, so that each change of the tree has a revision of its
  // own (a watch resumes after it): taken only while an observer is attached, so that without
  // one the numbering of cas values is memcached's (stores only).
  uint64_t cas = 0;
  // The number of the tree's shard whose lock the change holds: the same for every change of
  // one namespace (< Tree::kShardCount), so an observer can keep namespaces apart without
  // hashing names. 0 for flush, flush_pending and memory_limit.
  uint32_t shard = 0;
};

// Sees every change of a tree. on_change runs under the lock of the shard where the change
// happens, so the changes of one namespace (a top-level node and its subtree) arrive in the
// order they happened; those of different namespaces may arrive from several threads at once.
// With an observer attached a flush empties every shard under all their locks at once, and
// flush and flush_pending are reported once, under those locks: they are ordered with every
// other change. memory_limit is reported under no lock (it orders nothing).
// It must be quick, must not call the tree, and must copy what it keeps.
//
// A change's revision is taken and the change delivered under one hold of the shard's lock (a
// flush: of every shard's lock), so an observer attached under every lock (Tree::attach_watcher)
// sees every number taken after that, exactly once (as a change or as `unused`).
//
// Lifetime: attached with Tree::set_observer before the tree serves, or with
// Tree::attach_watcher at any time; it must outlive the tree (or be detached first, while
// nothing else uses the tree).
class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  // Called once per change, under the shard's lock.
  virtual void on_change(const Change& change) = 0;
};

}  // namespace nestcache
