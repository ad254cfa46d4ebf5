// Snapshot files: every value of the tree as of one revision R, written beside the journal
// (proto-spec/persistence.md section 7). Recovery loads the newest snapshot that reads whole and
// replays the journal from R + 1 over it; the segments all of whose records are at or below R
// can then go.
//
//   header    40 bytes: magic, version, R, the time the snapshot was started, CRC-32C
//   records   frames as in a journal segment: one store per value, one touch per valueless
//             node with a deadline (it bounds its subtree), and the memory_limit
//   trailer   one frame: kSnapshotEndKind, R, the number of records, CRC-32C of their frames
//
// Why a trailer: a snapshot is renamed into place only once whole and synced, so one that is
// short, or one whose frames do not add up to what the trailer counted, is disk damage and never
// a partial load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/journal_error.h"
#include "nestcache/persistence/record.h"

namespace nestcache::persistence {

inline constexpr std::string_view kSnapshotMagic = "NCSNAPSH";  // 8 bytes
inline constexpr uint32_t kSnapshotFormatVersion = 1;
inline constexpr std::size_t kSnapshotHeaderSize = 40;  // a multiple of the frame alignment
// The kind byte of the trailer's body. Not a RecordKind: decode_record() refuses it, so a
// trailer can never pass for a journal record, nor a record for a trailer.
inline constexpr uint8_t kSnapshotEndKind = 9;
// The trailer's body: kind u8, revision u64, records u64, crc u32.
inline constexpr std::size_t kSnapshotTrailerBodySize = 1 + 8 + 8 + 4;
// What read_snapshot() reads at a time; its buffer grows past this only for a larger frame.
inline constexpr std::size_t kSnapshotReadBuffer = std::size_t{4} << 20;

// "snapshot-%016x.snap": the name of the snapshot taken at `revision`.
std::string snapshot_name(uint64_t revision);
// The revision a snapshot's file name holds, or nullopt when `name` is not exactly a snapshot
// name (16 lowercase hex digits; a ".tmp" is not one).
std::optional<uint64_t> parse_snapshot_name(std::string_view name);

struct SnapshotHeader {
  uint32_t version = kSnapshotFormatVersion;
  uint64_t revision = 0;   // R: the journal from R + 1 on, replayed over the snapshot, is exact
  int64_t started_at = 0;  // Unix time the snapshot was started (for the operator)

  friend bool operator==(const SnapshotHeader&, const SnapshotHeader&) = default;
};

// The kSnapshotHeaderSize bytes that start a snapshot.
std::string encode_snapshot_header(const SnapshotHeader& header);
// Reads the header at the start of `bytes` into `out`; an empty view when it is valid, else what
// is wrong with it.
std::string_view decode_snapshot_header(std::string_view bytes, SnapshotHeader& out);

struct SnapshotTrailer {
  uint64_t revision = 0;  // the header's
  uint64_t records = 0;   // frames between the header and the trailer
  uint32_t crc = 0;       // CRC-32C of all their bytes (headers, bodies, padding)
};

// Appends the trailer frame (header, body, padding).
void append_snapshot_trailer(const SnapshotTrailer& trailer, std::string& out);
// Reads a trailer frame's body; false when `body` is not one.
bool decode_snapshot_trailer(std::string_view body, SnapshotTrailer& out);

struct SnapshotWriterOptions {
  RecordLimits limits;               // records over them are refused (bad_record)
  std::size_t chunk_size = 1 << 20;  // buffered bytes written with one pwrite
  FileOps* file_ops = nullptr;       // nullptr: system_file_ops(); tests inject failures
};

// Writes one snapshot: open(), add() every value, finish(). Nothing carries the final name
// until finish() has synced the whole file, so a crash or an error at any point leaves either
// no snapshot or a complete one.
//
// Errors are values, each naming the file. no_space (ENOSPC or EDQUOT) and io: the snapshot is
// given up and its temp file removed; every later call but open() and abandon() returns failed.
// bad_record: that record was refused, the snapshot goes on.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(SnapshotWriterOptions options = {});
  // abandon() unless finish() succeeded.
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Creates `dir` if needed and "snapshot-<revision>.snap.tmp" in it, after removing the
  // snapshot temp files a crash left there (one writer per directory at a time). Abandons a
  // snapshot this writer had open.
  JournalError open(const std::string& dir, uint64_t revision, int64_t started_at);

