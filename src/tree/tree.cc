// The Tree's public operations: pick the shard, take its lock, run the shard's algorithm.
#include "nestcache/tree/tree.h"

#include "shard.h"

namespace nestcache {
namespace {

constexpr std::size_t kShards = Tree::kShardCount;
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

bool Tree::reserve(std::string_view top, uint64_t need) {
  const uint64_t limit = memory_limit_.load(std::memory_order_relaxed);
  auto fits = [&] { return used_bytes_.load(std::memory_order_relaxed) + need <= limit; };
  if (limit == 0 || fits()) return true;
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

bool Tree::set_memory_limit(uint64_t limit) {
  memory_limit_.store(limit, std::memory_order_relaxed);
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

StoreResult Tree::store(const Path& path, const StoreArgs& args) {
  if (path.empty() || path.size() > options_.max_depth) return StoreResult{Status::not_stored};
  // Room for the value and, at worst, a new node per segment, before anything is written.
  uint64_t need = Entry::allocation_bound(path.back().size(), args.data.size());
  for (std::size_t i = 0; i + 1 < path.size(); ++i)
    need += Entry::allocation_bound(path[i].size(), 0);
  if (!reserve(path[0], need)) return StoreResult{Status::out_of_memory};
  const StoreResult result = with_shard(path[0], [&](Shard& shard, int64_t now) {
    return shard.store(path, args, options_.strict_parents, next_cas_, now);
  });
  // A table that grew (a hash table doubles) can take more than the bound: evict the excess.
  if (options_.evict) reserve(path[0], 0);
  return result;
}

bool Tree::read(const Path& path, absl::FunctionRef<void(const ValueView&)> visit) {
  if (path.empty()) return false;
  return with_node(path, [&](Shard&, Entry* node) {
    if (node == nullptr || !node->has_value()) return false;
    node->mark_read();  // no LRU relink: a second chance at eviction (Shard::shrink)
    visit(ValueView{node->data(), node->flags(), node->exptime(), node->cas()});
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
    visit(ValueView{node->data(), node->flags(), node->exptime(), node->cas()});
    return true;
  });
}

Status Tree::touch(const Path& path, int64_t new_exptime) {
  if (path.empty()) return Status::not_found;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr) return Status::not_found;
    shard.set_exptime(node, new_exptime);
    return Status::touched;
  });
}

Status Tree::remove(const Path& path) {
  if (path.empty()) return Status::not_found;
  Shard::Released released;  // freed on return, after the lock is let go
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr) return Status::not_found;
    shard.remove(node);
    shard.drain(kInlineFree, released);
    return Status::deleted;
  });
}

Status Tree::remove_value(const Path& path) {
  if (path.empty()) return Status::not_found;
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr || !node->has_value()) return Status::not_found;
    shard.clear_value(node);
    shard.drain(kInlineFree);
    return Status::deleted;
  });
}

ArithResult Tree::arith(const Path& path, bool increment, uint64_t delta) {
  if (path.empty()) return ArithResult{Status::not_found};
  return with_node(path, [&](Shard& shard, Entry* node) {
    if (node == nullptr || !node->has_value()) return ArithResult{Status::not_found};
    const uint64_t cas = next_cas_.fetch_add(1, std::memory_order_relaxed) + 1;
    return shard.arith(node, increment, delta, cas);
  });
}

void Tree::flush(int64_t when) {
  const int64_t now = clock_.now();
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    if (when <= now) {
      shard.flush_at = 0;
      shard.clear();
    } else {
      shard.flush_at = when;  // a later flush_all replaces a pending one, as in memcached
    }
  }
}

bool Tree::collect(std::size_t budget) {
  const int64_t now = clock_.now();
  bool more = false;
  Shard::Released released;
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

TreeStats Tree::stats() const {
  TreeStats stats;
  const int64_t now = clock_.now();
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    shard.advance(now);  // what has expired is not counted, whether or not anyone touched it
    shard.add_stats(stats);
  }
  return stats;
}

}  // namespace nestcache
