// Changes -> records -> the journal, and the group commit (durability.h).
#include "nestcache/durability/durability.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "nestcache/persistence/frame.h"
#include "record_of.h"

namespace nestcache {
namespace {

using persistence::JournalError;
using persistence::JournalErrorKind;

// Extra room kept for the small records of expiry and eviction (the reclaimer's, never admitted).
constexpr uint64_t kSlack = 64 * 1024;
// After a full disk, how long writes are refused before the disk is asked again.
constexpr int64_t kFullDiskRetryUs = 100 * 1000;
constexpr std::size_t kLatencySamples = 1024;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Room kept in the segment for changes admitted and not yet in the journal's buffer: what the
// stripes may hold, and one of the largest record per writer thread, but at most half a segment
// (with -I 1024m a whole segment per writer would cut a new segment of gigabytes for every write).
// An append that still does not fit cuts a new segment itself; only a disk full at that very moment
// makes it fail (and the process stop).
uint64_t headroom_for(const DurabilityOptions& options, const RecordStripes& stripes) {
  const uint64_t per_writer = options.max_record + 1024;
  return std::min<uint64_t>(options.writers * per_writer, options.segment_size / 2) + kSlack +
         stripes.capacity();
}

persistence::JournalOptions journal_options(const DurabilityOptions& options) {
  persistence::JournalOptions journal;
  journal.dir = options.dir;
  journal.segment_size = options.segment_size;
  journal.file_ops = options.file_ops;
  return journal;
}

}  // namespace

Durability::Durability(DurabilityOptions options)
    : options_(std::move(options)),
      writer_(journal_options(options_)),
      stripes_(options_.segment_size),
      headroom_(headroom_for(options_, stripes_)) {
  sync_latency_us_.reserve(kLatencySamples);
}

Durability::~Durability() { close(); }

bool Durability::persisted(std::string_view top) const {
  if (options_.persist.empty()) return true;
  // A top-level staged subtree (stage, swap) is journaled with the namespace it will replace.
  if (const std::string_view target = Tree::staged_target(top); !target.empty()) top = target;
  return std::find(options_.persist.begin(), options_.persist.end(), top) != options_.persist.end();
}

namespace {
// The Durability whose stripes the calling thread appended to since its last commit_round (the
// commit of a round without journaled changes skips the journal).
thread_local const Durability* appended_by_this_thread = nullptr;
}  // namespace

void Durability::on_change(const Change& change) {
  if (change.kind == ChangeKind::unused) return;  // nothing changed
  if (!change.path->empty() && !persisted((*change.path)[0])) return;
  const persistence::Record record = record_of(change);
  const persistence::RecordError invalid = persistence::check_record(record, {});
  // A change inside a namespace goes to its stripe; the commit moves it into the journal.
  if (invalid == persistence::RecordError::none && !change.path->empty()) [[likely]] {
    const std::size_t stripe = RecordStripes::stripe_of(change.shard);
    appended_by_this_thread = this;
    if (stripes_.append(stripe, record)) {
      std::lock_guard lock(mu_);
      stripes_.move(stripe, [this](std::string_view records, uint64_t count, uint64_t revision) {
        to_journal(records, count, revision);
      });
      update_room();
    }
    return;
  }
  // A flush, a delayed flush or a new budget: ordered after every record buffered before it.
  std::lock_guard lock(mu_);
  if (!broken_.empty()) return;
  if (change.kind == ChangeKind::memory_limit) memory_limit_ = change.memory_limit;
  if (invalid != persistence::RecordError::none) {
    // The change is applied and cannot be journaled: no reply may say it was saved.
    break_with(std::string(persistence::to_string(invalid)));
    return;
  }
  move_stripes();
  std::string framed;
  persistence::append_frame(record, framed);
  to_journal(framed, 1, record.revision);
  update_room();
}

void Durability::to_journal(std::string_view framed, uint64_t records, uint64_t max_revision) {
  if (!broken_.empty()) return;  // the next commit stops the process
  const JournalError error = writer_.append_framed(framed, max_revision, records);
  if (!error.ok()) {
    // The changes are applied and cannot be journaled: no reply may say they were saved.
    break_with(error.message());
    return;
  }
  appended_.fetch_add(records, std::memory_order_release);
}

void Durability::move_stripes() {
  stripes_.move_all([this](std::string_view records, uint64_t count, uint64_t revision) {
    to_journal(records, count, revision);
  });
}

void Durability::update_room() {
  const uint64_t room = writer_.room();
  room_.store(room > headroom_ ? room - headroom_ : 0, std::memory_order_relaxed);
}

bool Durability::admit(const Path* path, std::size_t bytes) {
  if (path != nullptr && !path->empty() && !persisted((*path)[0])) return true;
  // Most writes fit in the segment as it is: no lock. room_ keeps `headroom_` aside for the
  // changes other threads have been admitted for and not yet appended.
  if (room_.load(std::memory_order_relaxed) >= bytes) [[likely]] {
    return true;
  }
  const uint64_t headroom = headroom_;
  std::lock_guard lock(mu_);
  if (disk_full_.load(std::memory_order_relaxed) && now_us() < retry_after_us_) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const JournalError error = writer_.reserve(bytes + headroom);
  if (error.kind == JournalErrorKind::no_space || error.kind == JournalErrorKind::io) {
    if (!disk_full_.exchange(true, std::memory_order_relaxed)) {
      std::cerr << "nestcached: " << error.message() << "; refusing writes until there is room\n";
    }
    retry_after_us_ = now_us() + kFullDiskRetryUs;
    room_.store(0, std::memory_order_relaxed);  // every write asks, and is refused until then
    refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (!error.ok()) return false;  // failed: the next commit stops the process
  if (disk_full_.exchange(false, std::memory_order_relaxed)) {
    std::cerr << "nestcached: journal: there is room again; writes are accepted\n";
  }
  update_room();
  return true;
}

uint64_t Durability::write_pending() {
  // io_mu_ keeps the batches in order; the pwrite runs without mu_, so that the other workers'
  // changes are appended meanwhile (with the pwrite under mu_, they waited for it under their
  // shard locks: a third of the CPU of a pipelined set went to futex sleeps and wake-ups).
  std::lock_guard io(io_mu_);
  uint64_t appended = 0;
  {
    std::lock_guard lock(mu_);
    move_stripes();
    update_room();
    if (!broken_.empty()) die(broken_);
    appended = appended_.load(std::memory_order_acquire);
    if (const JournalError error = writer_.take_batch(batch_); !error.ok()) die(error.message());
  }
  if (const JournalError error = writer_.write_batch(batch_); !error.ok()) die(error.message());
  written_.store(appended, std::memory_order_release);
  return appended;
}

void Durability::sync_written(uint64_t written) {
  if (synced_.load(std::memory_order_acquire) >= written) return;
  std::lock_guard lock(sync_mu_);
  // Another thread's fdatasync, begun after our write, may have covered us meanwhile.
  if (synced_.load(std::memory_order_acquire) >= written) return;
  const uint64_t covered = written_.load(std::memory_order_acquire);
  const int64_t start = now_us();
  const JournalError error = writer_.sync();
  if (!error.ok()) die(error.message());
  const auto took = static_cast<uint32_t>(std::min<int64_t>(now_us() - start, UINT32_MAX));
  sync_count_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard latency(latency_mu_);
    if (sync_latency_us_.size() < kLatencySamples) {
      sync_latency_us_.push_back(took);
    } else {
      sync_latency_us_[latency_next_] = took;
    }
    latency_next_ = (latency_next_ + 1) % kLatencySamples;
  }
  synced_.store(covered, std::memory_order_release);
}

void Durability::break_with(std::string why) {
  broken_ = std::move(why);
  is_broken_.store(true, std::memory_order_release);
}

void Durability::commit_round() {
  const bool appended_here = std::exchange(appended_by_this_thread, nullptr) == this;
  uint64_t written = written_.load(std::memory_order_acquire);
  // A change that could not be journaled stops the process (write_pending) before this round's
  // replies, even when nothing else is pending.
  if (appended_here || is_broken_.load(std::memory_order_acquire) ||
      appended_.load(std::memory_order_acquire) != written) {
    written = write_pending();
  }
  if (options_.fsync == FsyncPolicy::always) sync_written(written);
}

void Durability::request_snapshot() {
  {
    std::lock_guard lock(stop_mu_);
    snapshot_asked_ = true;
  }
  stop_cv_.notify_all();
}

void Durability::background() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    const uint64_t written = write_pending();  // the reclaimer's records, when no request came
    if (options_.fsync == FsyncPolicy::everysec) sync_written(written);
    lock.lock();
  }
}

void Durability::snapshot_loop() {
  // A thread of its own: a snapshot of millions of values takes seconds, which must not hold up
  // the once-a-second fdatasync. Its reads of the tree run on the workers (set_step_runner); it
  // frames and writes, paced (snapshot_taker.cc).
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    if (!snapshot_asked_) stop_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    const bool asked = std::exchange(snapshot_asked_, false);
    lock.unlock();
    const uint64_t threshold = std::max(options_.snapshot_min_bytes,
                                        2 * last_snapshot_bytes_.load(std::memory_order_relaxed));
    const bool grown = options_.snapshot_min_bytes != 0 && journal_since_snapshot() >= threshold;
    if (asked || grown) take_snapshot();
    lock.lock();
  }
}

void Durability::close() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (tree_ == nullptr) return;
  tree_->set_observer(nullptr);
  tree_ = nullptr;
  sync_written(write_pending());
}

void Durability::die(const std::string& why) const {
  std::cerr << "nestcached: " << why
            << "; stopping, so that no change that is not on disk is acknowledged\n";
  std::cerr.flush();
  std::_Exit(74);  // EX_IOERR
}

}  // namespace nestcache
