#include "nestcache/client/watch_reader.h"

#include <array>
#include <cstring>
#include <utility>

#include "tokens.h"

namespace nestcache::client {
namespace {

constexpr std::array<std::pair<std::string_view, WatchKind>, 12> kWords = {{
    {"WATCHING", WatchKind::watching},
    {"SET", WatchKind::set},
    {"TOUCH", WatchKind::touch},
    {"DELETE", WatchKind::remove},
    {"EXPIRE", WatchKind::expire},
    {"EVICT", WatchKind::evict},
    {"UNSET", WatchKind::unset},
    {"GRAFT", WatchKind::graft},
    {"FLUSH", WatchKind::flush},
    {"PROGRESS", WatchKind::progress},
    {"COMPACTED", WatchKind::compacted},
    {"CANCELED", WatchKind::canceled},
}};

// Segments joined by single spaces: not empty, no empty segment.
bool is_path(std::string_view path) {
  return !path.empty() && path.front() != ' ' && path.back() != ' ' &&
         path.find("  ") == std::string_view::npos;
}

// Takes the first space-separated token off `rest` (all of it when there is no space).
std::string_view take_word(std::string_view& rest) {
  const std::size_t space = rest.find(' ');
  const std::string_view word = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return word;
}

// The line after its word: "<rev> ..." with the revision parsed. False when malformed;
// `bytes` is set for a SET.
bool parse_line(std::string_view rest, WatchEvent& event, std::size_t& bytes) {
  const std::string_view number = take_word(rest);
  const auto [end, ec] =
      std::from_chars(number.data(), number.data() + number.size(), event.revision);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) return false;
  switch (event.kind) {
    case WatchKind::watching:
    case WatchKind::flush:
    case WatchKind::progress:
    case WatchKind::compacted:
      return rest.empty();
    case WatchKind::canceled:
      event.reason = rest;
      return !rest.empty();
    case WatchKind::remove:
    case WatchKind::expire:
    case WatchKind::evict:
    case WatchKind::unset:
      break;
    case WatchKind::touch:
      if (!take_number(rest, event.exptime)) return false;
      break;
    case WatchKind::graft: {
      if (!take_number(rest, event.exptime)) return false;
      const std::size_t space = rest.rfind(' ');
      if (space == std::string_view::npos) return false;
      event.staged = rest.substr(space + 1);
      rest = rest.substr(0, space);
      if (event.staged.empty()) return false;
      break;
    }
    case WatchKind::set:
      if (!take_number(rest, bytes) || !take_number(rest, event.exptime) ||
          !take_number(rest, event.flags)) {
        return false;
      }
      break;
    case WatchKind::error:
      return false;
  }
  event.path = rest;
  return is_path(rest);
}

}  // namespace

std::string_view watch_kind_name(WatchKind kind) {
  for (const auto& [word, k] : kWords) {
    if (k == kind) return word;
  }
  return "ERROR";
}

ReadStatus read_watch_event(std::string_view input, const ReaderLimits& limits, WatchEvent& event,
                            std::size_t& consumed) {
  std::string_view line;
  std::size_t line_size = 0;
  if (const ReadStatus status = take_line(input, limits, line, line_size);
      status != ReadStatus::complete) {
    return status;
  }
  event = WatchEvent{};
  event.line = line;
  const LineKind line_kind = classify(line);
  if (line_kind == LineKind::error || line_kind == LineKind::client_error ||
      line_kind == LineKind::server_error) {
    event.kind = WatchKind::error;
    consumed = line_size;
    return ReadStatus::complete;
  }
  std::string_view rest = line;
  const std::string_view word = take_word(rest);
  bool known = false;
  for (const auto& [name, kind] : kWords) {
    if (word == name) {
      event.kind = kind;
      known = true;
    }
  }
  std::size_t bytes = 0;
  if (!known || !parse_line(rest, event, bytes)) return ReadStatus::bad;
  if (event.kind != WatchKind::set) {
    consumed = line_size;
    return ReadStatus::complete;
  }
  if (bytes > limits.max_value) return ReadStatus::bad;
  return take_block(input, line_size, bytes, event.data, consumed);
}

}  // namespace nestcache::client
