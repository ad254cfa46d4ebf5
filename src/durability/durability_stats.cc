// The persist_* lines of `stats` (protocol.md, section 8).
#include <algorithm>
#include <string>

#include "nestcache/durability/durability.h"
#include "nestcache/protocol/composer.h"

namespace nestcache {
namespace {

const char* policy_name(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::always:
      return "always";
    case FsyncPolicy::everysec:
      return "everysec";
    case FsyncPolicy::no:
      return "no";
  }
  return "?";
}

}  // namespace

void Durability::stats(Composer& reply) const {
  // Records the journal took: in the stripes, in its buffer, or written. The stripes are read
  // first: a move meanwhile counts some twice, never none.
  const uint64_t waiting = stripes_.waiting_records();
  const persistence::JournalStats journal = writer_.stats();
  std::string namespaces;
  for (const std::string& name : options_.persist) {
    if (!namespaces.empty()) namespaces += ',';
    namespaces += name;
  }
  uint64_t p99 = 0;
  {
    std::lock_guard lock(latency_mu_);
    if (!sync_latency_us_.empty()) {
      std::vector<uint32_t> sorted = sync_latency_us_;
      const std::size_t at = (sorted.size() * 99 + 99) / 100 - 1;
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at),
                       sorted.end());
      p99 = sorted[at];
    }
  }
  reply.stat("persist_fsync", policy_name(options_.fsync));
  reply.stat("persist_namespaces", namespaces.empty() ? std::string("all") : namespaces);
  reply.stat("persist_records", waiting + journal.records);
  reply.stat("persist_journal_bytes", journal.bytes_written);
  reply.stat("persist_segments", journal.segments);
  reply.stat("persist_fsyncs", sync_count_.load(std::memory_order_relaxed));
  reply.stat("persist_fsync_p99_us", p99);
  reply.stat("persist_disk_full", disk_full_.load(std::memory_order_relaxed) ? 1 : 0);
  reply.stat("persist_refused_writes", refused_.load(std::memory_order_relaxed));
  reply.stat("persist_replayed_records", recovered_.records);
  reply.stat("persist_load_time_us", recovered_.load_us);
  reply.stat("persist_last_revision", writer_.last_revision());
  reply.stat("persist_snapshots", snapshots_.load(std::memory_order_relaxed));
  reply.stat("persist_snapshot_failures", snapshot_failures_.load(std::memory_order_relaxed));
  reply.stat("persist_last_snapshot_time",
             static_cast<uint64_t>(
                 std::max<int64_t>(0, last_snapshot_time_.load(std::memory_order_relaxed))));
  reply.stat("persist_last_snapshot_duration_us",
             last_snapshot_us_.load(std::memory_order_relaxed));
  reply.stat("persist_last_snapshot_bytes", last_snapshot_bytes_.load(std::memory_order_relaxed));
  reply.stat("persist_journal_since_snapshot", journal_since_snapshot());
}

}  // namespace nestcache
