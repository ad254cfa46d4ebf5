#include "nestcache/client/reply_reader.h"

#include <charconv>
#include <cstring>

#include "tokens.h"

namespace nestcache::client {
namespace {

// "VALUE <key> <flags> <bytes> [<cas>]" or "NODE <path> <flags> <exptime> <bytes> <cas>",
// read from the right: the key may be several spaced segments.
bool parse_header(std::string_view line, UnitKind kind, bool with_cas, Unit& unit,
                  std::size_t& bytes) {
  std::string_view rest = line.substr(kind == UnitKind::value ? 6 : 5);
  uint64_t cas = 0;
  int64_t exptime = 0;
  uint32_t flags = 0;
  if (kind == UnitKind::node || with_cas) {
    if (!take_number(rest, cas)) return false;
  }
  if (!take_number(rest, bytes)) return false;
  if (kind == UnitKind::node && !take_number(rest, exptime)) return false;
  if (!take_number(rest, flags)) return false;
  if (rest.empty()) return false;
  unit.key = rest;
  unit.flags = flags;
  unit.exptime = exptime;
  unit.cas = cas;
  return true;
}

bool is_number(std::string_view line) {
  if (line.empty()) return false;
  for (const char c : line) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

LineKind classify(std::string_view line) {
  if (line == "END") return LineKind::end;
  if (line == "STORED") return LineKind::stored;
  if (line == "NOT_STORED") return LineKind::not_stored;
  if (line == "EXISTS") return LineKind::exists;
  if (line == "NOT_FOUND") return LineKind::not_found;
  if (line == "DELETED") return LineKind::deleted;
  if (line == "TOUCHED") return LineKind::touched;
  if (line == "OK") return LineKind::ok;
  if (line == "ERROR" || line.starts_with("ERROR ")) return LineKind::error;
  if (line.starts_with("CLIENT_ERROR")) return LineKind::client_error;
  if (line.starts_with("SERVER_ERROR")) return LineKind::server_error;
  if (line.starts_with("CHILD ")) return LineKind::child;
  if (line.starts_with("STAT ")) return LineKind::stat;
  if (is_number(line)) return LineKind::number;
  return LineKind::other;
}

ReadStatus read_unit(std::string_view input, bool with_cas, const ReaderLimits& limits, Unit& unit,
                     std::size_t& consumed) {
  std::string_view line;
  std::size_t line_size = 0;
  if (const ReadStatus status = take_line(input, limits, line, line_size);
      status != ReadStatus::complete) {
    return status;
  }
  unit = Unit{};
  unit.line = line;
  if (line.starts_with("VALUE ")) {
    unit.kind = UnitKind::value;
  } else if (line.starts_with("NODE ")) {
    unit.kind = UnitKind::node;
  } else if (line == "VALUE" || line == "NODE") {
    return ReadStatus::bad;
  } else {
    consumed = line_size;
    return ReadStatus::complete;
  }
  std::size_t bytes = 0;
  if (!parse_header(line, unit.kind, with_cas, unit, bytes) || bytes > limits.max_value) {
    return ReadStatus::bad;
  }
  return take_block(input, line_size, bytes, unit.data, consumed);
}

}  // namespace nestcache::client
