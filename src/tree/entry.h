// One node of the tree.
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
// So a node with a value has a 46-byte header (a leaf `field0` with a 32-byte value:
// 15 + 31 + 6 + 32 = 84 bytes, a 96-byte malloc chunk), while a valueless inner node pays 15
// bytes (`user000042` with its children slot: 33 bytes, a 48-byte chunk; 80 with a value slot).
// A node gets its value slot when it gets a value (a new leaf is born with it and room for the
// value) and gives it back when its value goes but its children keep it (clear_value);
// moving to a new allocation either way is a relocation, O(1) as below. `stats bytes` counts
// every node as if it had the 46-byte header, so it does not move with the slots.
//
// A node's children are its children slot's business: see kids.h, which also defines the
// Entry methods that read them (has_children, parent, find_child, for_each_child); include it
// to use those.
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

#include "nestcache/tree/value.h"

namespace nestcache {

struct Kids;

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
  // The value, flags, deadline and unique as a visitor sees them (the slot read once).
  // Requires has_value_slot().
  ValueView value() const {
    const char* slot = value_slot();
    uint32_t flags;
    uint32_t size;
    uint64_t cas = 0;
    std::memcpy(&flags, slot + kFlagsAt, sizeof(flags));
    std::memcpy(&size, slot + kDataSizeAt, sizeof(size));
    std::memcpy(&cas, slot + kCasAt, 7);
    return ValueView{{slot + kValueSlotSize, size}, flags, 0, exptime_, cas & kCasMask};
  }
  // value() with the fetched and meta marks filled in (the meta protocol's reads and writes):
  // apart, so that a get does not pay for them.
  ValueView value_with_marks() const {
    ValueView view = value();
    uint64_t field = 0;
    std::memcpy(&field, value_slot() + kCasAt, 7);
    view.marks = static_cast<uint8_t>(((bits_ & kFetched) != 0 ? kFetchedMark : 0) |
                                      ((field & kStaleBit) != 0 ? kStaleMark : 0) |
                                      ((field & kTokenBit) != 0 ? kTokenMark : 0));
    return view;
  }
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
  // The unique keeps 54 bits (1.8e16 stores before it wraps); a new unique clears the two meta
  // bits above it (a new value is neither stale nor has handed out a win token). Requires
  // has_value_slot().
  void set_cas(uint64_t cas);
  // The meta protocol's marks on a value, kept in the top two bits of the cas field: stale
  // (memcached's ITEM_STALE: md/ms with I) and token_sent (ITEM_TOKEN_SENT: a client was told
  // it won the right to recache). Requires has_value_slot().
  void set_meta_marks(bool stale, bool token_sent);
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
  // kids slot included (what a store reserves under the budget before it runs). Defined in
  // kids.h, inline: a store adds one per segment of its path.
  static std::size_t allocation_bound(std::size_t name_size, std::size_t data_size);

  // The value slot's size and its fields' offsets in it (unaligned: read with memcpy).
  static constexpr std::size_t kLruPrevAt = 0;
  static constexpr std::size_t kLruNextAt = 8;
  static constexpr std::size_t kFlagsAt = 16;
  static constexpr std::size_t kDataSizeAt = 20;
  static constexpr std::size_t kCasAt = 24;  // 7 bytes, little-endian
  static constexpr std::size_t kValueSlotSize = 31;
  static constexpr uint64_t kCasMask = (uint64_t{1} << 54) - 1;
  static constexpr uint64_t kStaleBit = uint64_t{1} << 54;
  static constexpr uint64_t kTokenBit = uint64_t{1} << 55;

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
                                bool value_slot) {
    return std::max(sizeof(Entry), offsetof(Entry, tail_) +
                                       (value_slot ? kValueSlotSize + data_capacity : 0) +
                                       (kids_slot ? sizeof(void*) : 0) + name_size);
  }
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

}  // namespace nestcache
