#include "shard.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "nestcache/common/numbers.h"

namespace nestcache {

Tree::Shard::Shard() : roots_(Kids::create(nullptr, /*big=*/true)) {}

Tree::Shard::~Shard() {
  clear();
  while (drain(SIZE_MAX)) {
  }
  Kids::destroy(roots_);
}

// The roots table's fixed part is the shard's, like its mutex, and is not counted; what it
// grows by is (create_child, unlink, clear).
void Tree::Shard::attach(std::atomic<uint64_t>& used) { used_ = &used; }

void Tree::Shard::advance(int64_t now) {
  if (flush_at != 0 && flush_at <= now) {
    flush_at = 0;
    clear();
  }
  expire_due(now);
}

Entry* Tree::Shard::live_child(Entry* parent, std::string_view name, int64_t now) {
  return alive(parent == nullptr ? roots_->find(name) : parent->find_child(name), now);
}

Entry* Tree::Shard::expire(Entry* child) {
  // The deadline bounds the whole subtree: it goes now, for every reader.
  if (!child->fetched() && child->has_value()) ++expired_unfetched_;
  unlink(child);
  bury(child);
  return nullptr;
}

Entry* Tree::Shard::find(const Path& path, std::size_t count, int64_t now, std::size_t top_hash) {
  if (count == 0) return nullptr;
  const std::string_view* segment = path.data();  // (path[i] re-checks where it is stored)
  Entry* node = alive(roots_->find(segment[0], top_hash), now);
  if (node == nullptr) return nullptr;
  for (std::size_t i = 1; i < count; ++i) {
    Entry* next = alive(node->find_child(segment[i]), now);
    if (next == nullptr) {
      prune(node);  // an expired child may have left it empty
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

Entry* Tree::Shard::create_child(Entry* parent, std::string_view name, bool value_slot,
                                 std::size_t data_capacity) {
  const uint8_t depth = parent == nullptr ? 1 : static_cast<uint8_t>(parent->depth() + 1);
  Entry* node = Entry::create(name, data_capacity, false, value_slot, depth);
  if (parent != nullptr && !parent->has_kids_slot()) {
    parent = relocate(parent, parent->data().size(), true, parent->has_value_slot());
  }
  if (parent != nullptr && !parent->has_children()) {
    // A first child hangs directly in its parent's slot: no table for one child.
    parent->set_sole_child(node);
    node->hang_under(parent);
  } else {
    Kids* kids = parent == nullptr ? roots_ : parent->kids();
    if (Entry* sibling = parent != nullptr ? parent->sole_child() : nullptr) {
      // A second child: the sole one moves into a new table, which starts with the totals of
      // its subtree.
      kids = Kids::create(parent);
      const Totals below = subtree(sibling);
      kids->set_bytes(sibling->footprint() + below.bytes);
      kids->items = (sibling->has_value() ? 1 : 0) + below.items;
      kids->nodes = 1 + below.nodes;
      kids = Kids::insert(kids, sibling);  // room for two: does not move
      parent->set_kids(kids);
      sibling->hang_in(kids);
      account(static_cast<int64_t>(kids->allocated()));
    }
    const auto before = static_cast<int64_t>(kids->allocated());
    const std::size_t capacity = kids->capacity();
    Kids* now_at = Kids::insert(kids, node);
    if (now_at != kids) relink(now_at);
    if (now_at != kids || now_at->capacity() != capacity) ++slot_moves_;
    account(static_cast<int64_t>(now_at->allocated()) - before);
    node->hang_in(now_at);
  }
  ++nodes_;
  ++depth_counts_[node->depth()];
  account(static_cast<int64_t>(node->allocated()));
  propagate(node, static_cast<int64_t>(node->footprint()), 0, 1);
  return node;
}

void Tree::Shard::relink(Kids* kids) {
  if (kids->owner != nullptr) kids->owner->set_kids(kids);
  kids->for_each([kids](Entry* child) { child->hang_in(kids); });
}

void Tree::Shard::propagate(const Entry* node, int64_t delta_bytes, int64_t delta_items,
                            int64_t delta_nodes) {
  // Up to the roots; a sole child's parent has no table, so nothing to add there.
  while (node != nullptr && node->linked()) {
    if (Kids* kids = node->up_table()) {
      kids->add_bytes(delta_bytes);
      kids->items += static_cast<uint32_t>(delta_items);
      kids->nodes += static_cast<uint32_t>(delta_nodes);
      node = kids->owner;
    } else {
      node = node->up_parent();
    }
  }
}

Tree::Shard::Totals Tree::Shard::subtree(const Entry* node) {
  // Down the chain of sole children to the first table (which has the rest) or a leaf.
  Totals totals;
  while (true) {
    if (const Kids* kids = node->kids()) {
      totals.bytes += kids->bytes();
      totals.items += kids->items;
      totals.nodes += kids->nodes;
      return totals;
    }
    node = node->sole_child();
    if (node == nullptr) return totals;
    totals.bytes += node->footprint();
    totals.items += node->has_value() ? 1 : 0;
    ++totals.nodes;
  }
}

Entry* Tree::Shard::relocate(Entry* node, std::size_t data_capacity, bool kids_slot,
                             bool value_slot) {
  Entry* moved = Entry::copy(node, data_capacity, kids_slot, value_slot);
  account(static_cast<int64_t>(moved->allocated()) - static_cast<int64_t>(node->allocated()));
  if (Kids* up = moved->up_table()) {
    up->replace(node, moved);
  } else if (Entry* parent = moved->up_parent()) {
    parent->set_sole_child(moved);
  }
  if (Kids* kids = moved->kids()) {
    kids->owner = moved;
  } else if (Entry* child = moved->sole_child()) {
    child->hang_under(moved);
  }
  if (moved->lru_prev() != nullptr) {
    moved->lru_prev()->set_lru_next(moved);
  } else if (lru_head_ == node) {
    lru_head_ = moved;
  }
  if (moved->lru_next() != nullptr) {
    moved->lru_next()->set_lru_prev(moved);
  } else if (lru_tail_ == node) {
    lru_tail_ = moved;
  }
  if (moved->exptime() != 0) {
    deadlines_.erase({moved->exptime(), node});
    deadlines_.insert({moved->exptime(), moved});
  }
  Entry::destroy(node);
  return moved;
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
  const bool has_value = target != nullptr && target->has_value();

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
      if (args.mode == StoreMode::cas && target->cas() != args.cas) {
        return StoreResult{Status::exists};
      }
      break;
  }
  if (target == nullptr) {
    // Born with a value slot and room for the value (parent may move).
    target = create_child(parent, path[last], true, args.data.size());
  }

  const uint64_t cas = cas_source.fetch_add(1, std::memory_order_relaxed) + 1;
  if (args.mode == StoreMode::append || args.mode == StoreMode::prepend) {
    // Flags and deadline stay as they were (memcached ignores them for append/prepend).
    const std::string_view old = target->data();
    std::string joined;
    joined.reserve(old.size() + args.data.size());
    joined.append(args.mode == StoreMode::append ? old : args.data);
    joined.append(args.mode == StoreMode::append ? args.data : old);
    set_value(target, joined, target->flags(), cas);
  } else {
    target = set_value(target, args.data, args.flags, cas);
    set_exptime(target, args.exptime);
  }
  ++total_items_;
  return StoreResult{Status::stored, cas};
}

ArithResult Tree::Shard::arith(Entry* node, bool increment, uint64_t delta, uint64_t cas) {
  // memcached: a value must be a decimal number (strtoull rules) to be counted.
  const std::string_view data = node->data();
  auto current = data.empty() ? std::nullopt : parse_u64(data);
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
  if (text.size() < data.size()) text.resize(data.size(), ' ');
  set_value(node, text, node->flags(), cas);
  return ArithResult{Status::stored, value};
}

Entry* Tree::Shard::set_value(Entry* node, std::string_view data, uint32_t flags, uint64_t cas) {
  const auto before = static_cast<int64_t>(node->footprint());
  // A value that does not fit moves the node; so does one that would leave most of a large
  // allocation unused (the budget counts allocations, not values).
  // A valueless node gains its value slot the same way.
  const std::size_t capacity = node->data_capacity();
  if (!node->has_value_slot() || data.size() > capacity || capacity > 2 * data.size() + 64) {
    node = relocate(node, data.size(), false, true);
  }
  std::memcpy(node->data_ptr(), data.data(), data.size());
  node->set_data_size(data.size());
  propagate(node, static_cast<int64_t>(node->footprint()) - before, node->has_value() ? 0 : 1);
  if (node->has_value()) {
    bump(node);
  } else {
    node->set_has_value(true);
    lru_link(node);
  }
  node->set_flags(flags);
  node->set_cas(cas);
  node->set_fetched(false);
  return node;
}

void Tree::Shard::set_exptime(Entry* node, int64_t exptime) {
  if (node->exptime() != 0) deadlines_.erase({node->exptime(), node});
  node->set_exptime(exptime);
  if (node->exptime() != 0) deadlines_.insert({node->exptime(), node});
}

void Tree::Shard::clear_value(Entry* node) {
  if (!node->has_value()) return;
  const auto before = static_cast<int64_t>(node->footprint());
  node->set_data_size(0);
  node->set_has_value(false);
  lru_unlink(node);
  propagate(node, static_cast<int64_t>(node->footprint()) - before, -1);
  if (node->empty()) {
    prune(node);
  } else {
    relocate(node, 0, true, false);  // a valueless node with children: give the value slot back
  }
}

void Tree::Shard::lru_link(Entry* node) {
  node->set_referenced(false);
  node->set_lru_prev(nullptr);
  node->set_lru_next(lru_head_);
  if (lru_head_ != nullptr) lru_head_->set_lru_prev(node);
  lru_head_ = node;
  if (lru_tail_ == nullptr) lru_tail_ = node;
}

void Tree::Shard::lru_unlink(Entry* node) {
  Entry* prev = node->lru_prev();
  Entry* next = node->lru_next();
  if (prev == nullptr && lru_head_ != node) return;  // not linked (or no value slot)
  if (prev != nullptr) {
    prev->set_lru_next(next);
  } else {
    lru_head_ = next;
  }
  if (next != nullptr) {
    next->set_lru_prev(prev);
  } else {
    lru_tail_ = prev;
  }
  node->set_lru_prev(nullptr);
  node->set_lru_next(nullptr);
}

void Tree::Shard::bump(Entry* node) {
  node->set_referenced(false);  // it is at the head now
  if (node == lru_head_) return;
  lru_unlink(node);
  lru_link(node);
}

bool Tree::Shard::free_detached(uint64_t target, const std::atomic<uint64_t>& used) {
  auto over = [&] { return used.load(std::memory_order_relaxed) > target; };
  while (over() && drain(1024)) {
  }
  return !over();
}

bool Tree::Shard::shrink(uint64_t target, const std::atomic<uint64_t>& used) {
  auto over = [&] { return used.load(std::memory_order_relaxed) > target; };
  // Detached nodes go first: freeing them costs nobody a value.
  free_detached(target, used);
  while (over() && lru_tail_ != nullptr) {
    Entry* victim = lru_tail_;
    if (!attached(victim)) {
      lru_unlink(victim);  // in a detached subtree: drain frees it, nothing to evict
      continue;
    }
    if (victim->referenced()) {
      // Read since it last moved: one more pass through the LRU instead of eviction. Reads mark
      // a node rather than relinking it (what memcached's ITEM_UPDATE_INTERVAL and its ACTIVE
      // bit also save): a hit then writes only its own header, not its two LRU neighbours.
      bump(victim);
      continue;
    }
    ++evictions_;
    if (!victim->fetched()) ++evicted_unfetched_;
    clear_value(victim);  // the node stays while it has children (values go, never subtrees)
    drain(64);
  }
  return !over();
}

void Tree::Shard::unlink(Entry* node) {
  const Totals below = subtree(node);
  propagate(node, -static_cast<int64_t>(node->footprint() + below.bytes),
            -static_cast<int64_t>((node->has_value() ? 1 : 0) + below.items),
            -static_cast<int64_t>(1 + below.nodes));
  if (Entry* parent = node->up_parent()) {
    parent->clear_children();
    node->unhang();
    return;
  }
  Kids* kids = node->up_table();
  const auto before = static_cast<int64_t>(kids->allocated());
  kids->erase(node);
  ++slot_moves_;
  node->unhang();
  if (kids != roots_ && kids->size() <= 1) {
    // Down to one child (or none): it hangs directly under the owner, and the table goes.
    Entry* owner = kids->owner;
    owner->clear_children();
    if (!kids->empty()) {
      Entry* last = kids->take_one();
      owner->set_sole_child(last);
      last->hang_under(owner);
    }
    account(-before);
    Kids::destroy(kids);
    return;
  }
  account(static_cast<int64_t>(kids->allocated()) - before);
}

void Tree::Shard::remove(Entry* node) {
  Entry* parent = node->parent();
  unlink(node);
  bury(node);
  if (parent != nullptr) prune(parent);
}

void Tree::Shard::prune(Entry* node) {
  while (node != nullptr && node->empty()) {
    Entry* parent = node->parent();
    unlink(node);
    bury(node);
    node = parent;
  }
}

void Tree::Shard::clear() {
  roots_->for_each([this](Entry* node) {
    node->unhang();
    bury(node);
  });
  const auto before = static_cast<int64_t>(roots_->allocated());
  roots_->clear();
  ++slot_moves_;
  account(static_cast<int64_t>(roots_->allocated()) - before);
}

// A node is attached if following parents reaches the roots (a detached subtree's top hangs
// nowhere, and neither does every node drain() has taken out of its parent).
bool Tree::Shard::attached(const Entry* node) const {
  while (node->parent() != nullptr) node = node->parent();
  return node->up_table() == roots_;
}

std::size_t Tree::Shard::expire_due(int64_t now) {
  std::size_t expired = 0;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Entry* node = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    node->set_exptime(0);           // out of the index; it is gone either way
    if (!attached(node)) continue;  // already on its way to the graveyard
    if (!node->fetched() && node->has_value()) ++expired_unfetched_;
    remove(node);
    ++reclaimed_;
    ++expired;
  }
  return expired;
}

bool Tree::Shard::drain(std::size_t budget, Released& released) {
  while (budget > 0 && !graveyard_.empty()) {
    Entry* node = graveyard_.back();
    if (Entry* child = node->sole_child()) {
      node->clear_children();
      child->unhang();
      graveyard_.push_back(child);
      --budget;
      continue;
    }
    if (Kids* kids = node->kids(); kids != nullptr && !kids->empty()) {
      // Take children out a batch at a time, so a huge subtree is freed in many short steps.
      for (; budget > 0 && !kids->empty(); --budget) {
        Entry* child = kids->take_one();
        child->unhang();
        graveyard_.push_back(child);
      }
      continue;
    }
    graveyard_.pop_back();
    retire(node, released);
    --budget;
  }
  return !graveyard_.empty();
}

void Tree::Shard::retire(Entry* node, Released& released) {
  if (node->exptime() != 0) deadlines_.erase({node->exptime(), node});
  --nodes_;
  --depth_counts_[node->depth()];
  if (node->has_value()) lru_unlink(node);  // counted out of curr_items when detached
  if (Kids* kids = node->kids()) {
    account(-static_cast<int64_t>(kids->allocated()));
    released.tables_.push_back(kids);
  }
  account(-static_cast<int64_t>(node->allocated()));
  released.entries_.push_back(node);
}

void Tree::Shard::Released::free_all() {
  for (Kids* kids : tables_) Kids::destroy(kids);
  for (Entry* node : entries_) Entry::destroy(node);
  tables_.clear();
  entries_.clear();
}

void Tree::Shard::add_stats(TreeStats& stats) const {
  stats.nodes += roots_->nodes;
  stats.items += roots_->items;
  stats.bytes += roots_->bytes();
  stats.allocated += allocated_;
  stats.total_items += total_items_;
  stats.pending_free += nodes_ - roots_->nodes;
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
