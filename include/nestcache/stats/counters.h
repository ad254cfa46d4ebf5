// Per-worker counters with memcached's stat names. Each worker thread owns one Counters and is
// its only writer; `stats` sums every worker's with relaxed loads.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>

namespace nestcache {

// clang-format off
#define NESTCACHE_COUNTERS(X)                                                      \
  X(cmd_get) X(cmd_set) X(cmd_flush) X(cmd_touch) X(cmd_meta)                      \
  X(get_hits) X(get_misses) X(get_expired)                                         \
  X(delete_hits) X(delete_misses) X(incr_hits) X(incr_misses)                      \
  X(decr_hits) X(decr_misses) X(cas_hits) X(cas_misses) X(cas_badval)              \
  X(touch_hits) X(touch_misses) X(store_too_large) X(store_no_memory)              \
  X(bytes_read) X(bytes_written) X(total_connections) X(rejected_connections)      \
  X(idle_kicks)
// clang-format on

struct CounterValues {
#define NESTCACHE_FIELD(name) uint64_t name = 0;
  NESTCACHE_COUNTERS(NESTCACHE_FIELD)
#undef NESTCACHE_FIELD
};

class Counters {
 public:
#define NESTCACHE_ATOMIC(name) std::atomic<uint64_t> name{0};
  NESTCACHE_COUNTERS(NESTCACHE_ATOMIC)
#undef NESTCACHE_ATOMIC

  // Single-writer increment: no locked instruction on the hot path.
  static void add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void add_to(CounterValues& sum) const;
  void reset();
};

// Every worker's Counters, plus the gauges that belong to the whole server.
class StatsRegistry {
 public:
  // A new Counters for one worker thread; lives as long as the registry.
  Counters& make_counters();
  CounterValues sum() const;
  void reset();

  std::atomic<uint64_t> curr_connections{0};

 private:
  mutable std::mutex mu_;
  std::deque<Counters> counters_;
};

}  // namespace nestcache
