// The table of a node's children (and of a shard's top level), and the Entry methods that
// read a node's children.
//
// A node with exactly one child holds that child directly and the child points back at the
// parent Entry: no table for one child (most paths have long single-child stretches, e.g. a
// user's one profile). The second child makes a Kids table (the first moves into it); a table
// that drops to one child goes again. An attached table other than a shard's roots therefore
// always holds two or more children.
//
// Children in a table do not point at their parent Entry but at the parent's Kids, which points
// back at its owner. So moving an Entry (a value that no longer fits its allocation) touches
// only its slot in its parent's Kids (or its parent's children slot), its Kids' owner pointer
// (or its sole child's up), its LRU neighbours and its deadline index entry: O(1) however many
// children it has.
//
// Kids is one allocation too, a 24-byte header and then either
//
//   small: uint64 slot[cap]      up to kSmallKids children, sorted by name (most nodes have few)
//   big:   uint64* slots         past that, a hash table: its array of 2^count_ slots,
//          uint32 size, top      open addressing, linear probing (Kids::Big)
//
// where every slot is a tagged pointer: the child's address in the low 48 bits, 16 bits of its
// name's hash in the top 16 (Kids::tag_of). A lookup hashes the name once and follows only the
// slot whose tag matches, so each level of a path costs the table's header line, one slot line
// and the one child's Entry: no name compares against the wrong siblings (a small table is
// scanned by tag, not binary-searched by name) and, unlike a flat_hash_set, no separate set
// object or control bytes to load first. The tags take no memory.
//
// The table also carries the logical bytes, item count and node count of the whole subtree below
// its owner, so a detached subtree leaves `stats bytes`/`curr_items`/`tree_nodes` at once (see
// Tree::Shard::unlink). A node with a sole child has no table: its subtree's figures are summed
// down the chain of sole children to the first table or leaf (Tree::Shard::subtree, O(depth) like
// propagating a change up), and a new table starts with the figures of the child that moves into
// it.
//
// A table is owned by its node (or by a shard, for its roots) and guarded by the shard's mutex.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <absl/base/attributes.h>

#include "allocation.h"
#include "entry.h"
#include "name_hash.h"

namespace nestcache {

// The children of one node (or a shard's top level), see the top of this file.
struct Kids {
  static constexpr uint8_t kSmallKids = 16;

  // An empty table for `owner` (nullptr for a shard's roots); `big` starts it as a hash table.
  static Kids* create(Entry* owner, bool big = false);
  static void destroy(Kids* kids);

