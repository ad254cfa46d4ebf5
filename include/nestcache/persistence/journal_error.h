// What went wrong in the journal, as a value: the caller decides what a kind means for its
// clients (no_space: refuse writes and retry later; failed: stop acknowledging).
#pragma once

#include <cstdint>
#include <string>

namespace nestcache::persistence {

enum class JournalErrorKind : uint8_t {
  none,
  // ENOSPC while cutting a segment (or, on a filesystem that ignores preallocation, writing):
  // nothing was lost; refuse writes with SERVER_ERROR out of disk space and try again later.
  no_space,
  // A system call failed (sys_errno says which error); see JournalWriter for which are sticky.
  io,
  // Refused: an earlier write or fdatasync failed, so what is on disk is unknown. Sticky.
  failed,
  // A record over the limits the journal reads back with: not written.
  bad_record,
  // A segment-named file whose header is not a valid segment header, or disagrees with its name.
  bad_header,
  // A segment's header says the journal before it ends at another revision than the segments
  // present do: one is missing.
  missing_segment,
  // A bad frame (length, CRC, or a record that does not decode) with valid data after it.
  damaged,
};

struct JournalError {
  JournalErrorKind kind = JournalErrorKind::none;
  int sys_errno = 0;    // io, no_space: the errno
  std::string file;     // the file concerned (a path), when there is one
  uint64_t offset = 0;  // bad_header, missing_segment, damaged: the byte offset in `file`
  std::string detail;   // what was being done, or what was found

  bool ok() const { return kind == JournalErrorKind::none; }
  // One log line: file, offset and what happened, e.g.
  // "journal: /d/journal-0000000000000001.seg offset 4096: damaged: frame CRC mismatch".
  std::string message() const;
};

}  // namespace nestcache::persistence
