// The recovery scan: reads a journal directory's segments in order and hands every record to
// the caller, then says precisely how the journal ended (proto-spec/persistence.md section 4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nestcache/persistence/journal_error.h"
#include "nestcache/persistence/record.h"

namespace nestcache::persistence {

// Where a journal's written records end: where a JournalWriter continues.
struct JournalPosition {
  std::string segment;  // file name (in the directory) of the last segment; empty: none
  uint64_t offset = 0;  // byte offset just past its last whole record
  // The highest revision the journal has handed out as far as the scan can tell (the highest
  // record read, at least the journal's start): the revision counter continues above it.
  uint64_t last_revision = 0;
};

struct ScanOptions {
  std::string dir;
  RecordLimits limits;
  // Zero a torn tail (from `end` to the last non-zero byte) and fdatasync it, so that later
  // appends cannot be misread as the old bytes (etcd's ZeroToEnd). A writer may continue only
  // after a scan that did this; off: the scan changes nothing on disk.
  bool repair_tail = true;
  // --truncate-corrupt-journal: at damage, keep the records before it and cut the rest: the
  // damaged segment is copied to NAME.dropped and zeroed from the damage on, and the segments
  // after it are renamed to NAME.dropped (kept for the operator, never read again).
  bool truncate_corrupt = false;
  // Segments named below this revision are covered by a snapshot: neither read nor checked
  // (ScanReport::start_revision is then the first segment read's "previous last revision").
  uint64_t first_revision = 0;
};

enum class ScanOutcome : uint8_t {
  clean,      // every segment read to its end
  torn_tail,  // the last segment ends in an incomplete or bad record with nothing valid after
  damaged,    // damage before the tail (error says where): refuse to start
  cut,        // damage before the tail, cut on purpose (truncate_corrupt; error says where)
  io_error,   // the directory or a segment could not be read or repaired (error says which)
};

struct ScanReport {
  ScanOutcome outcome = ScanOutcome::clean;
  JournalError error;   // damaged, cut, io_error: what and where
  JournalPosition end;  // torn_tail: the tail was at end.segment, end.offset
  // The first segment's "previous last revision": the journal holds the changes after it (a
  // snapshot must cover at least this far).
  uint64_t start_revision = 0;
  uint64_t records = 0;
  std::size_t segments = 0;          // segment files read (not counting dropped ones)
  uint64_t torn_bytes = 0;           // torn_tail, cut: bytes from `end` to the last non-zero one
  bool tail_repaired = false;        // torn_tail, cut: those bytes are zero on disk now
  std::vector<std::string> ignored;  // names in the directory that are not segments
  std::vector<std::string> dropped;  // cut: the files renamed or copied to *.dropped

  // One log line for the outcome, e.g. "journal: torn tail at journal-0000000000000001.seg
  // offset 4096 (24 bytes of an incomplete record zeroed); 57 records kept".
  std::string log_line() const;
};

// Reads every segment of options.dir in revision order, calling `on_record` for each record
// (its views valid during the call only), and checks each header and the revision continuity
// between segments. A directory that does not exist reads as an empty journal. Names that are
// not "journal-<16 hex>.seg" are ignored (and listed); a file with a segment's name must be a
// valid segment. Records before damage have been handed over when the outcome is damaged.
ScanReport scan_journal(const ScanOptions& options,
                        const std::function<void(const Record&)>& on_record);

}  // namespace nestcache::persistence
