// The Tree's public operations: pick the shard, take its lock, run the shard's algorithm.
#include "nestcache/tree/tree.h"

#include "shard.h"

namespace nestcache {
namespace {

constexpr std::size_t kShards = Tree::kShardCount;
// Every shard's lock, taken in index order (the one order any code takes two of them in).
std::vector<std::unique_lock<std::mutex>> lock_all(Tree::Shard* shards) {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(kShards);
  for (std::size_t i = 0; i < kShards; ++i) locks.emplace_back(shards[i].mu);
  return locks;
}

// Freed inline after a delete, so small deletes are accounted at once; the rest is left to the
// background reclaimer.
constexpr std::size_t kInlineFree = 256;

}  // namespace

Tree::Tree(const Clock& clock, TreeOptions options)
    : clock_(clock),
      options_(options),
      shards_(std::make_unique<Shard[]>(kShards)),
      memory_limit_(options.memory_limit) {
  for (std::size_t i = 0; i < kShards; ++i) shards_[i].attach(used_bytes_);
}

bool Tree::make_room(std::string_view top, uint64_t need, uint64_t limit) {
  auto fits = [&] { return used_bytes_.load(std::memory_order_relaxed) + need <= limit; };
  if (need > limit) return false;
  const std::size_t home = shard_index(hash_name(top));
  for (std::size_t i = 0; i < kShards && !fits(); ++i) {
    Shard& shard = shards_[(home + i) % kShards];
    std::lock_guard lock(shard.mu);
    // Detached nodes the reclaimer has not freed yet still count; freeing them is not eviction,
    // so -M does it too: a store right after a large delete finds the room the delete made.
    if (options_.evict) {
      shard.shrink(limit - need, used_bytes_);
    } else {
      shard.free_detached(limit - need, used_bytes_);
    }
  }
  return fits();
}

Tree::~Tree() = default;

// The journal and a watch hub, both told of every change, the journal first.
class Tree::FanOut final : public ChangeObserver {
 public:
  FanOut(ChangeObserver& first, ChangeObserver& second) : first_(first), second_(second) {}
  void on_change(const Change& change) override {
    first_.on_change(change);
    second_.on_change(change);
  }

 private:
  ChangeObserver& first_;
  ChangeObserver& second_;
};

void Tree::set_observer(ChangeObserver* observer) {
  journal_ = observer;
  observer_.store(observer, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    shard.set_observer(observer, &next_cas_, static_cast<uint32_t>(i));
  }
}

void Tree::attach_watcher(ChangeObserver* watcher, uint64_t at_least,
                          absl::FunctionRef<void(uint64_t last)> attached) {
  const int64_t now = clock_.now();
  const auto locks = lock_all(shards_.get());
  if (observer_.load(std::memory_order_relaxed) == nullptr) {
    // A flush_all <delay> was made pending shard by shard; with an observer it is one pending
    // flush for the whole tree (flush()). One already due is applied now, before the watcher
    // sees anything.
    for (std::size_t i = 0; i < kShards; ++i) {
      Shard& shard = shards_[i];
      if (shard.flush_at != 0 && shard.flush_at <= now) shard.clear();
      if (shard.flush_at > now) pending_flush_at_.store(shard.flush_at, std::memory_order_relaxed);
      shard.flush_at = 0;
    }
  }
  ChangeObserver* observer = watcher;
  if (journal_ != nullptr) {
    fan_out_ = std::make_unique<FanOut>(*journal_, *watcher);
    observer = fan_out_.get();
  }
  if (next_cas_.load(std::memory_order_relaxed) < at_least) {
    next_cas_.store(at_least, std::memory_order_relaxed);
  }
  attached(next_cas_.load(std::memory_order_relaxed));
  observer_.store(observer, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kShards; ++i) {
    shards_[i].set_observer(observer, &next_cas_, static_cast<uint32_t>(i));
  }
}

void Tree::raise_cas(uint64_t at_least) {
  uint64_t last = next_cas_.load(std::memory_order_relaxed);
  while (last < at_least && !next_cas_.compare_exchange_weak(last, at_least)) {
  }
}

void Tree::report_global(Change& change) const {
  const Path none;
  change.path = &none;
  // A flush changes every node: a revision of its own (change.h).
  change.cas = change.kind == ChangeKind::flush
                   ? next_cas_.fetch_add(1, std::memory_order_relaxed) + 1
                   : next_cas_.load(std::memory_order_relaxed);
  observer_.load(std::memory_order_relaxed)->on_change(change);
}

bool Tree::set_memory_limit(uint64_t limit) {
  memory_limit_.store(limit, std::memory_order_relaxed);
  if (observer_.load(std::memory_order_relaxed) != nullptr) {
    Change change;
    change.kind = ChangeKind::memory_limit;
    change.memory_limit = limit;
    report_global(change);
  }
  if (limit == 0) return true;
  if (options_.evict) {
    for (std::size_t i = 0; i < kShards; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mu);
      shard.shrink(limit, used_bytes_);
    }
  }
  return used_bytes_.load(std::memory_order_relaxed) <= limit;
}

