// A test harness for everything below the socket: one engine with its tree and a manual clock,
// and one client's session and counters. Request bytes in, reply bytes out.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/server/module_options.h"
#include "nestcache/session/session.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"
#include "nestcache/watch/watch_hub.h"
#include "start_time.h"

namespace nestcache {

class Harness {
 public:
  // With `durability`, the engine asks it to admit writes and reports its stats (the caller
  // opens it over tree() before the first request).
  explicit Harness(const Options& options = {}, DurabilityHooks* durability = nullptr)
      : clock_(kStart),
        tree_(clock_, tree_options(options)),
        counters_(registry_.make_counters()),
        watches_(tree_, clock_, watch_options(options)),
        engine_(tree_, clock_, registry_,
                with_hooks(engine_options(options), durability, &watches_)),
        session_(std::make_unique<Session>(engine_, counters_)) {}

  // Feeds `request` (one or more pipelined requests, complete) as a connection would, and
  // returns every reply byte, long replies whole. Stops at a request that closes the connection.
  std::string run(std::string_view request) {
    std::string out;
    closed_ = false;
    for (;;) {
      const Fed fed = session_->feed(request, out);
      request.remove_prefix(fed.consumed);
      if (fed.state == SessionState::close) {
        closed_ = true;
        break;
      }
      if (fed.state == SessionState::stream) {  // a watch: what it has sent by now
        closed_ = take_stream(out);
        break;
      }
      if (fed.state == SessionState::want_input) break;
    }
    if (!closed_ && !request.empty()) ADD_FAILURE() << "incomplete request left: " << request;
    return out;
  }

  // A watch's stream (after watchtree): appends what it has ready; true when it ended.
  bool take_stream(std::string& out) {
    Watch::Step step;
    do {
      step = session_->stream(out, out.size() + (1 << 20));
    } while (step == Watch::Step::more);
    return step == Watch::Step::ended;
  }

  // A new client: the session (and any reply it had pending) is replaced.
  void reconnect() { session_ = std::make_unique<Session>(engine_, counters_); }

  // `stats` (or `stats <group>`) as name -> value.
  std::map<std::string, std::string> stats(std::string_view group = "") {
    const std::string reply =
        run(group.empty() ? std::string("stats\r\n") : "stats " + std::string(group) + "\r\n");
    std::map<std::string, std::string> values;
    std::istringstream lines(reply);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("STAT ", 0) != 0) continue;
      const std::size_t space = line.find(' ', 5);
      values[line.substr(5, space - 5)] = space == std::string::npos ? "" : line.substr(space + 1);
    }
    return values;
  }

  bool closed() const { return closed_; }
  Engine& engine() { return engine_; }
  Counters& counters() { return counters_; }
  StatsRegistry& registry() { return registry_; }
  Session& session() { return *session_; }
  ManualClock& clock() { return clock_; }
  Tree& tree() { return tree_; }
  WatchHub& watches() { return watches_; }

 private:
  static EngineOptions with_hooks(EngineOptions options, DurabilityHooks* durability,
                                  WatchHub* watches) {
    options.durability = durability;
    options.watches = watches;
    return options;
  }

  ManualClock clock_;
  Tree tree_;
  StatsRegistry registry_;
  Counters& counters_;
  WatchHub watches_;
  Engine engine_;
  std::unique_ptr<Session> session_;
  bool closed_ = false;
};

}  // namespace nestcache