  std::size_t size() const { return cap_ == 0 ? big().size : count_; }
  bool empty() const { return size() == 0; }
  bool is_big() const { return cap_ == 0; }
  ABSL_ATTRIBUTE_ALWAYS_INLINE Entry* find(std::string_view name) const {
    return find(name, hash_name(name));
  }
  // The same, given hash_name(name). Only a slot whose tag matches is followed to its Entry.
  ABSL_ATTRIBUTE_ALWAYS_INLINE Entry* find(std::string_view name, std::size_t hash) const {
    const uint64_t want = tag_of(hash);
    if (cap_ != 0) {
      const uint64_t* s = small_slots();
      for (uint8_t i = 0; i < count_; ++i) {
        if (matches(s[i], want, name)) return entry_of(s[i]);
      }
      return nullptr;
    }
    const Big& table = big();
    const std::size_t mask = big_mask();
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint64_t slot = table.slots[i];
      if (slot == 0) return nullptr;  // the table is never full
      if (matches(slot, want, name)) return entry_of(slot);
    }
  }
  // Adds `child` (no child of that name may be present). May move the table: returns where it
  // is now; the caller re-points the owner and the children (relink).
  [[nodiscard]] static Kids* insert(Kids* kids, Entry* child);
  void erase(Entry* child);
  // `to` takes the place of `from` (same name).
  void replace(Entry* from, Entry* to);
  // Removes and returns one child (the table must not be empty).
  Entry* take_one();
  void clear();
  // Calls fn(Entry*) for each child; in name order when !is_big().
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (cap_ == 0) {
      const Big& table = big();
      for (std::size_t i = 0; i <= big_mask(); ++i) {
        if (table.slots[i] != 0) fn(entry_of(table.slots[i]));
      }
    } else {
      for (uint8_t i = 0; i < count_; ++i) fn(entry_of(small_slots()[i]));
    }
  }
  // Calls fn(Entry*) for each child in the hash table's slots [from, from + count) (clipped to
  // capacity()), and returns where the next range starts: a scan that lets go of the lock
  // between ranges (walk.cc). Requires is_big().
  template <typename Fn>
  std::size_t for_each_in_slots(std::size_t from, std::size_t count, Fn&& fn) const {
    const Big& table = big();
    const std::size_t end = std::min(big_mask() + 1, from + std::min(count, big_mask() + 1));
    for (std::size_t i = from; i < end; ++i) {
      if (table.slots[i] != 0) fn(entry_of(table.slots[i]));
    }
    return end;
  }
  // The memory this table really takes (its allocation, and the hash table's slots when big).
  std::size_t allocated() const;
  // The hash table's slot count (1 while it holds no array); 0 for a small table.
  std::size_t capacity() const { return cap_ == 0 ? big_mask() + 1 : 0; }

  Entry* owner;
  uint32_t items = 0;  // valued nodes below `owner`
  uint32_t nodes = 0;  // nodes below `owner`, valued or not
  // Logical bytes of every attached node below `owner`; 48 bits (256 TiB), stored in two parts
  // so the header stays 24 bytes (a 10-child table then fits a 112-byte malloc chunk).
  uint64_t bytes() const { return (uint64_t{bytes_high_} << 32) | bytes_low_; }
  void set_bytes(uint64_t bytes) {
    bytes_low_ = static_cast<uint32_t>(bytes);
    bytes_high_ = static_cast<uint16_t>(bytes >> 32);
  }
  void add_bytes(int64_t delta) { set_bytes(bytes() + static_cast<uint64_t>(delta)); }

  // A slot is a child's address in its low 48 bits (user-space addresses on x86-64 and AArch64
  // Linux fit; allocate() refuses one that does not, allocation.h) and 16 bits of its name's hash
  // above them: a lookup compares the tag and follows only a slot that matches (one in 65536 by
  // chance), so it reads one child's Entry, not every candidate's. The tag is bits 42..57 of the
  // hash: clear of the low bits that index a hash table and of the top 6 that pick the shard.
  static uint64_t tag_of(std::size_t hash) { return (uint64_t{hash} << 6) & ~kAddressMask; }
  static Entry* entry_of(uint64_t slot) { return reinterpret_cast<Entry*>(slot & kAddressMask); }
  static uint64_t make_slot(Entry* child, std::size_t hash) {
    return reinterpret_cast<uintptr_t>(child) | tag_of(hash);
  }
  static constexpr uint64_t kAddressMask = nestcache::kAddressMask;

 private:
  // A hash table (cap_ == 0) keeps this after the header: open addressing with linear probing
  // over 2^shift tagged slots (0 = empty), at most 3/4 full so that every probe sequence ends at
  // an empty slot; erase moves the rest of a run back instead of leaving tombstones. A table
  // that has never held a child points at one shared empty slot (shift 0).
  struct Big {
    uint64_t* slots;
    uint32_t size;
    uint32_t top;  // no child sits past slots[top] (take_one scans down from there)
  };

  Kids() = default;
  static bool matches(uint64_t slot, uint64_t want, std::string_view name) {
    return ((slot ^ want) & ~kAddressMask) == 0 && same_name(entry_of(slot)->name(), name);
  }
  uint64_t* small_slots() { return reinterpret_cast<uint64_t*>(this + 1); }
  const uint64_t* small_slots() const { return reinterpret_cast<const uint64_t*>(this + 1); }
  Big& big() { return *reinterpret_cast<Big*>(this + 1); }
  const Big& big() const { return *reinterpret_cast<const Big*>(this + 1); }
  std::size_t big_mask() const { return (std::size_t{1} << count_) - 1; }
  // Index of the first small slot whose name is >= name.
  uint8_t lower_bound(std::string_view name) const;
  // The index of `child`'s slot, or -1.
  int small_index(const Entry* child) const;
  std::size_t big_index(const Entry* child) const;
  // Empties big slot `at`, moving back the children after it in its run that may take it.
  void big_erase_at(std::size_t at);
  void big_place(uint64_t slot, std::size_t hash);
  // Rebuilds the hash table with 2^shift slots.
  void big_rehash(uint8_t shift);
  static void free_slots(uint64_t* slots);

  uint32_t bytes_low_ = 0;
  uint16_t bytes_high_ = 0;
  uint8_t count_ = 0;  // small: children; big: log2 of the hash table's slot count
  uint8_t cap_ = 0;    // slots (at most kSmallKids); 0 = a hash table (Big after the header)
};

static_assert(sizeof(Kids) == 24);

inline std::size_t Entry::allocation_bound(std::size_t name_size, std::size_t data_size) {
  // Rounded up to malloc's 16-byte granule, its chunk header, a kids slot, a slot in its
  // parent's table, and the first table of a parent that had one child.
  // Kids::create: the header and 2 slots, rounded to malloc's granule, plus its chunk header.
  constexpr std::size_t kFirstTable = (sizeof(Kids) + 2 * sizeof(Entry*) + 15) / 16 * 16 + 16;
  return alloc_size(name_size, data_size, true, true) + 15 + kChunkHeader + sizeof(Entry*) +
         kFirstTable;
}

inline bool Entry::has_children() const {
  if (bits_ & kSoleChild) return true;
  const Kids* k = kids();
  return k != nullptr && !k->empty();
}

inline Entry* Entry::parent() const {
  if (bits_ & kUpIsParent) return static_cast<Entry*>(up_);
  return up_ != nullptr ? static_cast<Kids*>(up_)->owner : nullptr;
}

inline Entry* Entry::find_child(std::string_view name) const {
  void* children = slot();  // read once: the sole child or the table
  if (children == nullptr) return nullptr;
  if (bits_ & kSoleChild) {
    auto* only = static_cast<Entry*>(children);
    return same_name(only->name(), name) ? only : nullptr;
  }
  return static_cast<const Kids*>(children)->find(name);
}

template <typename Fn>
void Entry::for_each_child(Fn&& fn) const {
  if (Entry* only = sole_child()) {
    fn(only);
  } else if (const Kids* k = kids()) {
    k->for_each(fn);
  }
}

}  // namespace nestcache