  // Buffers `record` (kind store, touch or memory_limit; its views need to live only for the call),
  // writing the buffer once it holds chunk_size bytes.
  JournalError add(const Record& record);

  // Writes the rest and the trailer, fdatasyncs, renames the file to its final name and fsyncs
  // the directory. ok: the snapshot is durable under path().
  JournalError finish();
  // The same as add() for `count` records already framed (append_frame) by the caller, who
  // checked them as add() does (kind, check_record): lets the caller frame under its own lock
  // and write after letting go of it.
  JournalError add_framed(std::string_view frames, uint64_t count);

  // Closes and removes the temp file; the writer can open() again.
  void abandon();

  const std::string& path() const { return path_; }  // the final name's path
  uint64_t records() const { return records_; }      // added so far
  uint64_t bytes_written() const { return offset_; }

 private:
  enum class State : uint8_t { closed, open, failed, finished };

  // Writes the buffer at offset_ (looping on short writes); on failure gives up.
  JournalError write_pending();
  // Gives the snapshot up after `error`: closes and removes the temp file, remembers why.
  JournalError give_up(JournalError error);

  SnapshotWriterOptions options_;
  FileOps& ops_;
  State state_ = State::closed;
  std::string dir_;
  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  uint64_t revision_ = 0;
  std::string pending_;  // bytes not yet written
  uint64_t offset_ = 0;  // bytes written
  uint64_t records_ = 0;
  uint32_t crc_ = 0;  // of the record frames so far
  JournalError failure_;
};

enum class SnapshotOutcome : uint8_t {
  ok,        // every record read and the trailer agrees with them
  damaged,   // not a whole snapshot (error says where): load nothing from it
  io_error,  // the file could not be read (error says why)
};

struct SnapshotReport {
  SnapshotOutcome outcome = SnapshotOutcome::ok;
  JournalError error;      // damaged, io_error: what and where (file and byte offset)
  uint64_t revision = 0;   // the header's, once read
  int64_t started_at = 0;  // the header's, once read
  uint64_t records = 0;    // records handed to on_record

  // One log line: "snapshot: 57 records at revision 1000", or the error's message (which names
  // the file and the offset).
  std::string log_line() const;
};

// Reads the snapshot at `path`, calling `on_record` with each record in order (its views valid
// during the call only). Streams the file through a buffer of `buffer_size` bytes, grown only for
// a frame larger than that (a frame's length is checked against `limits` and the file's size
// before anything is allocated for it). Damage: a bad or short header, a header whose revision
// is not the file name's (when the name is a snapshot name), a bad frame, non-zero padding, a
// record that does not decode or is of a kind a snapshot does not hold, a missing trailer, a
// trailer that disagrees with the records, or bytes after it. Records handed over before damage
// was found must be dropped by the caller.
SnapshotReport read_snapshot(const std::string& path, const RecordLimits& limits,
                             const std::function<void(const Record&)>& on_record,
                             std::size_t buffer_size = kSnapshotReadBuffer);

struct SnapshotFile {
  uint64_t revision = 0;
  std::string name;  // in the directory
};

struct SnapshotList {
  std::vector<SnapshotFile> files;  // newest revision first
  JournalError error;               // the directory could not be listed
};

// The snapshot files of `dir`, newest first. Every other name (temp files, segments, notes) is
// left out; a directory that does not exist has none.
SnapshotList list_snapshots(const std::string& dir);

// Removes the snapshots of `dir` taken before `revision`, always keeping the newest one, then
// fsyncs the directory when it removed any.
JournalError remove_snapshots_before(const std::string& dir, uint64_t revision,
                                     FileOps* file_ops = nullptr);

}  // namespace nestcache::persistence
