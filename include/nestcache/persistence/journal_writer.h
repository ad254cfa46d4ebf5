// The journal writer: appends framed records to the current segment through a buffer, writes a
// batch with one pwrite, fdatasyncs on request, and cuts a new preallocated segment when the
// current one is full (proto-spec/persistence.md).
//
// How the server uses it (the group commit of --fsync always): for each event-loop batch,
// reserve() before a change is applied (a full disk refuses the change instead of losing it),
// append() each applied change, then commit() (write + sync) before the batch's replies leave.
// everysec: write() before the replies leave and sync() from a timer thread once a second.
//
// Threads: one owner at a time (the caller's lock) calls everything, except write_batch(),
// which runs outside that lock so that appends go on during the pwrite, and sync(), stats(),
// failed() and last_revision(), which any thread may call at any time.
//
// Errors are values. no_space: nothing was lost; refuse writes and try again later (reserve()
// cuts the segment again). failed: a write, an fdatasync, or the directory's fsync after a cut
// failed, so what reached the disk is unknown; the writer refuses everything from then on and
// the server must stop acknowledging (PostgreSQL's fsync lesson: a retried fsync can report
// success over lost pages). io: a segment could not be created or a file removed; nothing was
// lost, the call can be retried. bad_record: the record is over the limits and was not written.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/journal_error.h"
#include "nestcache/persistence/journal_reader.h"
#include "nestcache/persistence/record.h"

namespace nestcache::persistence {

struct JournalOptions {
  std::string dir;
  // Bytes preallocated per segment (etcd: 64 MB, ZooKeeper: 64 MB blocks). A record larger than
  // a segment gets a segment of its own, as large as it needs.
  uint64_t segment_size = uint64_t{64} << 20;
  RecordLimits limits;          // records over them are refused (bad_record)
  FileOps* file_ops = nullptr;  // nullptr: system_file_ops(); tests inject failures here
};

// One open segment file; shared so that a sync() or a batch write on another thread keeps the
// descriptor open across a cut.
struct SegmentFile {
  int fd = -1;
  std::string path;
  SegmentFile() = default;
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;
  ~SegmentFile();
};

struct JournalStats {
  uint64_t records = 0;        // appended
  uint64_t bytes_written = 0;  // framed bytes that reached write()
  uint64_t writes = 0;         // pwrite batches
  uint64_t syncs = 0;          // fdatasyncs (including those of a cut)
  uint64_t segments_cut = 0;   // segments created
  uint64_t segments_dropped = 0;
  uint64_t segments = 0;  // segment files in the directory now
};

class JournalWriter {
 public:
  explicit JournalWriter(JournalOptions options);
  // Closes the segment without syncing it: sync() first for durability.
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Opens the journal for appending where a scan_journal() (with repair_tail) found it ended:
  // continues in end.segment at end.offset, or creates the directory's first segment (first
  // revision end.last_revision + 1) when end.segment is empty. Removes *.tmp files a crash
  // during a cut left behind. A directory that cannot be written is an io error naming it; so is
  // an `end` in any segment but the last, or an empty `end` over a directory with segments.
  JournalError open(const JournalPosition& end);

  // Makes sure records of `bytes` framed bytes in all (the sum of framed_size() of what a change
  // will append; the revision does not change a record's size) can be appended without asking
  // the disk for more space: cuts a new segment if the current one has no room. no_space here is
  // the full disk seen before the change is applied.
  JournalError reserve(uint64_t bytes);

  // Encodes `record` into the buffer (cutting a segment first if it does not fit); its views
  // need to live only for the call. Records may come in any revision order; the journal keeps
  // the highest (last_revision()).
  JournalError append(const Record& record);

  // The same for records already framed (append_frame) by the caller, who checked them against
  // the limits (check_record): lets a caller encode outside its own lock. `framed` holds
  // `records` records (kept together in one segment) whose highest revision is `revision`.
  JournalError append_framed(std::string_view framed, uint64_t revision, uint64_t records = 1);

