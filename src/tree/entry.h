// One node of the tree, and the table of a node's children.
//
// An Entry is ONE allocation: a 46-byte header, then (only when the node has ever had children)
// its children slot, then its name, then its value bytes:
//
//   offset 0   void*    up         where the node hangs: the Kids table it sits in (its
//                                  parent's, or the shard's roots), or its parent Entry itself
//                                  when it is that parent's only child (bit up_is_parent);
//                                  nullptr once detached
//          8   Entry*   lru_prev   the shard's LRU of valued nodes (most recent at the head);
//         16   Entry*   lru_next   null while valueless
//         24   uint64   cas:56 | depth:8
//         32   uint32   exptime    absolute Unix seconds (fits until 2106), 0 = never; bounds
//                                  the node AND its subtree
//         36   uint32   flags
//         40   uint32   data_size
//         44   uint8    name_size  a segment is 1..250 bytes
//         45   uint8    bits       has_value, fetched, has_kids_slot, sole_child, up_is_parent
//         46   [void*   children]  present when has_kids_slot (unaligned: read with memcpy):
//                                  nullptr, the node's Kids table, or its only child (bit
//                                  sole_child)
//              char     name[name_size]
//              char     data[data_size]   up to the allocation's usable size
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
// Kids is one allocation too: a 24-byte header, then either up to kSmallKids child pointers
// sorted by name (most nodes have a few children) or, past that, a pointer to a flat_hash_set.
// It also carries the logical bytes and item count of the whole subtree below its owner, so a
// detached subtree leaves `stats bytes`/`curr_items` at once (see Tree::Shard::unlink). A node
// with a sole child has no table: its subtree's figures are summed down the chain of sole
// children to the first table or leaf (Tree::Shard::subtree, O(depth) like propagating a change
// up), and a new table starts with the figures of the child that moves into it.
//
// Entries are owned by their shard: linked in a parent's Kids (or the shard's roots), or in the
// graveyard waiting to be freed. All fields are guarded by the shard's mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

namespace nestcache {

struct Entry;
struct Kids;

struct EntryNameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const {
    return absl::Hash<std::string_view>{}(name);
  }
  std::size_t operator()(const Entry* entry) const;
};

struct EntryNameEq {
  using is_transparent = void;
  bool operator()(const Entry* a, const Entry* b) const;
  bool operator()(const Entry* a, std::string_view b) const;
  bool operator()(std::string_view a, const Entry* b) const;
};

using ChildSet = absl::flat_hash_set<Entry*, EntryNameHash, EntryNameEq>;

struct Entry {
  // A node named `name` with room for `data_capacity` value bytes (data_size starts at 0),
  // and a kids slot when `kids_slot`. Freed with destroy().
  static Entry* create(std::string_view name, std::size_t data_capacity, bool kids_slot,
                       uint8_t depth);
  static void destroy(Entry* node);
  // A copy of `from` (header, kids, name; the first min(old, data_capacity) data bytes) in a new
  // allocation with room for `data_capacity` value bytes. Links are copied, not fixed.
  static Entry* copy(const Entry* from, std::size_t data_capacity, bool kids_slot);

  // Value bytes this allocation can hold without moving.
  std::size_t data_capacity() const;
  bool fits(std::size_t data_size, bool kids_slot) const;

  std::string_view name() const { return {tail() + kids_bytes(), name_size_}; }
  std::string_view data() const { return {tail() + kids_bytes() + name_size_, data_size_}; }
  char* data_ptr() { return tail() + kids_bytes() + name_size_; }
  // Sets the value length; the bytes at data_ptr() are the caller's to write (<= capacity).
  void set_data_size(std::size_t size) { data_size_ = static_cast<uint32_t>(size); }

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
  Entry* find_child(std::string_view name) const;
  // Calls fn(Entry*) for each child; in name order unless the table is a hash set.
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

  bool has_value() const { return bits_ & kHasValue; }
  void set_has_value(bool on) { set_bit(kHasValue, on); }
  bool fetched() const { return bits_ & kFetched; }
  void set_fetched(bool on) { set_bit(kFetched, on); }

  uint64_t cas() const { return cas_depth_ >> 8; }
  // The unique keeps 56 bits: 7e16 stores before it wraps.
  void set_cas(uint64_t cas) { cas_depth_ = (cas << 8) | (cas_depth_ & 0xff); }
  uint8_t depth() const { return static_cast<uint8_t>(cas_depth_ & 0xff); }