Tree::Shard& Tree::shard_for(std::string_view top) const {
  return shards_[shard_index(hash_name(top))];
}

UpdateResult Tree::update(const Path& path, const UpdatePolicy& policy,
                          absl::FunctionRef<const NewValue*(const ValueView* current)> decide) {
  if (path.empty() || path.size() > options_.max_depth) return {UpdateOutcome::bad_path};
  if (policy.reserve) {
    // Room for the value and, at worst, a new node per segment, before anything is written.
    uint64_t need = Entry::allocation_bound(path.back().size(), *policy.reserve);
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      need += Entry::allocation_bound(path[i].size(), 0);
    }
    if (!reserve(path[0], need)) return {UpdateOutcome::out_of_memory};
  }
  const std::size_t top_hash = hash_name(path[0]);  // hashed once: shard and top-level lookup
  const std::size_t last = path.size() - 1;
  const UpdateResult result =
      with_shard(shards_[shard_index(top_hash)], [&](Shard& shard, int64_t now) -> UpdateResult {
        Entry* parent = nullptr;  // known only when a node may be created
        Entry* target;
        if (!policy.create) {
          // One lookup of the whole path, which prunes what an expired node met on the way
          // leaves empty.
          target = shard.find(path, path.size(), now, top_hash);
        } else {
          if (last > 0) {
            parent = options_.strict_parents ? shard.find(path, last, now, top_hash)
                                             : shard.find_or_create(path, last, now, top_hash);
            if (parent == nullptr) return {UpdateOutcome::no_parent};
          }
          target = last > 0 ? shard.live_child(parent, path[last], now)
                            : shard.live_root(path[0], top_hash, now);
        }
        const bool has_value = target != nullptr && target->has_value();
        uint64_t cas = 0;
        if (has_value && policy.unique_on_hit) {
          cas = next_cas_.fetch_add(1, std::memory_order_relaxed) + 1;
        }
        ValueView current;
        if (has_value) current = policy.with_marks ? target->value_with_marks() : target->value();
        const NewValue* value = decide(has_value ? &current : nullptr);
        if (value == nullptr || (target == nullptr && !policy.create)) {
          if (cas != 0) shard.report_unused(cas);
          // Parents made for nothing, or left empty by an expired target, go.
          if (!has_value && parent != nullptr) shard.prune(parent);
          return {UpdateOutcome::unchanged};
        }
        if (target == nullptr) {
          // Born with a value slot and room for the value (parent may move).
          target = shard.create_child(parent, path[last], true, value->data.size());
        }
        if (value->cas != 0) {
          cas = value->cas;
        } else if (!policy.unique_on_hit) {
          cas = next_cas_.fetch_add(1, std::memory_order_relaxed) + 1;
        }
        target = shard.set_value(target, value->data, value->flags, cas);
        if (value->marks != 0) {
          target->set_meta_marks((value->marks & kStaleMark) != 0,
                                 (value->marks & kTokenMark) != 0);
        }
        if (!value->keep_exptime) shard.set_exptime(target, value->exptime);
        if (policy.counts_as_item) shard.count_store();
        shard.report_store(path, target);
        return {UpdateOutcome::stored, cas};
      });
  // A table that grew (a hash table doubles) can take more than the bound: evict the excess.
  if (policy.reserve && options_.evict) reserve(path[0], 0);
  return result;
}

bool Tree::read(const Path& path, absl::FunctionRef<void(const ValueView&)> visit) {
  if (path.empty()) return false;
  return with_node(path, [&](Shard&, Entry* node) {
    if (node == nullptr || !node->has_value()) return false;
    node->mark_read();  // no LRU relink: a second chance at eviction (Shard::shrink)
    visit(node->value());
    return true;
  });
}

bool Tree::read_and_touch(const Path& path, int64_t new_exptime,
                          absl::FunctionRef<void(const ValueView&)> visit) {
  if (path.empty()) return false;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr || !node->has_value()) return false;
    node->mark_read();
    shard.set_exptime(node, new_exptime);
    shard.report(ChangeKind::touch, path, node->exptime());
    visit(node->value());
    return true;
  });
}

bool Tree::read_meta(const Path& path, const MetaAccess& access,
                     absl::FunctionRef<bool(const ValueView&)> visit) {
  if (path.empty()) return false;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr || !node->has_value()) return false;
    const ValueView before = node->value_with_marks();
    if (access.mark_read) node->mark_read();
    if (access.new_exptime) {
      shard.set_exptime(node, *access.new_exptime);
      shard.report(ChangeKind::touch, path, node->exptime());
    }
    if (visit(before)) node->set_meta_marks(before.stale(), true);
    return true;
  });
}

