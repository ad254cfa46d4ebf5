// One change as watchers see it: its revision, its kind, and its line (and data block) on the
// wire, made once and shared by the history and every watch it is queued for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nestcache/tree/change.h"

namespace nestcache {

enum class WatchEventKind : uint8_t {
  set,     // SET <rev> <seg>+ <flags> <exptime> <bytes>, then the value
  touch,   // TOUCH <rev> <seg>+ <exptime>
  remove,  // DELETE <rev> <seg>+ : the node and its subtree
  expire,  // EXPIRE <rev> <seg>+ : the node and its subtree, its deadline passed
  evict,   // EVICT <rev> <seg>+  : the value, for memory; the node stays while it has children
  unset,   // UNSET <rev> <seg>+  : the value, dropped with a refused store (memcached's rule)
  flush,   // FLUSH <rev>
  graft,   // GRAFT <rev> <seg>+ <staged> <exptime> : the node at <seg>+ now holds what its
           // sibling <staged> held (subtree and value), with that deadline; <staged> is gone
};

struct WatchEvent {
  uint64_t revision = 0;
  WatchEventKind kind = WatchEventKind::set;
  uint32_t path_at = 0;    // where the path (segments joined by spaces) is in `wire`
  uint32_t path_size = 0;  // 0 for a flush
  uint32_t staged_at = 0;  // graft: where the staged sibling's name is in `wire`
  uint32_t staged_size = 0;
  std::string wire;  // the event's line, ending in \r\n (and a set's data block)

  std::string_view path() const { return std::string_view(wire).substr(path_at, path_size); }
  std::string_view staged() const { return std::string_view(wire).substr(staged_at, staged_size); }
  // What holding it costs, roughly: the history's budget counts this.
  std::size_t bytes() const { return sizeof(WatchEvent) + wire.capacity() + 32; }
  // Whether it removes (or replaces) the node at its path with everything below it: a watch
  // of a node below sees it too.
  bool removes_subtree() const {
    return kind == WatchEventKind::remove || kind == WatchEventKind::expire ||
           kind == WatchEventKind::graft;
  }
};

using WatchEventRef = std::shared_ptr<const WatchEvent>;

// The event of `change`, or nullptr for a change watchers do not see (flush_pending,
// memory_limit, unused).
WatchEventRef make_watch_event(const Change& change);

}  // namespace nestcache
