// --data-dir: the tree made durable. Every change the tree reports (change.h) becomes a journal
// record (persistence/); the server commits a worker's records once per event-loop round, before
// that round's replies leave (group commit); snapshots beside the journal let old segments go; a
// restart loads the newest snapshot and replays the journal after it.
//
// Threads: on_change runs on whichever thread changes the tree (workers, the reclaimer), under a
// shard lock; admit and stats on workers; commit_round on workers at the end of their rounds; a
// background thread writes and (everysec) fdatasyncs once a second; a snapshot thread of its own,
// whose reads of the tree run on the workers (set_step_runner).
// One mutex orders the appends; the pwrite of a batch and the fdatasync run outside it, so a slow
// disk never holds a shard lock. Lock order: a shard's, then the journal's.
//
// Failure: a write or fdatasync that fails makes what is on disk unknown, so the process stops
// (one log line, exit status 74) before any reply that depends on it leaves: nothing unsaved is
// ever acknowledged (PostgreSQL's fsync lesson).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nestcache/durability/record_stripes.h"
#include "nestcache/engine/durability_hooks.h"
#include "nestcache/persistence/journal_writer.h"
#include "nestcache/tree/change.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

// Redis's appendfsync names and meanings.
enum class FsyncPolicy : uint8_t {
  always,    // write + fdatasync at the end of each round, before its replies
  everysec,  // write at the end of each round; fdatasync in the background once a second
  no,        // write at the end of each round; the kernel syncs when it likes
};

struct DurabilityOptions {
  std::string dir;  // --data-dir (the journal lives here)
  FsyncPolicy fsync = FsyncPolicy::everysec;
  // --persist: the top-level names journaled; empty: all.
  std::vector<std::string> persist;
  bool truncate_corrupt = false;  // --truncate-corrupt-journal
  // Commands in flight at once (the worker threads): room for that many of the largest records
  // (`max_record`) is kept in the segment before a change is admitted.
  std::size_t writers = 4;
  std::size_t max_record = std::size_t{1} << 20;  // the largest value and key (-I)
  uint64_t segment_size = uint64_t{64} << 20;
  // A snapshot is taken when the journal since the last one reaches this, and twice the last
  // snapshot's size (Redis's auto-aof-rewrite-min-size and -percentage 100); 0: only when
  // asked (request_snapshot).
  uint64_t snapshot_min_bytes = uint64_t{64} << 20;
  int verbosity = 0;                         // -v: progress lines while loading
  persistence::FileOps* file_ops = nullptr;  // tests inject disk failures here
};

// What the start-up load found and did.
struct RecoveryReport {
  bool ok = false;
  std::string error;               // !ok: why the server must not start (file and offset named)
  bool io_error = false;           // !ok because the disk failed (not because the data is damaged)
  uint64_t records = 0;            // records replayed (snapshot and journal)
  uint64_t snapshot_revision = 0;  // the snapshot loaded covers the journal up to here (0: none)
  uint64_t revision = 0;           // the highest revision on disk: uniques continue above it
  uint64_t load_us = 0;            // the scan and the replay
  std::string journal_log;         // the scan's one line (torn tail, cut, clean)
};

class Durability final : public ChangeObserver, public DurabilityHooks {
 public:
  explicit Durability(DurabilityOptions options);
  // Stops the background thread and commits (write + fdatasync) what is left.
  ~Durability() override;
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  // Before the tree serves: replays the journal into `tree` (which must be empty and have no
  // observer), opens the journal for appending, attaches itself as the tree's observer and
  // starts the background thread. Logs to `log` (the torn tail's line always; progress with
  // -v). The tree is journaled from then on; on !ok it is left unobserved and must not serve.
  RecoveryReport open(Tree& tree, std::ostream& log);

  // ChangeObserver: one record per change of a journaled namespace, appended to its stripe
  // (a flush or a budget: to the journal's buffer, after every stripe).
  void on_change(const Change& change) override;

  // DurabilityHooks: false while the disk cannot take a record of `bytes` (checked again at
  // most every 100 ms); writes to namespaces that are not journaled are always admitted.
  bool admit(const Path* path, std::size_t bytes) override;
  void stats(Composer& reply) const override;
  void request_snapshot() override;

  // The group commit, at the end of a worker's round and before its replies: writes what is
  // buffered (everysec, no) and fdatasyncs it (always) unless another thread's commit already
  // covered it. Stops the process on failure.
  void commit_round();

  // Writes a snapshot of the tree beside the journal and drops the segments it covers; false
  // (and the journal left as it was) if it could not. The background thread calls it when the
  // journal has grown enough; tests call it directly. Fuzzy: the tree is walked a slice at a time
  // while it changes, after a segment cut; the journal from that cut on, replayed over the
  // snapshot, makes it exact (every record is idempotent: stores carry the whole value).
  bool take_snapshot();

