// Durability::take_snapshot: the tree written beside the journal, and the journal it covers
// dropped (proto-spec/persistence.md section 7).
#include <chrono>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "nestcache/durability/durability.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache {
namespace {

using persistence::JournalError;
using persistence::Record;
using persistence::RecordKind;

// A walk step holds one shard's lock on a worker (Durability::set_step_runner): it looks at this
// many nodes at most, stops after this many bytes of records, and a read of a shard's names
// takes this many slots of its table, so that a step adds ~10-20 us to one worker round (the
// records are written to the file by the snapshot thread, after the step).
constexpr std::size_t kStepNodes = 128;
constexpr std::size_t kStepBytes = 128 * 1024;
constexpr std::size_t kStepNameSlots = 512;
// The walk works this long, then rests as long, so that a snapshot takes at most about half of
// one core (its steps included) from the clients.
constexpr std::chrono::microseconds kBusy{200};

// A node copied out of the tree under its shard's lock (the valueless ones with a deadline).
struct Copied {
  std::vector<std::string> path;
  std::string data;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint64_t cas = 0;
};

// The snapshot record for `item`: a store, or the touch of a valueless node.
Record snapshot_record(const Copied& item, RecordKind kind) {
  Record record;
  record.kind = kind;
  record.revision = item.cas;
  record.path.assign(item.path.begin(), item.path.end());
  record.data = item.data;
  record.flags = item.flags;
  record.exptime = item.exptime;
  return record;
}

}  // namespace

