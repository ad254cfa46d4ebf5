#include "shard.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace nestcache {

// The roots table's fixed part is the shard's, like its mutex, and is not counted; what it
// grows by is (create_child, unlink, clear).
Tree::Shard::Shard() : roots_(Kids::create(nullptr, /*big=*/true)) {}

Tree::Shard::~Shard() {
  clear();
  while (drain(SIZE_MAX)) {
  }
  Kids::destroy(roots_);
}

void Tree::Shard::advance(int64_t now) {
  if (flush_at != 0 && flush_at <= now) {
    report_flush(flush_at);
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
  report(ChangeKind::expire, child);
  unlink(child);
  graveyard_.bury(child);
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

Entry* Tree::Shard::find_or_create(const Path& path, std::size_t count, int64_t now,
                                   std::size_t top_hash) {
  Entry* node = nullptr;
  for (std::size_t i = 0; i < count; ++i) {
    Entry* next = i == 0 ? live_root(path[0], top_hash, now) : live_child(node, path[i], now);
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
      memory_.add(static_cast<int64_t>(kids->allocated()));
    }
    const auto before = static_cast<int64_t>(kids->allocated());
    const std::size_t capacity = kids->capacity();
    Kids* now_at = Kids::insert(kids, node);
    if (now_at != kids) relink(now_at);
    if (now_at != kids || now_at->capacity() != capacity) ++slot_moves_;
    memory_.add(static_cast<int64_t>(now_at->allocated()) - before);
    node->hang_in(now_at);
  }
  ++nodes_;
  ++depth_counts_[node->depth()];
  memory_.add(static_cast<int64_t>(node->allocated()));
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
  memory_.add(static_cast<int64_t>(moved->allocated()) - static_cast<int64_t>(node->allocated()));
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
  lru_.moved(node, moved);
  deadlines_.moved(node, moved);
  Entry::destroy(node);
  return moved;
}

SlabUsage& Tree::Shard::slab_usage(const Entry* node) {
  return slab_.classes[slab_class_for(item_size(node))];
}

void Tree::Shard::count_large_slab(std::size_t size, std::size_t data, uint64_t delta) {
  SlabUsage& usage = slab_.classes[slab_class_for(size)];
  usage.items += delta;
  usage.requested += delta * size;
  for_each_large_chunk(size, data, [&](uint32_t id) { slab_.classes[id].chunks += delta; });
}

void Tree::Shard::add_slab_stats(SlabStats& stats) const {
  for (std::size_t id = 0; id < kSlabClassSlots; ++id) {
    SlabUsage& sum = stats.classes[id];
    const SlabUsage& mine = slab_.classes[id];
    sum.items += mine.items;
    sum.requested += mine.requested;
    sum.chunks += mine.chunks;
    sum.evicted += mine.evicted;
    sum.evicted_unfetched += mine.evicted_unfetched;
    sum.reclaimed += mine.reclaimed;
    sum.expired_unfetched += mine.expired_unfetched;
  }
}

Entry* Tree::Shard::set_value(Entry* node, std::string_view data, uint32_t flags, uint64_t cas) {
  // A value replaced by one of the same item size (same length, flags 0 or not, as the key is
  // the same) stays where it was counted: the usual overwrite costs no class lookup.
  const bool had = node->has_value();
  const bool same_size =
      had && node->data_size() == data.size() && (node->flags() != 0) == (flags != 0);
  if (had && !same_size) count_slab(node, kSlabOut);
  const auto before = static_cast<int64_t>(node->footprint());
  // A value that does not fit moves the node; so does one that would leave most of a large
  // allocation unused (the budget counts allocations, not values).
  // A valueless node gains its value slot the same way.
  const std::size_t capacity = node->data_capacity();
  if (!node->has_value_slot() || data.size() > capacity || capacity > 2 * data.size() + 64) {
    node = relocate(node, data.size(), false, true);
  }
  // An empty value may have no bytes at all (mg N creates one): memcpy from null is undefined.
  if (!data.empty()) std::memcpy(node->data_ptr(), data.data(), data.size());
  node->set_data_size(data.size());
  propagate(node, static_cast<int64_t>(node->footprint()) - before, node->has_value() ? 0 : 1);
  if (node->has_value()) {
    lru_.bump(node);
  } else {
    node->set_has_value(true);
    lru_.link(node);
  }
  node->set_flags(flags);
  node->set_cas(cas);
  node->set_fetched(false);
  if (!same_size) {
    count_slab(memcached_item_size(node->name().size(), flags, data.size()), data.size(), 1);
  }
  return node;
}

void Tree::Shard::clear_value(Entry* node) {
  if (!node->has_value()) return;
  count_slab(node, kSlabOut);
  const auto before = static_cast<int64_t>(node->footprint());
  node->set_data_size(0);
  node->set_has_value(false);
  lru_.unlink(node);
  // A node that keeps children gives its value slot back; one left empty is pruned.
  if (!node->empty()) node = relocate(node, 0, true, false);
  propagate(node, static_cast<int64_t>(node->footprint()) - before, -1);
  if (node->empty()) prune(node);
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
  while (over() && lru_.coldest() != nullptr) {
    Entry* victim = lru_.coldest();
    if (!attached(victim)) {
      lru_.unlink(victim);  // in a detached subtree: drain frees it, nothing to evict
      continue;
    }
    if (victim->referenced()) {
      // Read since it last moved: one more pass through the LRU instead of eviction. Reads mark
      // a node rather than relinking it (what memcached's ITEM_UPDATE_INTERVAL and its ACTIVE
      // bit also save): a hit then writes only its own header, not its two LRU neighbours.
      lru_.bump(victim);
      continue;
    }
    ++evictions_;
    SlabUsage& usage = slab_usage(victim);
    ++usage.evicted;
    if (!victim->fetched()) {
      ++evicted_unfetched_;
      ++usage.evicted_unfetched;
    }
    report(ChangeKind::evict, victim);
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
    memory_.add(-before);
    Kids::destroy(kids);
    return;
  }
  memory_.add(static_cast<int64_t>(kids->allocated()) - before);
}

void Tree::Shard::remove(Entry* node) {
  Entry* parent = node->parent();
  unlink(node);
  graveyard_.bury(node);
  if (parent != nullptr) prune(parent);
}

void Tree::Shard::prune(Entry* node) {
  while (node != nullptr && node->empty()) {
    Entry* parent = node->parent();
    unlink(node);
    graveyard_.bury(node);
    node = parent;
  }
}

void Tree::Shard::clear() {
  roots_->for_each([this](Entry* node) {
    node->unhang();
    graveyard_.bury(node);
  });
  const auto before = static_cast<int64_t>(roots_->allocated());
  roots_->clear();
  ++slot_moves_;
  memory_.add(static_cast<int64_t>(roots_->allocated()) - before);
}

// A node is attached if following parents reaches the roots (a detached subtree's top hangs
// nowhere, and neither does every node drain() has taken out of its parent).
bool Tree::Shard::attached(const Entry* node) const {
  while (node->parent() != nullptr) node = node->parent();
  return node->up_table() == roots_;
}

void Tree::Shard::count_expired(const Entry* node) {
  SlabUsage& usage = slab_usage(node);
  ++usage.reclaimed;
  if (!node->fetched()) {
    ++expired_unfetched_;
    ++usage.expired_unfetched;
  }
}

void Tree::Shard::expire_due(int64_t now) {
  while (Entry* node = deadlines_.pop_due(now)) {
    if (!attached(node)) continue;  // already on its way to the graveyard
    if (node->has_value()) count_expired(node);
    report(ChangeKind::expire, node);
    remove(node);
    ++reclaimed_;
  }
}

bool Tree::Shard::drain(std::size_t budget, Released& released) {
  return graveyard_.drain(budget, [&](Entry* node) { retire(node, released); });
}

void Tree::Shard::retire(Entry* node, Released& released) {
  deadlines_.forget(node);
  --nodes_;
  --depth_counts_[node->depth()];
  if (node->has_value()) {
    lru_.unlink(node);  // counted out of curr_items when detached
    count_slab(node, kSlabOut);
  }
  if (Kids* kids = node->kids()) {
    memory_.add(-static_cast<int64_t>(kids->allocated()));
    released.add(kids);
  }
  memory_.add(-static_cast<int64_t>(node->allocated()));
  released.add(node);
}

void Tree::Shard::add_stats(TreeStats& stats) const {
  stats.nodes += roots_->nodes;
  stats.items += roots_->items;
  stats.bytes += roots_->bytes();
  stats.allocated += memory_.held();
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

// ---- the change seam ----

namespace {

// The path of an attached node, its names viewed in place (valid while the lock is held).
Path path_of(const Entry* node) {
  Path path;
  for (; node != nullptr; node = node->parent()) path.push_back(node->name());
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace

void Tree::Shard::deliver(Change& change) {
  if (change.kind != ChangeKind::store && change.kind != ChangeKind::unused) {
    change.cas = last_cas_->fetch_add(1, std::memory_order_relaxed) + 1;
  }
  change.shard = index_;
  observer_->on_change(change);
}

void Tree::Shard::send_store(const Path& path, const Entry* node) {
  Change change;
  change.kind = ChangeKind::store;
  change.path = &path;
  change.value = node->value();  // one read of the value slot (the store just wrote it)
  change.cas = change.value.cas;
  deliver(change);
}

void Tree::Shard::send(ChangeKind kind, const Path& path, int64_t exptime) {
  Change change;
  change.kind = kind;
  change.path = &path;
  change.exptime = exptime;
  deliver(change);
}

void Tree::Shard::send(ChangeKind kind, const Entry* node) {
  const Path path = path_of(node);
  send(kind, path, 0);
}

void Tree::Shard::send_flush(int64_t time) {
  const Path none;
  Change change;
  change.kind = ChangeKind::flush;
  change.path = &none;
  change.time = time;
  deliver(change);
}

void Tree::Shard::send_unused(uint64_t cas) {
  const Path none;
  Change change;
  change.kind = ChangeKind::unused;
  change.path = &none;
  change.cas = cas;
  deliver(change);
}

}  // namespace nestcache
