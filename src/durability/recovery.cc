// Start-up: the journal replayed into the tree, then the journal opened for appending
// (Durability::open; proto-spec/persistence.md section 4).
#include <chrono>
#include <ostream>

#include "nestcache/durability/durability.h"
#include "nestcache/persistence/journal_reader.h"

namespace nestcache {
namespace {

using persistence::Record;
using persistence::RecordKind;

// Applies records to a tree that no one else uses yet, in journal order. Within a namespace
// that is the order the changes happened (they were appended under its shard's lock); a flush
// was appended under every lock, so it sits exactly between the changes before and after it.
class Replayer {
 public:
  Replayer(Tree& tree, const std::vector<std::string>& persist) : tree_(tree), persist_(persist) {}

  void apply(const Record& record) {
    ++records_;
    revision_ = std::max(revision_, record.revision);
    if (!record.path.empty() && !persisted(record.path[0])) return;  // --persist changed
    switch (record.kind) {
      case RecordKind::store: {
        // The value as acknowledged, with its unique; one already expired goes at once (and
        // with it the node's subtree, which its deadline bounds, as it went when it expired).
        NewValue value;
        value.data = record.data;
        value.flags = record.flags;
        value.exptime = record.exptime;
        value.cas = record.revision;
        UpdatePolicy policy;
        policy.create = true;
        (void)tree_.update(record.path, policy, [&](const ValueView*) { return &value; });
        break;
      }
      case RecordKind::touch:
        (void)tree_.touch(record.path, record.exptime);
        break;
      case RecordKind::remove:
      case RecordKind::expire:
        (void)tree_.remove(record.path);
        break;
      case RecordKind::remove_value:
        (void)tree_.remove_value(record.path);
        break;
      case RecordKind::flush:
        tree_.flush(0);  // at once: it happened here
        pending_flush_ = 0;
        break;
      case RecordKind::flush_pending:
        pending_flush_ = record.flush_at;
        break;
      case RecordKind::memory_limit:
        memory_limit_ = record.memory_limit;
        break;
    }
  }

  uint64_t records() const { return records_; }
  uint64_t revision() const { return revision_; }
  // A delayed flush_all not yet applied when the journal ends (0: none). Everything replayed
  // after it was stored before it came due (the request that found it due applied it first,
  // and that is journaled), so it still applies to all of it.
  int64_t pending_flush() const { return pending_flush_; }
  // The last cache_memlimit (nullopt: none): applied once the values are in, so that the
  // replay does not evict by a budget the server had not yet been given at that point.
  std::optional<uint64_t> memory_limit() const { return memory_limit_; }

 private:
  bool persisted(std::string_view top) const {
    return persist_.empty() || std::find(persist_.begin(), persist_.end(), top) != persist_.end();
  }

  Tree& tree_;
  const std::vector<std::string>& persist_;
  uint64_t records_ = 0;
  uint64_t revision_ = 0;
  int64_t pending_flush_ = 0;
  std::optional<uint64_t> memory_limit_;
};

}  // namespace

RecoveryReport Durability::open(Tree& tree, std::ostream& log) {
  RecoveryReport report;
  const auto start = std::chrono::steady_clock::now();
  persistence::ScanOptions scan;
  scan.dir = options_.dir;
  scan.repair_tail = true;
  scan.truncate_corrupt = options_.truncate_corrupt;
  Replayer replayer(tree, options_.persist);
  const persistence::ScanReport found =
      persistence::scan_journal(scan, [&](const Record& record) { replayer.apply(record); });
  report.journal_log = found.log_line();
  report.records = replayer.records();
  using persistence::ScanOutcome;
  if (found.outcome == ScanOutcome::damaged || found.outcome == ScanOutcome::io_error) {
    report.error = report.journal_log;
    return report;
  }
  // A torn tail or a cut is told whatever the verbosity: the operator must know.
  if (found.outcome != ScanOutcome::clean || options_.verbosity > 0)
    log << report.journal_log << "\n";
  if (const auto limit = replayer.memory_limit()) (void)tree.set_memory_limit(*limit);
  report.revision = std::max(replayer.revision(), found.end.last_revision);
  tree.raise_cas(report.revision);

  const persistence::JournalError opened = writer_.open(found.end);
  if (!opened.ok()) {
    report.error = opened.message();
    return report;
  }
  tree_ = &tree;
  tree.set_observer(this);
  if (replayer.pending_flush() != 0) tree.flush(replayer.pending_flush());  // journaled again
  report.load_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - start)
                                             .count());
  if (options_.verbosity > 0) {
    log << "journal: " << report.records << " records replayed in " << report.load_us / 1000
        << " ms; uniques continue above " << report.revision << "\n";
  }
  report.ok = true;
  recovered_ = report;
  if (options_.fsync != FsyncPolicy::always) thread_ = std::thread([this] { background(); });
  return report;
}

}  // namespace nestcache
