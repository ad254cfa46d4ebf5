#include "nestcache/persistence/journal_error.h"

#include <cstring>

namespace nestcache::persistence {
namespace {

const char* kind_name(JournalErrorKind kind) {
  switch (kind) {
    case JournalErrorKind::none:
      return "ok";
    case JournalErrorKind::no_space:
      return "out of disk space";
    case JournalErrorKind::io:
      return "I/O error";
    case JournalErrorKind::failed:
      return "refused after an earlier failure";
    case JournalErrorKind::bad_record:
      return "record over the limits";
    case JournalErrorKind::bad_header:
      return "bad segment header";
    case JournalErrorKind::missing_segment:
      return "missing segment";
    case JournalErrorKind::damaged:
      return "damaged";
  }
  return "unknown";
}

}  // namespace

std::string JournalError::message() const {
  std::string line = "journal: ";
  if (!file.empty()) {
    line += file;
    const bool located = kind == JournalErrorKind::bad_header ||
                         kind == JournalErrorKind::missing_segment ||
                         kind == JournalErrorKind::damaged;
    if (located) line += " offset " + std::to_string(offset);
    line += ": ";
  }
  line += kind_name(kind);
  if (!detail.empty()) line += ": " + detail;
  if (sys_errno != 0) line += std::string(" (") + std::strerror(sys_errno) + ")";
  return line;
}

}  // namespace nestcache::persistence