  // Where a snapshot's walk runs its steps (each a bounded read under one shard's lock): `post`
  // hands a step to a thread that serves clients (a worker's event loop), which runs it between
  // two rounds. Why: the snapshot thread, preempted while it held a shard's lock, made workers
  // wait for it for milliseconds (get p99 x9 during a snapshot); workers take those locks for
  // every request anyway, and a step adds ~10-20 us to one of their rounds. The server sets it
  // while its workers run and clears it (nullptr: the snapshot thread reads the tree itself, as
  // in tests) before they stop; clearing waits for a step under way.
  using StepRunner = std::function<void(std::function<void()>)>;
  void set_step_runner(StepRunner post);

  // Detaches from the tree and commits what is left; call before the tree stops serving ends.
  void close();

 private:
  bool persisted(std::string_view top) const;
  // Records why the journal cannot take a change that was applied (under mu_): the next commit
  // stops the process.
  void break_with(std::string why);
  // Appends `records` framed records (the highest revision `max_revision`) to the writer's
  // buffer, or breaks the journal (under mu_).
  void to_journal(std::string_view framed, uint64_t records, uint64_t max_revision);
  // Moves every stripe's records into the writer's buffer (under mu_).
  void move_stripes();
  // room_ from the writer's room (under mu_).
  void update_room();
  // Stops the process if a change could not be journaled; takes the buffer under mu_ and writes
  // it after; returns how many records are on the kernel's side now.
  uint64_t write_pending();
  void sync_written(uint64_t written);
  // The once-a-second thread: writes what no request wrote, and fdatasyncs under everysec.
  void background();
  // The snapshot thread: takes one when asked or when the journal has grown enough.
  void snapshot_loop();
  // Runs `step` through the step runner (here when there is none) and waits for it.
  void run_step(const std::function<void()>& step);
  // Bytes of journal the last snapshot does not cover (what triggers the next one).
  uint64_t journal_since_snapshot() const;
  [[noreturn]] void die(const std::string& why) const;

  const DurabilityOptions options_;
  persistence::JournalWriter writer_;
  // Changes inside namespaces, waiting for a commit to move them under mu_.
  RecordStripes stripes_;
  Tree* tree_ = nullptr;

  // Room kept for changes admitted and not yet appended (one of the largest per writer thread).
  const uint64_t headroom_;
  // Bytes a change may be admitted for without the lock: the segment's room less headroom_.
  std::atomic<uint64_t> room_{0};

  // The writer's buffer and segment (appends, cuts, taking a batch to write); held for copies.
  mutable std::mutex mu_;
  std::string broken_;  // why a change could not be journaled: the next commit stops the process
  std::atomic<bool> is_broken_{false};  // broken_ is set (read without the lock)
  int64_t retry_after_us_ = 0;          // a full disk: refuse without asking again until then

  // One batch write at a time, in order (lock order: io_mu_, then mu_).
  std::mutex io_mu_;
  persistence::JournalWriter::Batch batch_;  // under io_mu_

  std::atomic<uint64_t> appended_{0};  // records in the writer's buffer or written
  std::atomic<uint64_t> written_{0};   // ... of which write() has handed to the kernel
  std::atomic<uint64_t> synced_{0};    // ... of which fdatasync has made durable
  std::mutex sync_mu_;                 // one fdatasync at a time: the others wait and reuse it

  std::atomic<uint64_t> refused_{0};  // writes refused with out of disk space
  std::atomic<bool> disk_full_{false};
  std::atomic<uint64_t> sync_count_{0};
  mutable std::mutex latency_mu_;
  std::vector<uint32_t> sync_latency_us_;  // the last fdatasyncs' latencies (a ring)
  std::size_t latency_next_ = 0;
  RecoveryReport recovered_;
  // The last cache_memlimit journaled (a snapshot starts its segment with it again); under mu_.
  std::optional<uint64_t> memory_limit_;

  // Snapshots (background thread, or a test's; never two at once).
  std::mutex snapshot_mu_;
  std::atomic<uint64_t> replayed_bytes_{0};  // journal bytes replayed at start, not in a snapshot
  std::atomic<uint64_t> snapshot_base_{0};   // writer bytes_written when the last snapshot began
  std::atomic<uint64_t> last_snapshot_bytes_{0};
  std::atomic<uint64_t> snapshots_{0};
  std::atomic<int64_t> last_snapshot_time_{0};
  std::atomic<uint64_t> last_snapshot_us_{0};
  std::atomic<uint64_t> snapshot_failures_{0};

  std::mutex runner_mu_;
  std::condition_variable runner_cv_;
  StepRunner runner_;            // set_step_runner
  bool step_in_flight_ = false;  // a step is posted and not yet done

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool snapshot_asked_ = false;  // `snapshot`: the background thread takes one at its next turn
  std::thread thread_;
  std::thread snapshot_thread_;
};

}  // namespace nestcache