  // Framed bytes that fit in the current segment after what is written and buffered, without
  // a cut.
  uint64_t room() const;

  // Writes the buffered records with one pwrite (looping on short writes). On no_space the
  // buffer is kept for a later write(); any other failure makes the writer failed.
  JournalError write();

  // fdatasync of the current segment: everything write() wrote before this call is durable
  // when it returns ok (earlier segments were synced when they were cut). Any thread. A failure
  // makes the writer failed, for good.
  JournalError sync();

  // The buffered records on their way to the disk: take_batch() under the owner's lock hands
  // them over and gives them their place in the segment; write_batch() writes them without it.
  class Batch {
   public:
    bool empty() const { return bytes_.empty(); }

   private:
    friend class JournalWriter;
    std::shared_ptr<SegmentFile> file_;
    uint64_t offset_ = 0;
    std::string bytes_;  // swapped with the writer's buffer: both keep their capacity
  };

  // Moves the buffered records into `batch` (empty: written, or never used) at the end of what
  // is written or taken. Batches are written one at a time, in the order taken: the caller
  // serializes take_batch() + write_batch() pairs. A cut waits for the batch in flight.
  JournalError take_batch(Batch& batch);

  // Writes a taken batch with pwrite (looping on short writes) and empties it. Any failure
  // makes the writer failed, a full disk's too: the batch's place was preallocated, and records
  // after it may already be buffered, so it cannot be handed back.
  JournalError write_batch(Batch& batch);

  // write() then sync(): the group commit.
  JournalError commit();

  // Makes every record appended from now on land in segments named `first_revision` or above
  // (a snapshot's starting point): cuts a new segment, unless the current one holds no record
  // yet. Sets `first_revision` to the current segment's first revision.
  JournalError start_segment(uint64_t& first_revision);

  // Removes the segments all of whose records have revisions below `revision` (a snapshot holds
  // them), never the segment being written; then syncs the directory.
  JournalError drop_segments_before(uint64_t revision);

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // The highest revision appended (or given to open()).
  uint64_t last_revision() const { return last_revision_.load(std::memory_order_relaxed); }
  // Framed bytes appended and not yet written.
  std::size_t pending_bytes() const { return pending_.size(); }
  JournalStats stats() const;

 private:
  // Blocks until no batch is being written (a cut must not sync or leave a segment under one).
  void wait_for_batch();
  // Counts `records` just buffered, the highest with `revision`.
  void appended(uint64_t revision, uint64_t records = 1);
  // ok when `bytes` more framed bytes fit after what is written and buffered.
  JournalError ensure_room(uint64_t bytes);
  // Writes what is buffered, syncs the current segment and switches to a new one of `capacity`
  // bytes, named after last_revision_ + 1.
  JournalError cut(uint64_t capacity);
  // Creates, preallocates and durably names a new segment file; returns its descriptor.
  JournalError create_segment(uint64_t capacity, int& fd, std::string& path);
  // Records `error` as the reason the writer stopped, and returns it as a failed error.
  JournalError fail(JournalError error);
  JournalError failed_error() const;
  std::shared_ptr<SegmentFile> current() const;

  JournalOptions options_;
  FileOps& ops_;
  std::string pending_;             // framed records not yet written
  uint64_t offset_ = 0;             // end of the written records in the current segment
  uint64_t capacity_ = 0;           // the current segment's preallocated size
  std::vector<uint64_t> segments_;  // first revisions of the segment files, in order
  std::atomic<uint64_t> last_revision_{0};
  std::atomic<bool> failed_{false};

  mutable std::mutex mutex_;  // guards current_, fatal_ and in_flight_
  std::condition_variable batch_done_;
  bool in_flight_ = false;  // a batch is taken and not yet written
  std::shared_ptr<SegmentFile> current_;
  JournalError fatal_;  // why the writer failed

  struct Counters {
    std::atomic<uint64_t> records{0}, bytes_written{0}, writes{0}, syncs{0}, segments_cut{0},
        segments_dropped{0}, segments{0};
  } counters_;
};

}  // namespace nestcache::persistence
