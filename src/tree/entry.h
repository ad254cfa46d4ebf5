// One node of the tree.
//
//   Entry ──parent──▶ Entry (nullptr at the top level, and once detached)
//     │ name        the segment that names it under its parent
//     │ children ─▶ flat_hash_set<Entry*> keyed by child name; allocated only when there are
//     │             children, so a leaf carries no empty table
//     │ value       data, flags, cas (present when has_value), and links in the shard's LRU
//     └ exptime     deadline of the node AND its subtree (0 = never)
//
// Entries are owned by their shard: linked in a parent's set (or the shard's roots), or in the
// graveyard waiting to be freed. All fields are guarded by the shard's mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

namespace nestcache {

struct Entry;

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

using Children = absl::flat_hash_set<Entry*, EntryNameHash, EntryNameEq>;

struct Entry {
  Entry(std::string_view segment, Entry* up, uint8_t level)
      : name(segment), parent(up), depth(level) {}

  bool has_children() const { return children && !children->empty(); }
  // Neither value nor children: such a node is pruned.
  bool empty() const { return !has_value && !has_children(); }
  bool expired(int64_t now) const { return exptime != 0 && exptime <= now; }
  // The bytes this node is accounted for in `stats bytes` and the -m budget.
  std::size_t footprint() const;
  // What a node with this name and value would be accounted for.
  static std::size_t cost(std::size_t name_size, std::size_t data_size);

  std::string name;
  Entry* parent;
  std::unique_ptr<Children> children;
  std::string data;
  // The shard's LRU of valued nodes (most recent at the head); null while valueless.
  Entry* lru_prev = nullptr;
  Entry* lru_next = nullptr;
  uint64_t cas = 0;
  int64_t exptime = 0;
  uint32_t flags = 0;
  uint8_t depth;
  bool has_value = false;
  bool fetched = false;  // read since stored (for expired_unfetched)
};

inline std::size_t EntryNameHash::operator()(const Entry* entry) const {
  return (*this)(std::string_view(entry->name));
}
inline bool EntryNameEq::operator()(const Entry* a, const Entry* b) const {
  return a->name == b->name;
}
inline bool EntryNameEq::operator()(const Entry* a, std::string_view b) const {
  return a->name == b;
}
inline bool EntryNameEq::operator()(std::string_view a, const Entry* b) const {
  return a == b->name;
}

}  // namespace nestcache
