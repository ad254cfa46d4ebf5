#include "entry.h"

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <limits>
#include <new>

namespace nestcache {
namespace {

// glibc keeps an 8-byte size word in front of every chunk; the usable size does not include it.
constexpr std::size_t kChunkHeader = sizeof(std::size_t);

void* allocate(std::size_t size) {
  void* p = std::malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

std::size_t chunk_size(const void* p) {
  return malloc_usable_size(const_cast<void*>(p)) + kChunkHeader;
}

constexpr std::size_t kTail = offsetof(Entry, tail_);

// The cas is kept as the low 7 bytes of a uint64 (Entry::set_cas).
static_assert(std::endian::native == std::endian::little);

}  // namespace

// ---- accounting: the one place that defines what a node and a table cost ----

// `stats bytes`: a value-carrying node's header (fixed part and value slot), the name, the
// value, and one pointer in the parent's table. The same for a valueless node, so a node's
// logical size does not depend on which slots its allocation has at the moment.
std::size_t Entry::cost(std::size_t name_size, std::size_t data_size) {
  return kTail + Entry::kValueSlotSize + name_size + data_size + sizeof(Entry*);
}

std::size_t Entry::footprint() const { return cost(name_size_, data_size()); }

// The budget: what malloc really handed out, rounding and chunk header included.
std::size_t Entry::allocated() const { return chunk_size(this); }

std::size_t Entry::allocation_bound(std::size_t name_size, std::size_t data_size) {
  // Rounded up to malloc's 16-byte granule, its chunk header, a kids slot, a slot in its
  // parent's table, and the first table of a parent that had one child.
  // Kids::create: the header and 2 slots, rounded to malloc's granule, plus its chunk header.
  constexpr std::size_t kFirstTable = (sizeof(Kids) + 2 * sizeof(Entry*) + 15) / 16 * 16 + 16;
  return alloc_size(name_size, data_size, true, true) + 15 + kChunkHeader + sizeof(Entry*) +
         kFirstTable;
}

std::size_t Kids::allocated() const {
  std::size_t total = chunk_size(this);
  if (cap_ == 0) {
    const ChildSet* set = big();
    // absl's flat_hash_set: one slot pointer and one control byte per unit of capacity, plus
    // a group of cloned control bytes, in one allocation.
    if (set->capacity() != 0) {
      total += set->capacity() * (sizeof(Entry*) + 1) + 16 + kChunkHeader;
    }
    total += sizeof(ChildSet) + kChunkHeader;
  }
  return total;
}

// ---- Entry ----

std::size_t Entry::alloc_size(std::size_t name_size, std::size_t data_capacity, bool kids_slot,
                              bool value_slot) {
  return std::max(sizeof(Entry), kTail + (value_slot ? kValueSlotSize + data_capacity : 0) +
                                     (kids_slot ? sizeof(void*) : 0) + name_size);
}

Entry* Entry::create(std::string_view name, std::size_t data_capacity, bool kids_slot,
                     bool value_slot, uint8_t depth) {
  auto* node = new (allocate(alloc_size(name.size(), data_capacity, kids_slot, value_slot))) Entry;
  node->up_ = nullptr;
  node->exptime_ = 0;
  node->name_size_ = static_cast<uint8_t>(name.size());
  node->bits_ = static_cast<uint8_t>((kids_slot ? kKidsSlot : 0) | (value_slot ? kValueBit : 0));
  node->depth_ = depth;
  if (value_slot) std::memset(node->tail(), 0, kValueSlotSize);
  if (kids_slot) node->set_slot(nullptr);
  std::memcpy(const_cast<char*>(node->name_ptr()), name.data(), name.size());
  return node;
}

Entry* Entry::copy(const Entry* from, std::size_t data_capacity, bool kids_slot, bool value_slot) {
  kids_slot = kids_slot || from->has_kids_slot();
  auto* node =
      new (allocate(alloc_size(from->name_size_, data_capacity, kids_slot, value_slot))) Entry;
  node->up_ = from->up_;
  node->exptime_ = from->exptime_;
  node->name_size_ = from->name_size_;
  node->bits_ = static_cast<uint8_t>((from->bits_ & ~kValueBit) | (kids_slot ? kKidsSlot : 0) |
                                     (value_slot ? kValueBit : 0));
  node->depth_ = from->depth_;
  if (value_slot) {
    if (from->has_value_slot()) {
      std::memcpy(node->tail(), from->tail(), kValueSlotSize);
    } else {
      std::memset(node->tail(), 0, kValueSlotSize);
    }
  }
  if (kids_slot) node->set_slot(from->slot());  // a Kids* or the sole child, as `from` had
  std::memcpy(const_cast<char*>(node->name_ptr()), from->name().data(), from->name_size_);
  if (value_slot) {
    const std::size_t keep = std::min<std::size_t>(from->data_size(), data_capacity);
    node->set_data_size(keep);
    std::memcpy(node->data_ptr(), from->data().data(), keep);
  }
  return node;
}

void Entry::destroy(Entry* node) {
  node->~Entry();
  std::free(node);
}

std::size_t Entry::data_capacity() const {
  if (!has_value_slot()) return 0;
  return malloc_usable_size(const_cast<Entry*>(this)) - kTail - kValueSlotSize - kids_bytes() -
         name_size_;
}

uint64_t Entry::cas() const {
  uint64_t cas = 0;
  if (has_value_slot()) std::memcpy(&cas, tail() + kCasAt, 7);
  return cas;
}

void Entry::set_cas(uint64_t cas) { std::memcpy(tail() + kCasAt, &cas, 7); }

void Entry::set_exptime(int64_t exptime) {
  exptime_ =
      static_cast<uint32_t>(std::clamp<int64_t>(exptime, 0, std::numeric_limits<uint32_t>::max()));
}

// ---- Kids ----

Kids* Kids::create(Entry* owner, bool big) {
  // Room for two children at first: most tables start small and many stay so.
  const std::size_t size = sizeof(Kids) + 2 * sizeof(Entry*);
  void* memory = allocate(size);
  auto* kids = new (memory) Kids;
  kids->owner = owner;
  if (big) {
    kids->cap_ = 0;
    *reinterpret_cast<ChildSet**>(kids + 1) = new ChildSet;
  } else {
    kids->cap_ = static_cast<uint8_t>(std::min<std::size_t>(
        (malloc_usable_size(memory) - sizeof(Kids)) / sizeof(Entry*), kSmallKids));
  }
  return kids;
}

void Kids::destroy(Kids* kids) {
  if (kids->cap_ == 0) delete kids->big();
  kids->~Kids();
  std::free(kids);
}

uint16_t Kids::lower_bound(std::string_view name) const {
  const Entry* const* begin = slots();
  const Entry* const* it =
      std::lower_bound(begin, begin + count_, name,
                       [](const Entry* e, std::string_view n) { return e->name() < n; });
  return static_cast<uint16_t>(it - begin);
}

Entry* Kids::find_small(std::string_view name) const {
  const uint16_t i = lower_bound(name);
  return i < count_ && slots()[i]->name() == name ? slots()[i] : nullptr;
}

Kids* Kids::insert(Kids* kids, Entry* child) {
  if (kids->cap_ == 0) {
    kids->big()->insert(child);
    return kids;
  }
  if (kids->count_ == kids->cap_) {
    if (kids->cap_ >= kSmallKids) {
      // Too many for a sorted array: a hash set from now on (the header stays where it is).
      auto* set = new ChildSet;
      set->reserve(kids->count_ + 1u);
      for (uint16_t i = 0; i < kids->count_; ++i) set->insert(kids->slots()[i]);
      set->insert(child);
      kids->count_ = 0;
      kids->cap_ = 0;
      *reinterpret_cast<ChildSet**>(kids + 1) = set;
      return kids;
    }
    // Two more slots: the next malloc size class up (16 bytes), so a table of n children wastes
    // at most one slot; the copy is of at most kSmallKids pointers.
    const std::size_t want = sizeof(Kids) + (kids->cap_ + 2u) * sizeof(Entry*);
    void* memory = allocate(want);
    auto* grown = new (memory) Kids;
    grown->owner = kids->owner;
    grown->set_bytes(kids->bytes());
    grown->items = kids->items;
    grown->nodes = kids->nodes;
    grown->count_ = kids->count_;
    grown->cap_ = static_cast<uint8_t>(std::min<std::size_t>(
        (malloc_usable_size(memory) - sizeof(Kids)) / sizeof(Entry*), kSmallKids));
    std::memcpy(grown->slots(), kids->slots(), kids->count_ * sizeof(Entry*));
    destroy(kids);
    kids = grown;
  }
  const uint16_t at = kids->lower_bound(child->name());
  Entry** slots = kids->slots();
  std::memmove(slots + at + 1, slots + at, (kids->count_ - at) * sizeof(Entry*));
  slots[at] = child;
  ++kids->count_;
  return kids;
}

void Kids::erase(Entry* child) {
  if (cap_ == 0) {
    big()->erase(child);
    return;
  }
  const uint16_t at = lower_bound(child->name());
  if (at == count_ || slots()[at] != child) return;
  Entry** s = slots();
  std::memmove(s + at, s + at + 1, (count_ - at - 1) * sizeof(Entry*));
  --count_;
}

void Kids::replace(Entry* from, Entry* to) {
  if (cap_ == 0) {
    big()->erase(from);
    big()->insert(to);
    return;
  }
  const uint16_t at = lower_bound(from->name());
  if (at < count_ && slots()[at] == from) slots()[at] = to;
}

Entry* Kids::take_one() {
  if (cap_ == 0) {
    auto it = big()->begin();
    Entry* child = *it;
    big()->erase(it);
    return child;
  }
  return slots()[--count_];
}

void Kids::clear() {
  if (cap_ == 0) {
    big()->clear();
  } else {
    count_ = 0;
  }
  set_bytes(0);
  items = 0;
  nodes = 0;
}

}  // namespace nestcache
