// One node of the tree, and the table of a node's children.
//
// An Entry is ONE allocation: a 15-byte fixed header, then its name, then (only when the node
// has ever had children) its children slot, then (only when the node holds a value) a 31-byte
// value slot and its value bytes:
//
//   offset 0   void*    up         where the node hangs: the Kids table it sits in (its
//                                  parent's, or the shard's roots), or its parent Entry itself
//                                  when it is that parent's only child (bit up_is_parent);
//                                  nullptr once detached
//          8   uint32   exptime    absolute Unix seconds (fits until 2106), 0 = never; bounds
//                                  the node AND its subtree
//         12   uint8    name_size  a segment is 1..250 bytes
//         13   uint8    bits       has_value, fetched, has_kids_slot, sole_child, up_is_parent,
//                                  has_value_slot, referenced
//         14   uint8    depth
//         15   char     name[name_size]   at a fixed offset: a lookup compares it at once
//              [void*   children]  when has_kids_slot (unaligned): nullptr, the node's Kids
//                                  table, or its only child (bit sole_child)
//              [value slot, 31 bytes, when has_value_slot; fields unaligned, read with memcpy:
//                +0  Entry*  lru_prev   the shard's LRU of valued nodes (most recent at the head)
//                +8  Entry*  lru_next
//               +16  uint32  flags
//               +20  uint32  data_size
//               +24  uint56  cas        the unique, little-endian; 7e16 stores before it wraps
//               +31  char    data[data_size]   up to the allocation's usable size]
//
// So a node with a value has the 46-byte header it always had (a leaf `field0` with a 32-byte
// value: 15 + 31 + 6 + 32 = 84 bytes, a 96-byte malloc chunk), while a valueless inner node
// pays 15 bytes (`user000042` with its children slot: 33 bytes, a 48-byte chunk instead of 80).
// A node gets its value slot when it gets a value (a new leaf is born with it and room for the
// value) and gives it back when its value goes but its children keep it (clear_value);
// moving to a new allocation either way is a relocation, O(1) as below. `stats bytes` counts
// every node as if it had the 46-byte header, so it does not move with the slots.
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
// Entries are owned by their shard: linked in a parent's Kids (or the shard's roots), or in the
// graveyard waiting to be freed. All fields are guarded by the shard's mutex.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <absl/base/attributes.h>
#include <absl/hash/hash.h>
#include <absl/numeric/int128.h>

namespace nestcache {

struct Entry;
struct Kids;

// Segment names are short (a path's levels are often 1-16 bytes), so the children tables
// and the shard choice use a hash and a compare made for short strings.
namespace name_detail {

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
// A per-process seed (ASLR moves it), as absl seeds its own hash.
inline const char kSeedAnchor = 0;
inline uint64_t seed() { return reinterpret_cast<uintptr_t>(&kSeedAnchor); }

}  // namespace name_detail

// The hash of a segment name, for the children tables and (its top bits) the shard. Up to
// 16 bytes: the bytes in two words (overlapping loads, never past the name), folded by one
// 64x64->128 multiply, as wyhash does for short inputs: ~15 instructions. Longer names go to
// absl's hash, through absl::string_view (this absl has its own string_view type; a
// std::string_view would fall back to std::hash).
inline std::size_t hash_name(std::string_view name) {
  using namespace name_detail;
  const char* p = name.data();
  const std::size_t n = name.size();
  uint64_t a;
  uint64_t b;
  if (n > 16) {
    return absl::Hash<absl::string_view>{}(absl::string_view(p, n));
  } else if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    a = (uint64_t{u[0]} << 16) | (uint64_t{u[n >> 1]} << 8) | u[n - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  const absl::uint128 m =
      absl::uint128(a ^ 0xa0761d6478bd642full ^ seed()) * (b ^ 0xe7037ed1a0b428dbull ^ n);
  return static_cast<std::size_t>(absl::Uint128Low64(m) ^ absl::Uint128High64(m));
}

// a == b, without a call to memcmp for names of up to 16 bytes (loads as in hash_name).
inline bool same_name(std::string_view a, std::string_view b) {
  using namespace name_detail;
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(x, y, n) == 0;
    return ((load64(x) ^ load64(y)) | (load64(x + n - 8) ^ load64(y + n - 8))) == 0;
  }
  if (n >= 4) return ((load32(x) ^ load32(y)) | (load32(x + n - 4) ^ load32(y + n - 4))) == 0;
  if (n == 0) return true;
  // 1 to 3 bytes: the first, middle and last cover them all.
  return ((x[0] ^ y[0]) | (x[n >> 1] ^ y[n >> 1]) | (x[n - 1] ^ y[n - 1])) == 0;
}

struct Entry {
  // A node named `name` with room for `data_capacity` value bytes (data_size starts at 0), a
  // value slot when `value_slot` and a children slot when `kids_slot`. Freed with destroy().
  static Entry* create(std::string_view name, std::size_t data_capacity, bool kids_slot,
                       bool value_slot, uint8_t depth);
  static void destroy(Entry* node);
  // A copy of `from` (header, children slot, name; value slot and the first
  // min(old, data_capacity) data bytes when `value_slot`) in a new allocation with room for
  // `data_capacity` value bytes. A children slot is never dropped; a value slot is dropped when
  // !value_slot (the node must then be valueless and out of the LRU), and added zeroed.
  // Links are copied, not fixed.
  static Entry* copy(const Entry* from, std::size_t data_capacity, bool kids_slot, bool value_slot);

