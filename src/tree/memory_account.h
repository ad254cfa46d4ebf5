// The memory one shard holds, as the -m budget counts it.
#pragma once

#include <atomic>
#include <cstdint>

namespace nestcache {

// Every change of a shard's allocated memory (nodes, children tables, detached nodes not yet
// freed) goes through add(), so the shard's own figure and the tree-wide total the budget reads
// agree. Guarded by the shard's mutex; the total is the tree's and outlives the shard.
class MemoryAccount {
 public:
  // Where changes are reported: the tree-wide total, summed over shards.
  void attach(std::atomic<uint64_t>& total) { total_ = &total; }
  // Counts `delta` bytes more (or fewer, when negative).
  void add(int64_t delta) {
    held_ += static_cast<uint64_t>(delta);
    total_->fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  }
  // The bytes this shard holds, live or awaiting the reclaimer.
  uint64_t held() const { return held_; }

 private:
  std::atomic<uint64_t>* total_ = nullptr;
  uint64_t held_ = 0;
};

}  // namespace nestcache
