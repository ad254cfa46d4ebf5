#include "watch_event.h"

#include "nestcache/common/numbers.h"

namespace nestcache {
namespace {

const char* name_of(WatchEventKind kind) {
  switch (kind) {
    case WatchEventKind::set:
      return "SET ";
    case WatchEventKind::touch:
      return "TOUCH ";
    case WatchEventKind::remove:
      return "DELETE ";
    case WatchEventKind::expire:
      return "EXPIRE ";
    case WatchEventKind::evict:
      return "EVICT ";
    case WatchEventKind::unset:
      return "UNSET ";
    case WatchEventKind::flush:
      return "FLUSH ";
    case WatchEventKind::graft:
      return "GRAFT ";
  }
  return "";
}

}  // namespace

WatchEventRef make_watch_event(const Change& change) {
  WatchEventKind kind;
  switch (change.kind) {
    case ChangeKind::store:
      kind = WatchEventKind::set;
      break;
    case ChangeKind::touch:
      kind = WatchEventKind::touch;
      break;
    case ChangeKind::remove:
      kind = WatchEventKind::remove;
      break;
    case ChangeKind::remove_value:
      kind = WatchEventKind::unset;
      break;
    case ChangeKind::expire:
      kind = WatchEventKind::expire;
      break;
    case ChangeKind::evict:
      kind = WatchEventKind::evict;
      break;
    case ChangeKind::flush:
      kind = WatchEventKind::flush;
      break;
    case ChangeKind::graft:
      kind = WatchEventKind::graft;
      break;
    default:  // flush_pending, memory_limit, unused: no node changed
      return nullptr;
  }
  auto event = std::make_shared<WatchEvent>();
  event->revision = change.cas;
  event->kind = kind;
  std::string& wire = event->wire;
  const Path& path = *change.path;
  std::size_t size = 48 + path.size();
  for (std::string_view segment : path) size += segment.size();
  if (kind == WatchEventKind::set) size += change.value.data.size();
  if (kind == WatchEventKind::graft) size += change.staged.size();
  wire.reserve(size);
  wire += name_of(kind);
  append_decimal(wire, change.cas);
  event->path_at = static_cast<uint32_t>(wire.size() + 1);
  for (std::string_view segment : path) {
    wire += ' ';
    wire += segment;
  }
  event->path_size = path.empty() ? 0 : static_cast<uint32_t>(wire.size() - event->path_at);
  if (kind == WatchEventKind::set) {
    wire += ' ';
    append_decimal(wire, change.value.flags);
    wire += ' ';
    append_decimal(wire, change.value.exptime);
    wire += ' ';
    append_decimal(wire, change.value.data.size());
    wire += "\r\n";
    wire += change.value.data;
  } else if (kind == WatchEventKind::touch) {
    wire += ' ';
    append_decimal(wire, change.exptime);
  } else if (kind == WatchEventKind::graft) {
    wire += ' ';
    event->staged_at = static_cast<uint32_t>(wire.size());
    event->staged_size = static_cast<uint32_t>(change.staged.size());
    wire += change.staged;
    wire += ' ';
    append_decimal(wire, change.exptime);
  }
  wire += "\r\n";
  return event;
}

}  // namespace nestcache
