// A test harness for the engine below the socket: one engine with its tree, a manual clock, and
// one connection's parser and counters. Request bytes in, reply bytes out.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

inline constexpr int64_t kStart = 1'700'000'000;

class Harness {
 public:
  explicit Harness(const Options& options = {})
      : options_(options),
        clock_(kStart),
        tree_(clock_, tree_options(options_)),
        counters_(registry_.make_counters()),
        parse_(parser_options(options_)),
        parser_(parse_),
        engine_(tree_, clock_, registry_, options_) {}

  // Feeds `request` (one or more pipelined requests, complete) as a connection would, and
  // returns every reply byte. Stops at a request that closes the connection.
  std::string run(std::string_view request) {
    std::string out;
    closed_ = false;
    while (!request.empty()) {
      Command command;
      const ParseResult result = parser_.parse(request, command);
      switch (result.status) {
        case ParseStatus::complete:
          if (engine_.execute(command, counters_, out) == Outcome::close) closed_ = true;
          break;
        case ParseStatus::error:
          engine_.reject(result, command, counters_, out);
          break;
        case ParseStatus::skipped:
          break;
        case ParseStatus::need_more:
          ADD_FAILURE() << "incomplete request left: " << request;
          return out;
        case ParseStatus::close:
          closed_ = true;
          break;
      }
      request.remove_prefix(result.consumed);
      if (closed_) break;
    }
    return out;
  }

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
  const ParseOptions& parse_options() const { return parse_; }
  Parser& parser() { return parser_; }
  ManualClock& clock() { return clock_; }
  Tree& tree() { return tree_; }

 private:
  Options options_;
  ManualClock clock_;
  Tree tree_;
  StatsRegistry registry_;
  Counters& counters_;
  ParseOptions parse_;
  Parser parser_;
  Engine engine_;
  bool closed_ = false;
};

}  // namespace nestcache