bool Durability::take_snapshot() {
  std::lock_guard one_at_a_time(snapshot_mu_);
  if (tree_ == nullptr) return false;
  const auto start = std::chrono::steady_clock::now();
  auto failed = [&](const std::string& why) {
    snapshot_failures_.fetch_add(1, std::memory_order_relaxed);
    std::cerr << "nestcached: snapshot not taken: " << why << "\n";
    return false;
  };
  // 1. The cut: every record appended from here on is in segments named `first` or above.
  uint64_t first = 0;
  uint64_t base = 0;
  {
    std::lock_guard lock(mu_);
    move_stripes();  // the changes made before the cut go before it
    if (!broken_.empty()) return false;
    if (JournalError e = writer_.start_segment(first); !e.ok()) return failed(e.message());
    update_room();
    base = writer_.stats().bytes_written;
    // What the walk cannot see goes at the head of the new segment, so the segments the
    // snapshot lets go of take nothing with them: the budget and a flush still to come.
    Record global;
    global.revision = writer_.last_revision();
    if (memory_limit_) {
      global.kind = RecordKind::memory_limit;
      global.memory_limit = *memory_limit_;
      if (JournalError e = writer_.append(global); !e.ok()) break_with(e.message());
      appended_.fetch_add(1, std::memory_order_release);
    }
    if (const int64_t due = tree_->pending_flush(); due != 0) {
      global.kind = RecordKind::flush_pending;
      global.flush_at = due;
      if (JournalError e = writer_.append(global); !e.ok()) break_with(e.message());
      appended_.fetch_add(1, std::memory_order_release);
    }
  }
  // 2. The walk, a slice at a time, into a temp file renamed when complete.
  persistence::SnapshotWriter snapshot;
  if (JournalError e = snapshot.open(options_.dir, first - 1, std::time(nullptr)); !e.ok()) {
    return failed(e.message());
  }
  // Valueless nodes with a deadline: written after every store, when replay has made the node.
  std::vector<Copied> deadlines;
  Tree::WalkOptions walk;
  walk.mark_fetched = false;  // a snapshot is no client's read
  walk.valueless_deadlines = true;
  std::string frames;  // one step's records, framed under the lock, written after it
  std::string failure;
  // One node into the step's frames (or, valueless with a deadline, into `deadlines`); false
  // when the step's frames are full, or the value cannot be recorded (`failure`).
  uint64_t count = 0;
  auto add = [&](const Path& full, const ValueView& value) {
    if (value.cas == 0) {
      Copied& item = deadlines.emplace_back();
      item.path.assign(full.begin(), full.end());
      item.exptime = value.exptime;
      return true;
    }
    Record record;
    record.kind = RecordKind::store;
    record.revision = value.cas;
    record.path = full;
    record.data = value.data;
    record.flags = value.flags;
    record.exptime = value.exptime;
    if (persistence::check_record(record, {}) != persistence::RecordError::none) {
      failure = "a value in " + std::string(full[0]) + " is over the record limits";
      return false;
    }
    persistence::append_frame(record, frames);
    ++count;
    return frames.size() < kStepBytes;
  };
  auto flush_step = [&]() -> bool {
    if (!failure.empty()) return failed(failure);
    if (JournalError e = snapshot.add_framed(frames, count); !e.ok()) return failed(e.message());
    frames.clear();
    count = 0;
    return true;
  };
  // Shard by shard (no order is needed, and each shard's top-level names are read once), whole
  // namespaces a batch per step; a namespace too large for one step alone is walked in bounded
  // steps.
  auto busy_since = std::chrono::steady_clock::now();
  // Before each step: false when the server is stopping; paced (kBusy).
  auto next_turn = [&]() {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) return false;  // the writer's destructor removes the temp file
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - busy_since >= kBusy) {
      std::this_thread::sleep_for(now - busy_since);
      busy_since = std::chrono::steady_clock::now();
    }
    return true;
  };
  for (std::size_t shard = 0; shard < Tree::kShardCount; ++shard) {
    Tree::TopNameScan scan;
    while (!scan.done()) {
      if (!next_turn()) return false;
      run_step([&] { tree_->scan_top_names(shard, scan, kStepNameSlots); });
    }
    std::vector<std::string>& names = scan.names();
    std::erase_if(names, [&](const std::string& name) { return !persisted(name); });
    for (std::size_t next = 0; next < names.size();) {
      if (!next_turn()) return false;
      std::size_t walked = next;
      run_step([&] {
        walked = tree_->walk_names(
            shard, names, next, kStepNodes, kStepBytes, walk,
            [&](const Path& full, const ValueView& value) { (void)add(full, value); });
      });
      if (!flush_step()) return false;
      if (walked > next) {
        next = walked;
        continue;
      }
      // names[next] alone is over a step's bounds: in steps of its own.
      const Path top{names[next]};
      WalkCursor cursor;
      for (bool done = false; !done;) {
        if (!next_turn()) return false;
        run_step([&] { done = tree_->walk_step(top, cursor, kStepNodes, walk, add); });
        if (!flush_step()) return false;
      }
      ++next;
    }
  }
  for (const Copied& item : deadlines) {
    if (JournalError e = snapshot.add(snapshot_record(item, RecordKind::touch)); !e.ok()) {
      return failed(e.message());
    }
  }
  if (JournalError e = snapshot.finish(); !e.ok()) return failed(e.message());
  // 3. What it covers goes: the segments before the cut, and the older snapshots.
  {
    std::lock_guard lock(mu_);
    if (JournalError e = writer_.drop_segments_before(first); !e.ok()) {
      std::cerr << "nestcached: snapshot taken, but " << e.message() << "\n";
    }
  }
  if (JournalError e = persistence::remove_snapshots_before(options_.dir, first - 1); !e.ok()) {
    std::cerr << "nestcached: snapshot taken, but " << e.message() << "\n";
  }
  replayed_bytes_.store(0, std::memory_order_relaxed);
  snapshot_base_.store(base, std::memory_order_relaxed);
  last_snapshot_bytes_.store(snapshot.bytes_written(), std::memory_order_relaxed);
  snapshots_.fetch_add(1, std::memory_order_relaxed);
  last_snapshot_time_.store(std::time(nullptr), std::memory_order_relaxed);
  last_snapshot_us_.store(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count()),
      std::memory_order_relaxed);
  if (options_.verbosity > 0) {
    std::cerr << "snapshot: " << snapshot.records() << " values at revision " << first - 1 << ", "
              << snapshot.bytes_written() << " bytes in "
              << last_snapshot_us_.load(std::memory_order_relaxed) / 1000 << " ms\n";
  }
  return true;
}

void Durability::set_step_runner(StepRunner post) {
  std::unique_lock lock(runner_mu_);
  runner_cv_.wait(lock, [this] { return !step_in_flight_; });
  runner_ = std::move(post);
}

void Durability::run_step(const std::function<void()>& step) {
  std::unique_lock lock(runner_mu_);
  if (!runner_) {
    lock.unlock();
    step();
    return;
  }
  // The step refers to this thread's stack: it is waited for, and set_step_runner(nullptr)
  // waits for it too, so the worker that runs it is still running.
  bool done = false;
  step_in_flight_ = true;
  runner_([&] {
    step();
    {
      std::lock_guard done_lock(runner_mu_);
      done = true;
      step_in_flight_ = false;
    }
    runner_cv_.notify_all();
  });
  runner_cv_.wait(lock, [&] { return done; });
}

uint64_t Durability::journal_since_snapshot() const {
  const uint64_t written = writer_.stats().bytes_written;
  return replayed_bytes_.load(std::memory_order_relaxed) +
         (written - snapshot_base_.load(std::memory_order_relaxed));
}

}  // namespace nestcache
