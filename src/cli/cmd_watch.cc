// watch: a subtree's changes as they happen (the server's watchtree), resumed by itself after a
// disconnect, a server restart or a CANCELED from the last revision seen, so that no change is
// skipped without a word: when the server no longer holds what came after that revision, a
// RESYNC event says so (or, with --no-resync, exit 5).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <thread>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "nestcache/client/error.h"
#include "watch_output.h"

namespace nestcache::cli {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{50};
constexpr milliseconds kMaxBackoff{2000};
// A silent stream is waited on in slices of this; TCP keepalive finds a vanished server.
constexpr milliseconds kWaitSlice{1000};
constexpr std::chrono::seconds kKeepAlive{30};

// How one connection's stream ended.
enum class Next { reconnect_now, reconnect_later, done };

// Which server process answers: a restart without --data-dir starts its revisions again from
// 0, and a resume into the new numbering could skip changes without a word.
struct ServerIdentity {
  std::string pid;
  int64_t started = 0;   // time - uptime
  bool durable = false;  // --data-dir: revisions continue across a restart (persist_* stats)

  static ServerIdentity of(client::Client& client) {
    ServerIdentity id;
    int64_t time = 0, uptime = 0;
    for (const auto& [name, value] : client.stats()) {
      if (name == "pid") id.pid = value;
      if (name == "time") time = std::atoll(value.c_str());
      if (name == "uptime") uptime = std::atoll(value.c_str());
      if (name.starts_with("persist_")) id.durable = true;
    }
    id.started = time - uptime;
    return id;
  }
  // Another process than `before` (the start time may read one second apart).
  bool restarted_since(const ServerIdentity& before) const {
    return pid != before.pid || started > before.started + 1 || started < before.started - 1;
  }
};

class Watcher {
 public:
  explicit Watcher(Context& c) : c_(c) {
    const Options& o = c.options();
    if (o.args.size() != 1) throw Failure{kExitUsage, "watch: expected one PATH (see --help)"};
    path_ = c.path(o.args[0]);
    const int64_t from = flag_number(o, "from", 0);
    if (from < 0) throw Failure{kExitUsage, "--from: a revision (0 or more)"};
    from_ = static_cast<uint64_t>(from);
    count_ = flag_number(o, "count", 0);
    if (count_ < 0) throw Failure{kExitUsage, "--count: 0 or more"};
    no_resync_ = o.has("no-resync");
    if (o.saw_dashes && o.after_dashes.empty()) {
      throw Failure{kExitUsage, "watch: a command after --"};
    }
    command_ = o.after_dashes;
  }