Status Tree::invalidate(const Path& path, std::optional<uint64_t> expected_cas,
                        std::optional<int64_t> new_exptime) {
  if (path.empty()) return Status::not_found;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr || !node->has_value()) return Status::not_found;
    if (expected_cas && node->cas() != *expected_cas) return Status::exists;
    if (new_exptime) {
      shard.set_exptime(node, *new_exptime);
      shard.report(ChangeKind::touch, path, node->exptime());
    }
    node->set_cas(next_cas_.fetch_add(1, std::memory_order_relaxed) + 1);
    node->set_meta_marks(true, false);
    // The new unique is a change (a journal keeps it: after a restart the value answers to the
    // unique the client was given); the stale mark itself is not journaled.
    shard.report_store(path, node);
    return Status::stored;
  });
}

Status Tree::touch(const Path& path, int64_t new_exptime) {
  if (path.empty()) return Status::not_found;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr) return Status::not_found;
    shard.set_exptime(node, new_exptime);
    shard.report(ChangeKind::touch, path, node->exptime());
    return Status::touched;
  });
}

Status Tree::remove(const Path& path, std::optional<uint64_t> expected_cas) {
  if (path.empty()) return Status::not_found;
  Released released;  // freed on return, after the lock is let go
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr) return Status::not_found;
    if (expected_cas) {
      if (!node->has_value()) return Status::not_found;
      if (node->cas() != *expected_cas) return Status::exists;
    }
    shard.report(ChangeKind::remove, path);
    shard.remove(node);
    shard.drain(kInlineFree, released);
    return Status::deleted;
  });
}

Status Tree::remove_value(const Path& path) {
  if (path.empty()) return Status::not_found;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr || !node->has_value()) return Status::not_found;
    shard.report(ChangeKind::remove_value, path);
    shard.clear_value(node);
    shard.drain(kInlineFree);
    return Status::deleted;
  });
}

void Tree::flush(int64_t when) {
  const int64_t now = clock_.now();
  if (observer_.load(std::memory_order_relaxed) != nullptr) {
    if (when <= now) {
      flush_everything(now, false);
      return;
    }
    // Pending for every shard at once: the first request at or after `when` applies it.
    const auto locks = lock_all(shards_.get());
    for (std::size_t i = 0; i < kShards; ++i) shards_[i].flush_at = 0;
    pending_flush_at_.store(when, std::memory_order_relaxed);
    Change change;
    change.kind = ChangeKind::flush_pending;
    change.time = when;
    report_global(change);
    return;
  }
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::unique_lock lock(shard.mu);
    if (observer_.load(std::memory_order_relaxed) != nullptr) {
      // A watcher attached meanwhile (under every lock): the flush is one change for it, made
      // again over the whole tree (what the shards before this one got since is flushed too).
      lock.unlock();
      flush(when);
      return;
    }
    if (when <= now) {
      shard.report_flush(now);
      shard.flush_at = 0;
      shard.clear();
    } else {
      shard.flush_at = when;  // a later flush_all replaces a pending one, as in memcached
    }
  }
}

void Tree::flush_everything(int64_t time, bool pending) const {
  const auto locks = lock_all(shards_.get());
  if (pending && pending_flush_at_.load(std::memory_order_relaxed) != time) return;
  pending_flush_at_.store(0, std::memory_order_relaxed);
  Change change;
  change.kind = ChangeKind::flush;
  change.time = time;
  report_global(change);
  for (std::size_t i = 0; i < kShards; ++i) {
    shards_[i].flush_at = 0;
    shards_[i].clear();
  }
}

bool Tree::collect(std::size_t budget) {
  const int64_t now = clock_.now();
  catch_up(now);
  bool more = false;
  Released released;
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    {
      std::lock_guard lock(shard.mu);
      shard.advance(now);
      more = shard.drain(budget, released) || more;
    }
    released.free_all();  // outside the lock: a large batch of frees stalls no client
  }
  return more;
}

void Tree::read_each_shard(absl::FunctionRef<void(const Shard&)> read) const {
  const int64_t now = clock_.now();
  catch_up(now);
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    shard.advance(now);  // what has expired is not counted, whether or not anyone touched it
    read(shard);
  }
}

TreeStats Tree::stats() const {
  TreeStats stats;
  read_each_shard([&](const Shard& shard) { shard.add_stats(stats); });
  return stats;
}

SlabStats Tree::slab_stats() const {
  SlabStats stats;
  read_each_shard([&](const Shard& shard) { shard.add_slab_stats(stats); });
  return stats;
}

}  // namespace nestcache
