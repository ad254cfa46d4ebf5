#include "kids.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "allocation.h"

namespace nestcache {
namespace {

// The slot array of a hash table that has never held a child: one empty slot, never written.
uint64_t kNoSlots[1] = {0};

// A hash table grows before it is more than 3/4 full (linear probing: ~2.5 probes for a miss
// there, ~1.5 for a hit). It starts at 32 slots when a small table overflows into it, and at 4
// when a shard's empty roots table gets its first child.
constexpr bool over_load(std::size_t size, std::size_t capacity) { return size * 4 > capacity * 3; }
constexpr uint8_t kFirstBigShift = 5;
// A small table that overflows moves into a hash table of this size at once: it must take them.
static_assert(!over_load(Kids::kSmallKids + 1u, std::size_t{1} << kFirstBigShift));
constexpr uint8_t kFirstRootsShift = 2;

std::size_t hash_of(const Entry* child) { return hash_name(child->name()); }

// The small slots a Kids allocation at `memory` has room for: all malloc gave, up to kSmallKids.
uint8_t small_capacity(void* memory) {
  return static_cast<uint8_t>(std::min<std::size_t>(
      (malloc_usable_size(memory) - sizeof(Kids)) / sizeof(uint64_t), Kids::kSmallKids));
}

}  // namespace

Kids* Kids::create(Entry* owner, bool big) {
  // Room for two children at first: most tables start small and many stay so.
  const std::size_t size = sizeof(Kids) + 2 * sizeof(uint64_t);
  static_assert(sizeof(Kids) + sizeof(Big) <= size);
  void* memory = allocate(size);
  auto* kids = new (memory) Kids;
  kids->owner = owner;
  if (big) {
    kids->cap_ = 0;
    kids->count_ = 0;
    kids->big() = Big{kNoSlots, 0, 0};
  } else {
    kids->cap_ = small_capacity(memory);
  }
  return kids;
}

void Kids::free_slots(uint64_t* slots) {
  if (slots != kNoSlots) std::free(slots);
}

void Kids::destroy(Kids* kids) {
  if (kids->cap_ == 0) free_slots(kids->big().slots);
  kids->~Kids();
  std::free(kids);
}

std::size_t Kids::allocated() const {
  std::size_t total = chunk_size(this);
  if (cap_ == 0 && big().slots != kNoSlots) total += chunk_size(big().slots);
  return total;
}

uint8_t Kids::lower_bound(std::string_view name) const {
  const uint64_t* begin = small_slots();
  const uint64_t* it = std::lower_bound(begin, begin + count_, name, [](uint64_t slot, auto n) {
    return entry_of(slot)->name() < n;
  });
  return static_cast<uint8_t>(it - begin);
}

int Kids::small_index(const Entry* child) const {
  for (uint8_t i = 0; i < count_; ++i) {
    if (entry_of(small_slots()[i]) == child) return i;
  }
  return -1;
}

std::size_t Kids::big_index(const Entry* child) const {
  const std::size_t mask = big_mask();
  for (std::size_t i = hash_of(child) & mask;; i = (i + 1) & mask) {
    const uint64_t slot = big().slots[i];
    if (slot == 0 || entry_of(slot) == child) return i;
  }
}

void Kids::big_place(uint64_t slot, std::size_t hash) {
  Big& table = big();
  const std::size_t mask = big_mask();
  std::size_t i = hash & mask;
  while (table.slots[i] != 0) i = (i + 1) & mask;
  table.slots[i] = slot;
  table.top = std::max(table.top, static_cast<uint32_t>(i));
}

void Kids::big_rehash(uint8_t shift) {
  Big& table = big();
  uint64_t* old = table.slots;
  const std::size_t old_count = big_mask() + 1;
  auto* slots = static_cast<uint64_t*>(std::calloc(std::size_t{1} << shift, sizeof(uint64_t)));
  if (slots == nullptr) throw std::bad_alloc();
  table.slots = slots;
  table.top = 0;
  count_ = shift;
  for (std::size_t i = 0; i < old_count; ++i) {
    if (old[i] != 0) big_place(old[i], hash_of(entry_of(old[i])));
  }
  free_slots(old);
}

void Kids::big_erase_at(std::size_t at) {
  // Backward shift: a later child of the run moves into the hole when its own home slot is not
  // inside (hole, child], i.e. when the hole is on its probe path; repeat from where it was.
  uint64_t* slots = big().slots;
  const std::size_t mask = big_mask();
  std::size_t hole = at;
  for (std::size_t i = (at + 1) & mask; slots[i] != 0; i = (i + 1) & mask) {
    const std::size_t home = hash_of(entry_of(slots[i])) & mask;
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      slots[hole] = slots[i];
      hole = i;
    }
  }
  slots[hole] = 0;
  --big().size;
}