  int run() {
    milliseconds backoff = kFirstBackoff;
    bool lost = false;  // an outage is under way (said once)
    for (;;) {
      std::optional<client::Client> client;
      try {
        client.emplace(
            client::Connection(c_.options().host, c_.options().port, c_.options().timeout));
      } catch (const client::Error& e) {
        if (!opened_) throw Failure{kExitConnect, e.what()};
        if (!lost) say(std::string(e.what()) + "; retrying");
        lost = true;
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      const Next next = stream(*client);
      if (next == Next::done) return kExitOk;
      if (resumed_) backoff = kFirstBackoff, lost = false;
      resumed_ = false;
      if (next == Next::reconnect_later) std::this_thread::sleep_for(backoff);
    }
  }

 private:
  // Opens the watch on `client` and handles its stream until it ends.
  Next stream(client::Client& client) {
    try {
      client.connection().set_keepalive(kKeepAlive);
      check_restart(ServerIdentity::of(client));
      const uint64_t from = resync_on_open_ ? 0 : opened_ ? last_ : from_;
      client.watch(path_, from);
      std::optional<Next> next;
      while (!next) {
        client.next_event(kWaitSlice,
                          [&](const client::WatchEvent& event) { next = handle(event); });
      }
      return *next;
    } catch (const client::Error& e) {
      if (e.kind() == client::ErrorKind::usage) throw Failure{kExitUsage, e.what()};
      if (e.kind() == client::ErrorKind::protocol) throw Failure{kExitServerError, e.what()};
      say(std::string("connection lost (") + e.what() + "); resuming after revision " +
          std::to_string(last_));
      return Next::reconnect_later;
    }
  }

  // One line of the stream: what to do next, or nullopt to read on.
  std::optional<Next> handle(const client::WatchEvent& event) {
    using client::WatchKind;
    switch (event.kind) {
      case WatchKind::watching:
        return opened(event.revision);
      case WatchKind::progress:
        last_ = std::max(last_, event.revision);
        return std::nullopt;
      case WatchKind::canceled:
        say("the server canceled the watch (" + std::string(event.reason) +
            "); resuming after revision " + std::to_string(std::max(last_, event.revision)));
        last_ = std::max(last_, event.revision);
        return Next::reconnect_now;
      case WatchKind::compacted:
        return compacted(event.revision);
      case WatchKind::error:
        return refused(event.line);
      default:
        break;
    }
    if (event.revision <= last_) return std::nullopt;  // seen before a resume
    last_ = event.revision;
    Event owned;
    owned.name = std::string(client::watch_kind_name(event.kind));
    owned.revision = event.revision;
    if (!event.path.empty()) owned.path = client::split_wire_path(event.path, client::ServerMode{});
    owned.flags = event.flags;
    owned.exptime = event.exptime;
    owned.value.assign(event.data);
    owned.staged.assign(event.staged);
    return deliver(owned);
  }

  std::optional<Next> opened(uint64_t revision) {
    if (resync_on_open_) {
      resync_on_open_ = false;
      last_ = revision;
      if (auto done = deliver(resync_event(revision))) return done;
    } else if (!opened_) {
      last_ = from_ != 0 ? from_ : revision;
    }
    say(std::string(opened_ ? "resumed" : "watching") + " " + c_.show(path_) + " after revision " +
        std::to_string(last_));
    opened_ = true;
    resumed_ = true;
    return std::nullopt;
  }

  // COMPACTED: what came after last_ is no longer held; the history starts at `floor`.
  Next compacted(uint64_t floor) {
    const std::string what = "the server no longer holds the changes after revision " +
                             std::to_string(opened_ ? last_ : from_) + " (its history starts at " +
                             std::to_string(floor) + ")";
    if (no_resync_) throw Failure{kExitResync, what};
    say(what + ": resync, resuming after revision " + std::to_string(floor));
    last_ = floor;
    opened_ = true;
    return deliver(resync_event(floor)).value_or(Next::reconnect_now);
  }

  // An error line instead of WATCHING. On a resume, a revision "in the future" means the
  // server started again without --data-dir: its revisions count from 0 again.
  Next refused(std::string_view line) {
    if (!opened_ || line.find("is in the future") == std::string_view::npos) {
      throw Failure{kExitServerError, "server: " + std::string(line)};
    }
    const std::string what = "the server's revisions are behind revision " + std::to_string(last_) +
                             " (restarted without --data-dir?)";
    if (no_resync_) throw Failure{kExitResync, what};
    say(what + ": resync, watching from now");
    resync_on_open_ = true;
    return Next::reconnect_now;
  }

  // Before a resume: a server that restarted without --data-dir numbers its changes from 0
  // again, so the last revision seen means nothing to it; watch from now after a RESYNC.
  void check_restart(const ServerIdentity& id) {
    if (opened_ && server_ && id.restarted_since(*server_) && !id.durable) {
      const std::string what =
          "the server restarted without --data-dir: its revisions start again from 0";
      if (no_resync_) throw Failure{kExitResync, what};
      if (!resync_on_open_) say(what + ": resync, watching from now");
      resync_on_open_ = true;
    }
    server_ = id;
  }

  Event resync_event(uint64_t revision) const {
    Event event;
    event.name = "RESYNC";
    event.revision = revision;
    event.path = path_;
    return event;
  }

  // Prints the event or runs the command for it; done once --count events were delivered.
  std::optional<Next> deliver(const Event& event) {
    const char separator = c_.options().separator;
    if (!command_.empty()) {
      const int status = run_for_event(command_, event, separator);
      if (status != 0) {
        say("'" + command_[0] + "' exited with status " + std::to_string(status) + " for " +
            event.name + " " + std::to_string(event.revision));
      }
    } else {
      c_.out() << (c_.json() ? event_json(event, separator) : event_text(event, separator)) << "\n"
               << std::flush;
    }
    if (count_ != 0 && ++delivered_ >= count_) return Next::done;
    return std::nullopt;
  }

  void say(const std::string& what) {
    c_.err() << "nestcache-cli: watch: " << what << "\n" << std::flush;
  }

  Context& c_;
  client::Segments path_;
  uint64_t from_ = 0;
  int64_t count_ = 0;
  bool no_resync_ = false;
  std::vector<std::string> command_;
  uint64_t last_ = 0;            // the last revision seen: events and PROGRESS
  bool opened_ = false;          // a watch was open once: failures from now on are resumed
  bool resumed_ = false;         // this connection's watch opened (the backoff starts over)
  bool resync_on_open_ = false;  // watch from now, and say RESYNC at WATCHING
  int64_t delivered_ = 0;
  std::optional<ServerIdentity> server_;  // the last server the watch was opened on
};

}  // namespace

int cmd_watch(Context& c) { return Watcher(c).run(); }

}  // namespace nestcache::cli