  int64_t exptime() const { return exptime_; }
  // Stores an absolute deadline, clamped to what 32 bits hold (0 = never).
  void set_exptime(int64_t exptime);
  uint32_t flags() const { return flags_; }
  void set_flags(uint32_t flags) { flags_ = flags; }

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

 private:
  static constexpr uint8_t kHasValue = 1;
  static constexpr uint8_t kFetched = 2;
  static constexpr uint8_t kKidsSlot = 4;
  static constexpr uint8_t kSoleChild = 8;    // the children slot holds an Entry*
  static constexpr uint8_t kUpIsParent = 16;  // up_ is the parent Entry*, not a Kids*

  Entry() = default;
  static std::size_t alloc_size(std::size_t name_size, std::size_t data_capacity, bool kids_slot);
  char* tail() { return reinterpret_cast<char*>(this) + offsetof(Entry, tail_); }
  const char* tail() const { return reinterpret_cast<const char*>(this) + offsetof(Entry, tail_); }
  std::size_t kids_bytes() const { return (bits_ & kKidsSlot) ? sizeof(void*) : 0; }
  // The children slot (unaligned: read and written with memcpy); nullptr without one.
  void* slot() const {
    if (!(bits_ & kKidsSlot)) return nullptr;
    void* p;
    std::memcpy(&p, tail(), sizeof(p));
    return p;
  }
  void set_slot(void* p) { std::memcpy(tail(), &p, sizeof(p)); }
  void set_bit(uint8_t bit, bool on) {
    bits_ = static_cast<uint8_t>(on ? (bits_ | bit) : (bits_ & ~bit));
  }

 public:
  // The fields (one access level, so the layout is standard and offsetof is well defined);
  // those with a trailing underscore are for the accessors above.
  void* up_;  // a Kids*, or the parent Entry* when kUpIsParent
  Entry* lru_prev;
  Entry* lru_next;
  uint64_t cas_depth_;
  uint32_t exptime_;
  uint32_t flags_;
  uint32_t data_size_;
  uint8_t name_size_;
  uint8_t bits_;
  // The variable part starts here, in what would be the struct's tail padding; the allocation
  // is never smaller than sizeof(Entry).
  char tail_[2];
};

static_assert(offsetof(Entry, lru_prev) == 8 && sizeof(Entry) == 48);

// The children of one node (or a shard's top level): one allocation, see the top of this file.
struct Kids {
  static constexpr uint16_t kSmallKids = 16;

  // An empty table for `owner` (nullptr for a shard's roots); `big` starts it as a hash set.
  static Kids* create(Entry* owner, bool big = false);
  static void destroy(Kids* kids);

  std::size_t size() const { return cap_ == 0 ? big()->size() : count_; }
  bool empty() const { return size() == 0; }
  bool is_big() const { return cap_ == 0; }
  Entry* find(std::string_view name) const;
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
      for (Entry* child : *big()) fn(child);
    } else {
      for (uint16_t i = 0; i < count_; ++i) fn(slots()[i]);
    }
  }
  // The memory this table really takes (its allocation, and the hash set's when big).
  std::size_t allocated() const;

  Entry* owner;
  uint64_t bytes = 0;  // logical bytes of every attached node below `owner`
  uint32_t items = 0;  // valued nodes below `owner`

 private:
  Kids() = default;
  Entry** slots() { return reinterpret_cast<Entry**>(this + 1); }
  Entry* const* slots() const { return reinterpret_cast<Entry* const*>(this + 1); }
  ChildSet* big() const { return *reinterpret_cast<ChildSet* const*>(this + 1); }
  // Index of the first slot whose name is >= name.
  uint16_t lower_bound(std::string_view name) const;

  uint16_t count_ = 0;
  uint16_t cap_ = 0;  // slots; 0 = a hash set (pointer in the first slot)
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
  if (Entry* only = sole_child()) return only->name() == name ? only : nullptr;
  const Kids* k = kids();
  return k != nullptr ? k->find(name) : nullptr;
}

template <typename Fn>
void Entry::for_each_child(Fn&& fn) const {
  if (Entry* only = sole_child()) {
    fn(only);
  } else if (const Kids* k = kids()) {
    k->for_each(fn);
  }
}

inline std::size_t EntryNameHash::operator()(const Entry* entry) const {
  return (*this)(entry->name());
}
inline bool EntryNameEq::operator()(const Entry* a, const Entry* b) const {
  return a->name() == b->name();
}
inline bool EntryNameEq::operator()(const Entry* a, std::string_view b) const {
  return a->name() == b;
}
inline bool EntryNameEq::operator()(std::string_view a, const Entry* b) const {
  return a == b->name();
}

}  // namespace nestcache
