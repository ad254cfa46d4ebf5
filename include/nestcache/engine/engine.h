// Executes commands: Command -> tree -> reply bytes. Never sees a socket or a request's bytes;
// one Engine serves every session on every thread. What each command does is in its handler
// (src/engine/handlers.h, one per row of protocol/commands.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "nestcache/common/clock.h"
#include "nestcache/engine/engine_options.h"
#include "nestcache/engine/long_reply.h"
#include "nestcache/protocol/binary_parser.h"
#include "nestcache/protocol/command.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

// nestcache's own version: `nestcached --version` and the `nestcache_version` stat.
inline constexpr const char* kVersion = "0.1.0";
// What `version` and the `version` stat report: exactly the memcached level we serve. Clients
// parse it as a version number (Perl's Cache::Memcached::Fast refuses anything else) and gate
// behaviour on it (libmemcached's memccapable expects 1.6 behaviour only from a 1.6).
inline constexpr const char* kVersionReply = "1.6.18";

enum class Outcome : uint8_t { keep_open, close };

class Engine {
 public:
  // `tree`, `clock` and `stats` must outlive the engine.
  Engine(Tree& tree, const Clock& clock, StatsRegistry& stats, const EngineOptions& options);

  // Runs one complete command and appends its reply to `out` (noreply is the caller's: see
  // Session), or only the first part of a long reply (a large multi-get, a gettree, a getch):
  // then `more` holds the rest, and resume() makes it. Each call does a bounded amount of work
  // and output (about 256 KiB). `more` must not be pending.
  Outcome execute(const Command& command, Counters& counters, std::string& out, LongReply& more);

  // Appends the next part of `more` (pending), the last part ending in END; `more` is then no
  // longer pending. The tree is read as it is now (protocol.md 5.10).
  void resume(LongReply& more, Counters& counters, std::string& out);

  // Answers a request the parser refused, in its place in the pipeline.
  void reject(const ParseResult& result, const Command& command, Counters& counters,
              std::string& out);

  // The binary protocol (binary_ops.cc): runs one complete request and appends its reply
  // packets (none for a quiet command's nominal reply). close after quit.
  Outcome execute_binary(const BinaryRequest& request, const Command& command, Counters& counters,
                         std::string& out);
  // Answers a binary request the parser refused (result.error), in its place in the pipeline.
  void reject_binary(const BinaryRequest& request, const ParseResult& result,
                     const Command& command, Counters& counters, std::string& out);

  Tree& tree() { return tree_; }
  const Clock& clock() const { return clock_; }
  StatsRegistry& stats() { return stats_; }
  const EngineOptions& options() const { return options_; }
  int64_t started() const { return started_; }
  // Current verbosity (-v, changed at run time by `verbosity`); any thread.
  int verbosity() const { return verbosity_.load(std::memory_order_relaxed); }
  void set_verbosity(int level) { verbosity_.store(level, std::memory_order_relaxed); }
  // memcached's LRU crawler switch (`lru_crawler enable|disable`; on at start): while off,
  // `lru_crawler crawl` and `metadump` are refused as memcached refuses them. Any thread.
  bool lru_crawler() const { return lru_crawler_.load(std::memory_order_relaxed); }
  // Sets the switch; returns what it was.
  bool set_lru_crawler(bool on) { return lru_crawler_.exchange(on, std::memory_order_relaxed); }

 private:
  Tree& tree_;
  const Clock& clock_;
  StatsRegistry& stats_;
  const EngineOptions options_;
  const int64_t started_;
  std::atomic<int> verbosity_;
  std::atomic<bool> lru_crawler_{true};
};

}  // namespace nestcache