  // Value bytes this allocation can hold without moving (0 without a value slot).
  std::size_t data_capacity() const;

  std::string_view name() const { return {tail(), name_size_}; }
  std::string_view data() const { return {value_slot() + kValueSlotSize, data_size()}; }
  // Requires has_value_slot().
  char* data_ptr() { return value_slot() + kValueSlotSize; }
  std::size_t data_size() const { return field<uint32_t>(kDataSizeAt); }
  // Sets the value length; the bytes at data_ptr() are the caller's to write (<= capacity).
  // Requires has_value_slot().
  void set_data_size(std::size_t size) { set_field(kDataSizeAt, static_cast<uint32_t>(size)); }

  // The children slot holds nothing, a Kids table, or (kSoleChild) the only child itself.
  bool has_kids_slot() const { return bits_ & kKidsSlot; }
  // The children table, or nullptr (no children slot, no children, or a sole child).
  Kids* kids() const { return (bits_ & kSoleChild) ? nullptr : static_cast<Kids*>(slot()); }
  // The only child when it hangs here directly, else nullptr.
  Entry* sole_child() const { return (bits_ & kSoleChild) ? static_cast<Entry*>(slot()) : nullptr; }
  // These require has_kids_slot().
  void set_kids(Kids* kids) {
    set_slot(kids);
    set_bit(kSoleChild, false);
  }
  void set_sole_child(Entry* child) {
    set_slot(child);
    set_bit(kSoleChild, true);
  }
  void clear_children() { set_kids(nullptr); }
  bool has_children() const;
  // The child named `name`, or nullptr.
  ABSL_ATTRIBUTE_ALWAYS_INLINE Entry* find_child(std::string_view name) const;
  // Calls fn(Entry*) for each child; in name order unless the table is a hash table.
  template <typename Fn>
  void for_each_child(Fn&& fn) const;

  // Where this node hangs: in a Kids table (its parent's or a shard's roots), or directly under
  // its parent as the only child; nowhere (detached) when both are null.
  Kids* up_table() const { return (bits_ & kUpIsParent) ? nullptr : static_cast<Kids*>(up_); }
  Entry* up_parent() const { return (bits_ & kUpIsParent) ? static_cast<Entry*>(up_) : nullptr; }
  bool linked() const { return up_ != nullptr; }
  // The parent node: nullptr at the top level and once detached.
  Entry* parent() const;
  void hang_in(Kids* kids) {
    up_ = kids;
    set_bit(kUpIsParent, false);
  }
  void hang_under(Entry* parent) {
    up_ = parent;
    set_bit(kUpIsParent, true);
  }
  void unhang() { hang_in(nullptr); }

  // The value slot: LRU links, flags, data_size and cas. A valueless node has none (reads give
  // nullptr / 0); set_value adds it, clear_value drops it from a node that stays.
  bool has_value_slot() const { return bits_ & kValueBit; }
  bool has_value() const { return bits_ & kHasValue; }
  void set_has_value(bool on) { set_bit(kHasValue, on); }
  bool fetched() const { return bits_ & kFetched; }
  void set_fetched(bool on) { set_bit(kFetched, on); }
  // Read since it last moved in the LRU: eviction gives it a second pass instead (a read marks
  // the node, it does not relink it; see Tree::Shard::shrink).
  bool referenced() const { return bits_ & kReferenced; }
  void set_referenced(bool on) { set_bit(kReferenced, on); }
  // A read of the value: fetched and referenced (written only when not set yet).
  void mark_read() {
    if ((bits_ & (kFetched | kReferenced)) != (kFetched | kReferenced)) {
      bits_ = static_cast<uint8_t>(bits_ | kFetched | kReferenced);
    }
  }

  // The shard's LRU of valued nodes (most recent at the head); these setters require
  // has_value_slot().
  Entry* lru_prev() const { return field<Entry*>(kLruPrevAt); }
  Entry* lru_next() const { return field<Entry*>(kLruNextAt); }
  void set_lru_prev(Entry* node) { set_field(kLruPrevAt, node); }
  void set_lru_next(Entry* node) { set_field(kLruNextAt, node); }

  uint64_t cas() const;
  // The unique keeps 56 bits: 7e16 stores before it wraps. Requires has_value_slot().
  void set_cas(uint64_t cas);
  uint8_t depth() const { return depth_; }

  int64_t exptime() const { return exptime_; }
  // Stores an absolute deadline, clamped to what 32 bits hold (0 = never).
  void set_exptime(int64_t exptime);
  uint32_t flags() const { return field<uint32_t>(kFlagsAt); }
  // Requires has_value_slot().
  void set_flags(uint32_t flags) { set_field(kFlagsAt, flags); }

