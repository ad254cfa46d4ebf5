// memcached's storage commands as rules over the tree's one write primitive (Tree::update):
// set add replace append prepend cas, and incr/decr. The tree knows nothing of these modes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "nestcache/common/path.h"
#include "nestcache/common/status.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

enum class StoreMode : uint8_t { set, add, replace, append, prepend, cas };

struct StoreArgs {
  StoreMode mode = StoreMode::set;
  uint32_t flags = 0;
  int64_t exptime = 0;  // absolute (see absolute_exptime); ignored by append/prepend
  uint64_t cas = 0;     // expected unique, for StoreMode::cas
  std::string_view data;
  // append/prepend: memcached's -I, held to the joined value as memcached holds a new item to
  // it (memcached_item_size with the key's length and the old flags); 0 = no limit.
  std::size_t max_item_size = 0;
  std::size_t key_length = 0;
  // Meta ms: `cas` is also checked by append/prepend (a different unique is exists), and
  // `has_cas` says whether one was given (ms C0 is a cas of 0).
  bool has_cas = false;
  // Meta ms I in cas mode: a unique older than the value's still stores, keeping the old
  // deadline and token mark, and the value is marked stale (memcached's set_stale).
  bool invalidate = false;
};

struct StoreResult {
  Status status = Status::not_stored;
  uint64_t cas = 0;  // the new unique when stored
};

struct ArithResult {
  Status status = Status::not_found;  // stored (success), not_found, non_numeric or exists
  uint64_t value = 0;
  uint64_t cas = 0;  // stored: the value's new unique
};

// Stores at `path` following args.mode. set and add create missing parents as valueless nodes
// (not_stored instead under strict_parents); the other modes need a value there (not_stored,
// or not_found for cas); cas on a different unique is exists. append and prepend keep the
// value's flags and deadline. An empty or too deep path is not_stored.
StoreResult store_value(Tree& tree, const Path& path, const StoreArgs& args);

// incr (or decr when !increment) of the decimal value at `path`, with memcached's wrap at 2^64,
// floor at 0 and space padding of a result shorter than the old value; flags and deadline stay.
// With `expected_cas` (meta ma C), a value of another unique is exists and is left as it is.
ArithResult arith_value(Tree& tree, const Path& path, bool increment, uint64_t delta,
                        std::optional<uint64_t> expected_cas = std::nullopt);

}  // namespace nestcache
