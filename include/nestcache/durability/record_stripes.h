// Journal records waiting for the group commit, buffered per stripe of namespaces (the tree's
// shards): a change appends to its stripe under that stripe's own lock, not the journal's, so the
// workers do not take one shared lock per record (measured: a third more CPU per pipelined set,
// most of it futex sleeps and wake-ups). The commit moves the stripes into the journal.
//
// Order: the changes of one namespace reach on_change in the order they happened, under its
// shard's lock (change.h), and all land in one stripe, which is moved whole; so a namespace's
// records reach the journal in order. Records of different namespaces may be reordered, which
// replay does not mind: they touch different nodes. A record that orders everything (a flush)
// moves every stripe into the journal first.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "nestcache/persistence/record.h"

namespace nestcache {

class RecordStripes {
 public:
  static constexpr std::size_t kStripes = 64;
  // A stripe holding this much (at most) is moved into the journal by the change that filled it.
  static constexpr std::size_t kMaxFullBytes = 16 * 1024;

  // `segment_size`: the journal's; what waits in the stripes stays under an eighth of it (room
  // that admission keeps aside in the segment: capacity()).
  explicit RecordStripes(uint64_t segment_size);

  // Bytes the stripes can hold before the records that fill them are moved.
  uint64_t capacity() const { return kStripes * full_bytes_; }

  // Where a stripe's records go: `framed` holds `records` framed records whose highest revision
  // is `max_revision`.
  using Sink =
      absl::FunctionRef<void(std::string_view framed, uint64_t records, uint64_t max_revision)>;

  // The stripe of the changes of tree shard `shard` (Change::shard).
  static std::size_t stripe_of(uint32_t shard) { return shard % kStripes; }

  // Frames `record` (checked against the limits: check_record) into stripe `stripe`; true when
  // the stripe is now full (the caller moves it: move(stripe, ...)).
  bool append(std::size_t stripe, const persistence::Record& record);

  // Moves stripe `stripe`'s records to `sink`, in the order they were appended. The caller
  // holds the journal's lock (lock order: the journal's, then a stripe's).
  void move(std::size_t stripe, Sink sink);

  // Moves every stripe that has records; under the journal's lock.
  void move_all(Sink sink);

  // Records waiting in the stripes now (for stats).
  uint64_t waiting_records() const;

 private:
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::string framed;
    uint64_t records = 0;
    uint64_t max_revision = 0;
  };
  const std::size_t full_bytes_;
  std::array<Stripe, kStripes> stripes_;
  // Bit i: stripe i may have records (set after an append, cleared before a move).
  std::atomic<uint64_t> filled_{0};
};

}  // namespace nestcache
