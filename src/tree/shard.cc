#include "shard.h"

#include <algorithm>
#include <charconv>

#include "nestcache/common/numbers.h"

namespace nestcache {

Tree::Shard::~Shard() {
  clear();
  while (drain(SIZE_MAX)) {
  }
}

void Tree::Shard::advance(int64_t now) {
  if (flush_at != 0 && flush_at <= now) {
    flush_at = 0;
    clear();
  }
  expire_due(now);
}

Entry* Tree::Shard::live_child(Entry* parent, std::string_view name, int64_t now) {
  const Children* set = parent == nullptr ? &roots : parent->children.get();
  if (set == nullptr) return nullptr;
  auto it = set->find(name);
  if (it == set->end()) return nullptr;
  Entry* child = *it;
  if (child->expired(now)) {
    // The deadline bounds the whole subtree: it goes now, for every reader.
    if (!child->fetched && child->has_value) ++expired_unfetched_;
    unlink(child);
    bury(child);
    return nullptr;
  }
  return child;
}

Entry* Tree::Shard::find(const Path& path, std::size_t count, int64_t now) {
  Entry* node = nullptr;
  for (std::size_t i = 0; i < count; ++i) {
    Entry* next = live_child(node, path[i], now);
    if (next == nullptr) {
      if (node != nullptr) prune(node);  // an expired child may have left it empty
      return nullptr;
    }
    node = next;
  }
  return node;
}

Entry* Tree::Shard::find_or_create(const Path& path, std::size_t count, int64_t now) {
  Entry* node = nullptr;
  for (std::size_t i = 0; i < count; ++i) {
    Entry* next = live_child(node, path[i], now);
    node = next != nullptr ? next : create_child(node, path[i]);
  }
  return node;
}

Entry* Tree::Shard::create_child(Entry* parent, std::string_view name) {
  const uint8_t depth = parent == nullptr ? 1 : static_cast<uint8_t>(parent->depth + 1);
  auto* node = new Entry(name, parent, depth);
  if (parent == nullptr) {
    roots.insert(node);
  } else {
    if (!parent->children) parent->children = std::make_unique<Children>();
    parent->children->insert(node);
  }
  account_new(node);
  return node;
}

void Tree::Shard::account_new(const Entry* node) {
  ++nodes_;
  ++depth_counts_[node->depth];
  account(static_cast<int64_t>(node->footprint()));
}

StoreResult Tree::Shard::store(const Path& path, const StoreArgs& args, bool strict_parents,
                               std::atomic<uint64_t>& cas_source, int64_t now) {
  const bool creates = args.mode == StoreMode::set || args.mode == StoreMode::add;
  const Status missing = args.mode == StoreMode::cas ? Status::not_found : Status::not_stored;
  const std::size_t last = path.size() - 1;

  Entry* parent = nullptr;
  if (last > 0) {
    parent = creates && !strict_parents ? find_or_create(path, last, now) : find(path, last, now);
    if (parent == nullptr) return StoreResult{missing};
  }
  Entry* target = live_child(parent, path[last], now);
  const bool has_value = target != nullptr && target->has_value;

  switch (args.mode) {
    case StoreMode::set:
      break;
    case StoreMode::add:
      if (has_value) return StoreResult{Status::not_stored};
      break;
    case StoreMode::replace:
    case StoreMode::append:
    case StoreMode::prepend:
    case StoreMode::cas:
      if (!has_value) {
        if (parent != nullptr) prune(parent);  // an expired target may have left it empty
        return StoreResult{missing};
      }
      if (args.mode == StoreMode::cas && target->cas != args.cas) {
        return StoreResult{Status::exists};
      }
      break;
  }
  if (target == nullptr) target = create_child(parent, path[last]);

  const uint64_t cas = cas_source.fetch_add(1, std::memory_order_relaxed) + 1;
  if (args.mode == StoreMode::append || args.mode == StoreMode::prepend) {
    // Flags and deadline stay as they were (memcached ignores them for append/prepend).
    std::string joined;
    joined.reserve(target->data.size() + args.data.size());
    joined.append(args.mode == StoreMode::append ? target->data : args.data);
    joined.append(args.mode == StoreMode::append ? args.data : target->data);
    set_value(target, joined, target->flags, cas);
  } else {
    set_value(target, args.data, args.flags, cas);
    set_exptime(target, args.exptime);
  }
  ++total_items_;
  return StoreResult{Status::stored, cas};
}

ArithResult Tree::Shard::arith(Entry* node, bool increment, uint64_t delta, uint64_t cas) {
  // memcached: a value must be a decimal number (strtoull rules) to be counted.
  auto current = node->data.empty() ? std::nullopt : parse_u64(node->data);
  if (!current) return ArithResult{Status::non_numeric};
  uint64_t value = *current;
  if (increment) {
    value += delta;  // wraps at 2^64, as memcached does
  } else {
    value = delta > value ? 0 : value - delta;
  }
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  std::string text(buf, end);
  // memcached rewrites a shorter number in place, padded with spaces to the old length.
  if (text.size() < node->data.size()) text.resize(node->data.size(), ' ');
  set_value(node, text, node->flags, cas);
  return ArithResult{Status::stored, value};
}

void Tree::Shard::set_value(Entry* node, std::string_view data, uint32_t flags, uint64_t cas) {
  const auto before = static_cast<int64_t>(node->footprint());
  node->data.assign(data);
  account(static_cast<int64_t>(node->footprint()) - before);
  if (node->has_value) {
    bump(node);
  } else {
    ++items_;
    node->has_value = true;
    lru_link(node);
  }
  node->flags = flags;
  node->cas = cas;
  node->fetched = false;
}

void Tree::Shard::set_exptime(Entry* node, int64_t exptime) {
  if (node->exptime == exptime) return;
  if (node->exptime != 0) deadlines_.erase({node->exptime, node});
  node->exptime = exptime;
  if (exptime != 0) deadlines_.insert({exptime, node});
}

void Tree::Shard::clear_value(Entry* node) {
  if (!node->has_value) return;
  const auto before = static_cast<int64_t>(node->footprint());
  node->data.clear();
  node->data.shrink_to_fit();
  account(static_cast<int64_t>(node->footprint()) - before);
  node->has_value = false;
  lru_unlink(node);
  --items_;
  if (node->empty()) prune(node);
}

void Tree::Shard::lru_link(Entry* node) {
  node->lru_prev = nullptr;
  node->lru_next = lru_head_;
  if (lru_head_ != nullptr) lru_head_->lru_prev = node;
  lru_head_ = node;
  if (lru_tail_ == nullptr) lru_tail_ = node;
}

void Tree::Shard::lru_unlink(Entry* node) {
  if (node->lru_prev == nullptr && lru_head_ != node) return;  // not linked
  (node->lru_prev != nullptr ? node->lru_prev->lru_next : lru_head_) = node->lru_next;
  (node->lru_next != nullptr ? node->lru_next->lru_prev : lru_tail_) = node->lru_prev;
  node->lru_prev = node->lru_next = nullptr;
}

void Tree::Shard::bump(Entry* node) {
  if (node == lru_head_) return;
  lru_unlink(node);
  lru_link(node);
}

bool Tree::Shard::shrink(uint64_t target, const std::atomic<uint64_t>& used) {
  auto over = [&] { return used.load(std::memory_order_relaxed) > target; };
  // Detached nodes go first: freeing them costs nobody a value.
  while (over() && drain(1024)) {
  }
  while (over() && lru_tail_ != nullptr) {
    Entry* victim = lru_tail_;
    if (!attached(victim)) {
      lru_unlink(victim);  // in a detached subtree: drain frees it, nothing to evict
      continue;
    }
    ++evictions_;
    if (!victim->fetched) ++evicted_unfetched_;
    clear_value(victim);  // the node stays while it has children (values go, never subtrees)
    drain(64);
  }
  return !over();
}

void Tree::Shard::unlink(Entry* node) {
  Entry* parent = node->parent;
  if (parent == nullptr) {
    roots.erase(node);
    return;
  }
  parent->children->erase(node);
  if (parent->children->empty()) parent->children.reset();
  node->parent = nullptr;
}

void Tree::Shard::remove(Entry* node) {
  Entry* parent = node->parent;
  unlink(node);
  bury(node);
  if (parent != nullptr) prune(parent);
}

void Tree::Shard::prune(Entry* node) {
  while (node != nullptr && node->empty()) {
    Entry* parent = node->parent;
    unlink(node);
    bury(node);
    node = parent;
  }
}

void Tree::Shard::clear() {
  for (Entry* node : roots) bury(node);
  roots.clear();
}

// A node is attached if following parents reaches a top-level node that is in `roots` (a
// detached node's parent is nullptr, and a node in the graveyard is never in roots).
bool Tree::Shard::attached(const Entry* node) const {
  while (node->parent != nullptr) node = node->parent;
  auto it = roots.find(std::string_view(node->name));
  return it != roots.end() && *it == node;
}

std::size_t Tree::Shard::expire_due(int64_t now) {
  std::size_t expired = 0;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Entry* node = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    node->exptime = 0;              // out of the index; it is gone either way
    if (!attached(node)) continue;  // already on its way to the graveyard
    if (!node->fetched && node->has_value) ++expired_unfetched_;
    remove(node);
    ++reclaimed_;
    ++expired;
  }
  return expired;
}