  // Neither value nor children: such a node is pruned.
  bool empty() const { return !has_value() && !has_children(); }
  bool expired(int64_t now) const { return exptime_ != 0 && exptime_ <= now; }

  // The bytes this node is accounted for in `stats bytes` (its logical size, as memcached's
  // `bytes` counts item sizes): header, name, value and its slot in the parent's table.
  std::size_t footprint() const;
  // What a node with this name and value would be accounted for in `stats bytes`.
  static std::size_t cost(std::size_t name_size, std::size_t data_size);
  // The memory this node's allocation really takes (usable size plus malloc's chunk header);
  // what the -m budget counts.
  std::size_t allocated() const;
  // At most what a new node with this name and value allocates, its parent's table slot and
  // kids slot included (what a store reserves under the budget before it runs).
  static std::size_t allocation_bound(std::size_t name_size, std::size_t data_size);

  // The value slot's size and its fields' offsets in it (unaligned: read with memcpy).
  static constexpr std::size_t kLruPrevAt = 0;
  static constexpr std::size_t kLruNextAt = 8;
  static constexpr std::size_t kFlagsAt = 16;
  static constexpr std::size_t kDataSizeAt = 20;
  static constexpr std::size_t kCasAt = 24;  // 7 bytes, little-endian
  static constexpr std::size_t kValueSlotSize = 31;

 private:
  static constexpr uint8_t kHasValue = 1;
  static constexpr uint8_t kFetched = 2;
  static constexpr uint8_t kKidsSlot = 4;
  static constexpr uint8_t kSoleChild = 8;    // the children slot holds an Entry*
  static constexpr uint8_t kUpIsParent = 16;  // up_ is the parent Entry*, not a Kids*
  static constexpr uint8_t kValueBit = 32;    // the value slot is present
  static constexpr uint8_t kReferenced = 64;  // read since it last moved in the LRU

  Entry() = default;
  static std::size_t alloc_size(std::size_t name_size, std::size_t data_capacity, bool kids_slot,
                                bool value_slot);
  char* tail() { return reinterpret_cast<char*>(this) + offsetof(Entry, tail_); }
  const char* tail() const { return reinterpret_cast<const char*>(this) + offsetof(Entry, tail_); }
  std::size_t kids_bytes() const { return (bits_ & kKidsSlot) ? sizeof(void*) : 0; }
  // After the name and the children slot (if any).
  char* value_slot() { return tail() + name_size_ + kids_bytes(); }
  const char* value_slot() const { return tail() + name_size_ + kids_bytes(); }
  // A value slot field; T{} without a value slot.
  template <typename T>
  T field(std::size_t at) const {
    T value{};
    if (bits_ & kValueBit) std::memcpy(&value, value_slot() + at, sizeof(T));
    return value;
  }
  template <typename T>
  void set_field(std::size_t at, T value) {
    std::memcpy(value_slot() + at, &value, sizeof(T));
  }
  // The children slot (unaligned: read and written with memcpy); nullptr without one.
  void* slot() const {
    if (!(bits_ & kKidsSlot)) return nullptr;
    void* p;
    std::memcpy(&p, tail() + name_size_, sizeof(p));
    return p;
  }
  void set_slot(void* p) { std::memcpy(tail() + name_size_, &p, sizeof(p)); }
  void set_bit(uint8_t bit, bool on) {
    bits_ = static_cast<uint8_t>(on ? (bits_ | bit) : (bits_ & ~bit));
  }

 public:
  // The fixed fields (one access level, so the layout is standard and offsetof is well
  // defined); those with a trailing underscore are for the accessors above.
  void* up_;  // a Kids*, or the parent Entry* when kUpIsParent
  uint32_t exptime_;
  uint8_t name_size_;
  uint8_t bits_;
  uint8_t depth_;
  // The variable part starts here, in what would be the struct's tail padding; the allocation
  // is never smaller than sizeof(Entry).
  char tail_[1];
};

static_assert(offsetof(Entry, tail_) == 15 && sizeof(Entry) == 16);
static_assert(Entry::kCasAt + 7 == Entry::kValueSlotSize);

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
  // Linux fit; allocate() refuses one that does not) and 16 bits of its name's hash above them:
  // a lookup compares the tag and follows only a slot that matches (one in 65536 by chance), so
  // it reads one child's Entry, not every candidate's. The tag is bits 42..57 of the hash:
  // clear of the low bits that index a hash table and of the top 6 that pick the shard.
  static uint64_t tag_of(std::size_t hash) { return (uint64_t{hash} << 6) & ~kAddressMask; }
  static Entry* entry_of(uint64_t slot) { return reinterpret_cast<Entry*>(slot & kAddressMask); }
  static uint64_t make_slot(Entry* child, std::size_t hash) {
    return reinterpret_cast<uintptr_t>(child) | tag_of(hash);
  }
  static constexpr uint64_t kAddressMask = (uint64_t{1} << 48) - 1;

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
