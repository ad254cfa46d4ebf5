// watchtree: opens a watch of a subtree (watch_hub.h) and hands it to the session, which
// streams its events from then on (protocol.md 5.15).
#include <string>

#include "handlers.h"
#include "nestcache/common/numbers.h"
#include "nestcache/watch/watch.h"
#include "nestcache/watch/watch_hub.h"

namespace nestcache {

// Never called: the session takes the watch over as soon as the command has run.
bool WatchReply::step(Engine&, Counters&, std::string&) { return true; }

namespace handlers {

void watch_tree(Call& call) {
  std::string& out = call.out;
  WatchHub* hub = call.engine.options().watches;
  if (hub == nullptr) {
    out += "SERVER_ERROR watches are off in this server\r\n";
    return;
  }
  const uint64_t from = call.command.cas_unique;
  WatchHub::Opened opened = hub->open(call.command.path, from);
  switch (opened.status) {
    case WatchHub::Opened::Status::future:
      out += "CLIENT_ERROR revision ";
      append_decimal(out, from);
      out += " is in the future: the last is ";
      append_decimal(out, opened.revision);
      out += "\r\n";
      return;
    case WatchHub::Opened::Status::compacted:
      // Too old to resume from: re-read (gettree) and watch from the revision seen.
      out += "COMPACTED ";
      append_decimal(out, opened.revision);
      out += "\r\n";
      call.close = true;
      return;
    case WatchHub::Opened::Status::watching:
      out += "WATCHING ";
      append_decimal(out, opened.revision);
      out += "\r\n";
      call.more = WatchReply(std::move(opened.watch));
      return;
  }
}

}  // namespace handlers
}  // namespace nestcache