Kids* Kids::insert(Kids* kids, Entry* child) {
  const std::size_t hash = hash_of(child);
  if (kids->cap_ == 0) {
    Big& table = kids->big();
    if (over_load(table.size + 1u, kids->big_mask() + 1)) {
      kids->big_rehash(std::max<uint8_t>(kFirstRootsShift, static_cast<uint8_t>(kids->count_ + 1)));
    }
    kids->big_place(make_slot(child, hash), hash);
    ++table.size;
    return kids;
  }
  if (kids->count_ == kids->cap_) {
    if (kids->cap_ >= kSmallKids) {
      // Too many for a small table: a hash table from now on (the header stays where it is;
      // the small slots are copied out first, as Big takes their place).
      uint64_t small[kSmallKids];
      const uint8_t count = kids->count_;
      std::memcpy(small, kids->small_slots(), count * sizeof(uint64_t));
      kids->cap_ = 0;
      kids->count_ = 0;
      kids->big() = Big{kNoSlots, 0, 0};
      kids->big_rehash(kFirstBigShift);
      for (uint8_t i = 0; i < count; ++i) kids->big_place(small[i], hash_of(entry_of(small[i])));
      kids->big_place(make_slot(child, hash), hash);
      kids->big().size = count + 1u;
      return kids;
    }
    // Two more slots: the next malloc size class up (16 bytes), so a table of n children wastes
    // at most one slot; the copy is of at most kSmallKids slots.
    const std::size_t want = sizeof(Kids) + (kids->cap_ + 2u) * sizeof(uint64_t);
    void* memory = allocate(want);
    auto* grown = new (memory) Kids;
    grown->owner = kids->owner;
    grown->set_bytes(kids->bytes());
    grown->items = kids->items;
    grown->nodes = kids->nodes;
    grown->count_ = kids->count_;
    grown->cap_ = small_capacity(memory);
    std::memcpy(grown->small_slots(), kids->small_slots(), kids->count_ * sizeof(uint64_t));
    destroy(kids);
    kids = grown;
  }
  const uint8_t at = kids->lower_bound(child->name());
  uint64_t* slots = kids->small_slots();
  std::memmove(slots + at + 1, slots + at, (kids->count_ - at) * sizeof(uint64_t));
  slots[at] = make_slot(child, hash);
  ++kids->count_;
  return kids;
}

void Kids::erase(Entry* child) {
  if (cap_ == 0) {
    const std::size_t at = big_index(child);
    if (big().slots[at] != 0) big_erase_at(at);
    return;
  }
  const int at = small_index(child);
  if (at < 0) return;
  uint64_t* s = small_slots();
  std::memmove(s + at, s + at + 1, (count_ - at - 1) * sizeof(uint64_t));
  --count_;
}

void Kids::replace(Entry* from, Entry* to) {
  // Same name, same hash: the tag stays, only the address changes.
  uint64_t* slot = nullptr;
  if (cap_ == 0) {
    const std::size_t at = big_index(from);
    if (big().slots[at] != 0) slot = &big().slots[at];
  } else if (const int at = small_index(from); at >= 0) {
    slot = &small_slots()[at];
  }
  if (slot != nullptr) *slot = (*slot & ~kAddressMask) | reinterpret_cast<uintptr_t>(to);
}

Entry* Kids::take_one() {
  if (cap_ == 0) {
    // The last child in slot order: nothing after it to move back (unless its run wraps to slot
    // 0), and `top` keeps the next scan from passing the slots emptied before.
    Big& table = big();
    while (table.slots[table.top] == 0) --table.top;
    const uint32_t at = table.top;
    Entry* child = entry_of(table.slots[at]);
    big_erase_at(at);
    return child;
  }
  return entry_of(small_slots()[--count_]);
}

void Kids::clear() {
  if (cap_ == 0) {
    free_slots(big().slots);
    big() = Big{kNoSlots, 0, 0};
    count_ = 0;
  } else {
    count_ = 0;
  }
  set_bytes(0);
  items = 0;
  nodes = 0;
}

}  // namespace nestcache