bool Tree::Shard::drain(std::size_t budget) {
  while (budget > 0 && !graveyard_.empty()) {
    Entry* node = graveyard_.back();
    if (node->has_children()) {
      // Take children out a batch at a time, so a huge subtree is freed in many short steps.
      Children& set = *node->children;
      for (auto it = set.begin(); it != set.end() && budget > 0; --budget) {
        Entry* child = *it;
        child->parent = nullptr;
        graveyard_.push_back(child);
        set.erase(it++);
      }
      continue;
    }
    graveyard_.pop_back();
    free_entry(node);
    --budget;
  }
  return !graveyard_.empty();
}

void Tree::Shard::free_entry(Entry* node) {
  if (node->exptime != 0) deadlines_.erase({node->exptime, node});
  --nodes_;
  --depth_counts_[node->depth];
  account(-static_cast<int64_t>(node->footprint()));
  if (node->has_value) {
    lru_unlink(node);
    --items_;
  }
  delete node;
}

void Tree::Shard::add_stats(TreeStats& stats) const {
  stats.nodes += nodes_;
  stats.items += items_;
  stats.bytes += bytes_;
  stats.total_items += total_items_;
  stats.pending_free += graveyard_.size();
  stats.reclaimed += reclaimed_;
  stats.expired_unfetched += expired_unfetched_;
  stats.evictions += evictions_;
  stats.evicted_unfetched += evicted_unfetched_;
  for (std::size_t depth = depth_counts_.size(); depth-- > 1;) {
    if (depth_counts_[depth] != 0) {
      stats.max_depth = std::max<uint64_t>(stats.max_depth, depth);
      break;
    }
  }
}

}  // namespace nestcache
