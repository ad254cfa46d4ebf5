// Subtree watches (protocol.md, watchtree): every change of the tree, numbered by its revision,
// released to the watches it concerns in revision order, and kept in a bounded history that a
// watch resumed from an earlier revision reads first.
//
// Order: changes of different namespaces reach the hub from several threads at once, not in
// revision order. Each revision is taken and reported under one hold of a shard lock, and the
// hub is attached under every shard lock, so it sees every number taken after it attached
// exactly once (change.h). A change waits in `pending_` until every lower number has arrived;
// then it is released: added to the history and queued for its watches. So every watch sees
// its events in increasing revision order, and a resume from revision N is exactly "the
// history after N".
//
// Cost: nothing until the first watchtree attaches the hub to the tree (Tree::attach_watcher).
// From then on each change is rendered once (WatchEvent) and shared by the history and the
// watches' queues; finding its watches is a walk of the trie of watched paths (WatchIndex).
//
// Lock order: a shard's lock, then the hub's (writers report under their shard lock). The hub
// never calls the tree while holding its lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "nestcache/common/clock.h"
#include "nestcache/common/path.h"
#include "nestcache/tree/change.h"
#include "nestcache/watch/watch.h"

namespace nestcache {

class Tree;
class History;
class WatchIndex;
struct WatchEvent;

struct WatchOptions {
  std::size_t history_bytes = 64u << 20;  // --watch-history-mb
  std::size_t queue_bytes = 4u << 20;     // --watch-queue-kb: a watch's unsent events at most
  int64_t progress_seconds = 10;          // --watch-progress-interval (0: never)
};

// `stats`' watch figures.
struct WatchStats {
  uint64_t watchers = 0;
  uint64_t events_sent = 0;
  uint64_t canceled_slow = 0;
  uint64_t compacted = 0;
  uint64_t history_events = 0;
  uint64_t history_bytes = 0;
  uint64_t history_floor = 0;
};

class WatchHub final : public ChangeObserver {
 public:
  // `tree` and `clock` must outlive the hub, and the hub the tree's use (it stays attached).
  WatchHub(Tree& tree, const Clock& clock, WatchOptions options = {});
  ~WatchHub() override;

  struct Opened {
    enum class Status : uint8_t {
      watching,   // `watch` streams from here; `revision`: every change up to it is released
      compacted,  // the history starts after `revision`: too late to resume from the one asked
      future,     // the revision asked is above `revision`, the last one taken
    };
    Status status = Status::watching;
    uint64_t revision = 0;
    std::shared_ptr<Watch> watch;
  };
  // Opens a watch of the subtree at `path` (the whole tree when empty) for the changes after
  // revision `from` (0: from now on). The first call attaches the hub to the tree.
  Opened open(const Path& path, uint64_t from);

  // ChangeObserver: under a shard's lock.
  void on_change(const Change& change) override;

  // Marks a PROGRESS due for the live watches that have sent nothing for the progress interval
  // and wakes them. Called about once a second (the server's timer).
  void tick();

  WatchStats stats() const;

 private:
  friend class Watch;
  // Watch::take's body, under mu_.
  Watch::Step take(Watch& watch, std::string& out, std::size_t max);
  void close(Watch& watch);
  // Takes `watch` out of the index and the set of watches; it is closed. mu_ held.
  void forget(Watch& watch);
  // Settles revision `revision` (`event`: nullptr when it changed nothing watchers see) and
  // releases every settled one from head_ on. mu_ held.
  void settle(uint64_t revision, std::shared_ptr<const WatchEvent> event);
  void release(std::shared_ptr<const WatchEvent> event);

  Tree& tree_;
  const Clock& clock_;
  const WatchOptions options_;
  std::mutex attach_mu_;  // the first open attaches the hub, once
  std::atomic<bool> attached_{false};

  mutable std::mutex mu_;  // everything below, and every Watch's fields
  // Revisions taken and not yet released, from head_ on: a slot is set once its change arrives.
  struct Slot {
    bool settled = false;
    std::shared_ptr<const WatchEvent> event;
  };
  std::deque<Slot> pending_;
  uint64_t head_ = 0;  // the lowest revision not yet released
  std::unique_ptr<History> history_;
  std::unique_ptr<WatchIndex> index_;
  absl::flat_hash_set<Watch*> watches_;
  std::vector<Watch*> matched_;  // scratch for release()
  uint64_t events_sent_ = 0;
  uint64_t canceled_slow_ = 0;
  uint64_t compacted_ = 0;
};

}  // namespace nestcache
