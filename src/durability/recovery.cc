// Start-up: the journal replayed into the tree, then the journal opened for appending
// (Durability::open; proto-spec/persistence.md section 4).
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <system_error>

#include <absl/functional/function_ref.h>

#include "nestcache/durability/durability.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/journal_reader.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache {
namespace {

using persistence::Record;
using persistence::RecordKind;

// Applies records to a tree that no one else uses yet, in journal order. Within a namespace
// that is the order the changes happened (they were appended under its shard's lock); a flush
// was appended under every lock, so it sits exactly between the changes before and after it.
class Replayer {
 public:
  // `persisted` tells the journaled namespaces (--persist may have changed since the records
  // were written) and must outlive the replayer; with `progress`, a line every million records
  // (-v).
  Replayer(Tree& tree, absl::FunctionRef<bool(std::string_view top)> persisted,
           std::ostream* progress)
      : tree_(tree), persisted_(persisted), progress_(progress) {}

  // A journal record: counted in the bytes the next snapshot will cover.
  void apply_journal(const Record& record) {
    journal_bytes_ += persistence::framed_size(record);
    apply(record);
  }

  void apply(const Record& record) {
    if (++records_ % 1'000'000 == 0 && progress_ != nullptr) {
      *progress_ << "nestcached: loading: " << records_ << " records" << std::endl;
    }
    revision_ = std::max(revision_, record.revision);
    if (!record.path.empty() && !persisted_(record.path[0])) return;  // --persist changed
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
      case RecordKind::graft:
        (void)tree_.graft(record.path, record.data, record.exptime);
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
  uint64_t journal_bytes() const { return journal_bytes_; }
  uint64_t revision() const { return revision_; }
  // A delayed flush_all not yet applied when the journal ends (0: none). Everything replayed
  // after it was stored before it came due (the request that found it due applied it first,
  // and that is journaled), so it still applies to all of it.
  int64_t pending_flush() const { return pending_flush_; }
  // The last cache_memlimit (nullopt: none): applied once the values are in, so that the
  // replay does not evict by a budget the server had not yet been given at that point.
  std::optional<uint64_t> memory_limit() const { return memory_limit_; }

 private:
  Tree& tree_;
  absl::FunctionRef<bool(std::string_view top)> persisted_;
  std::ostream* progress_;
  uint64_t records_ = 0;
  uint64_t journal_bytes_ = 0;
  uint64_t revision_ = 0;
  int64_t pending_flush_ = 0;
  std::optional<uint64_t> memory_limit_;
};

}  // namespace

RecoveryReport Durability::open(Tree& tree, std::ostream& log) {
  RecoveryReport report;
  const auto start = std::chrono::steady_clock::now();
  auto io_failure = [&](std::string why) {
    report.error = std::move(why);
    report.io_error = true;
    return report;
  };
  // Made with its parents, as etcd makes its data directory.
  std::error_code made;
  std::filesystem::create_directories(options_.dir, made);
  if (made) {
    return io_failure(options_.dir + ": cannot create the data directory (" + made.message() + ")");
  }
  // Named: the replayer keeps a reference to it.
  auto persisted_here = [this](std::string_view top) { return persisted(top); };
  Replayer replayer(tree, persisted_here, options_.verbosity > 0 ? &log : nullptr);
  // 1. The newest snapshot, if any: a damaged one refuses the start (the journal it covered is
  // gone, so an older one would silently lose changes).
  const persistence::SnapshotList snapshots = persistence::list_snapshots(options_.dir);
  if (!snapshots.error.ok()) return io_failure(snapshots.error.message());
  uint64_t covered = 0;
  if (!snapshots.files.empty()) {
    const std::string path = options_.dir + "/" + snapshots.files.front().name;
    const persistence::SnapshotReport loaded =
        persistence::read_snapshot(path, {}, [&](const Record& record) { replayer.apply(record); });
    if (loaded.outcome == persistence::SnapshotOutcome::io_error) {
      return io_failure(loaded.log_line());
    }
    if (loaded.outcome != persistence::SnapshotOutcome::ok) {
      report.error = loaded.log_line() +
                     "; refusing to start (move it away only with the "
                     "segments it covered, which are gone)";
      return report;
    }
    covered = loaded.revision;
    report.snapshot_revision = covered;
    if (options_.verbosity > 0) log << "nestcached: " << loaded.log_line() << "\n";
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0)
      last_snapshot_bytes_.store(static_cast<uint64_t>(st.st_size));
  }
  // 2. The journal after it.
  persistence::ScanOptions scan;
  scan.dir = options_.dir;
  scan.repair_tail = true;
  scan.truncate_corrupt = options_.truncate_corrupt;
  scan.first_revision = covered + 1;
  const persistence::ScanReport found = persistence::scan_journal(
      scan, [&](const Record& record) { replayer.apply_journal(record); });
  report.journal_log = found.log_line();
  report.records = replayer.records();
  using persistence::ScanOutcome;
  if (found.outcome == ScanOutcome::io_error) return io_failure(report.journal_log);
  if (found.outcome == ScanOutcome::damaged) {
    report.error = report.journal_log;
    return report;
  }
  if (found.start_revision > covered) {
    report.error =
        "journal: the journal in " + options_.dir + " starts after revision " +
        std::to_string(found.start_revision) +
        (covered == 0 ? std::string(" and there is no snapshot")
                      : " but the snapshot covers only up to " + std::to_string(covered)) +
        ": changes are missing; refusing to start";
    return report;
  }
  // A torn tail or a cut is told whatever the verbosity: the operator must know.
  if (found.outcome != ScanOutcome::clean || options_.verbosity > 0) {
    log << "nestcached: " << report.journal_log << "\n";
  }
  if (const auto limit = replayer.memory_limit()) (void)tree.set_memory_limit(*limit);
  report.revision = std::max(replayer.revision(), found.end.last_revision);
  if (found.outcome == ScanOutcome::cut || found.outcome == ScanOutcome::torn_tail) {
    // Records lost at the cut may have handed out uniques a client has seen: skip as many as
    // the lost bytes could have held (a framed store takes at least 24 bytes).
    report.revision += found.torn_bytes / 24 + 1;
  }
  tree.raise_cas(report.revision);

  const persistence::JournalError opened = writer_.open(found.end);
  if (!opened.ok()) return io_failure(opened.message());
  {
    std::lock_guard lock(mu_);
    update_room();
  }
  // Left by a crash between a snapshot and the removal of what it covers.
  if (covered > 0) {
    (void)writer_.drop_segments_before(covered + 1);
    (void)persistence::remove_snapshots_before(options_.dir, covered);
  }
  replayed_bytes_.store(replayer.journal_bytes(), std::memory_order_relaxed);
  if (replayer.memory_limit()) memory_limit_ = replayer.memory_limit();
  tree_ = &tree;
  tree.set_observer(this);
  if (replayer.pending_flush() != 0) tree.flush(replayer.pending_flush());  // journaled again
  report.load_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - start)
                                             .count());
  if (options_.verbosity > 0) {
    log << "nestcached: journal: " << report.records << " records replayed in "
        << report.load_us / 1000 << " ms; uniques continue above " << report.revision << "\n";
  }
  report.ok = true;
  recovered_ = report;
  thread_ = std::thread([this] { background(); });
  snapshot_thread_ = std::thread([this] { snapshot_loop(); });
  return report;
}

}  // namespace nestcache
