// Executes commands: Command -> tree -> reply bytes. Never sees a socket; one Engine serves
// every connection and thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/reply_cursor.h"
#include "nestcache/protocol/command.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

inline constexpr const char* kVersion = "0.1.0";
// What `version` and `stats` report: the memcached protocol level we serve, then our own
// version. Clients gate behaviour on the leading x.y.z (libmemcached's memccapable expects 1.6
// behaviour only from a server that says 1.6).
inline constexpr const char* kVersionReply = "1.6.18-nestcache-0.1.0";

enum class Outcome : uint8_t { keep_open, close };

// The tree settings the daemon's options ask for (-m, -M, --strict-parents, --max-depth).
TreeOptions tree_options(const Options& options);
// The parser settings they ask for (--compat, --key-separator, the key, item and line limits).
ParseOptions parser_options(const Options& options);

class Engine {
 public:
  // All references must outlive the engine.
  Engine(Tree& tree, const Clock& clock, StatsRegistry& stats, const Options& options);

  // Runs one complete command and appends its reply (if any) to `out`, or only the first part
  // of a long reply (a large multi-get, a gettree): then `more` is pending, and resume() gives
  // the rest. Each call does a bounded amount of work and output (about 256 KiB).
  Outcome execute(const Command& command, Counters& counters, std::string& out, ReplyCursor& more);
  // The same, with the whole reply appended at once (tests, tools, an embedding program).
  Outcome execute(const Command& command, Counters& counters, std::string& out);

  // Appends the next part of the pending reply of `more`, the last part ending in END; `more`
  // is no longer pending after the last. The tree is read as it is now (protocol.md 5.10).
  void resume(ReplyCursor& more, Counters& counters, std::string& out);

  // Answers a request the parser refused, in its place in the pipeline.
  void reject(const ParseResult& result, const Command& command, Counters& counters,
              std::string& out);

  const Options& options() const { return options_; }
  int64_t started() const { return started_; }
  // Current verbosity (-v, changed at run time by `verbosity`).
  int verbosity() const { return verbosity_.load(std::memory_order_relaxed); }

 private:
  void store(const Command& command, Counters& counters, std::string& out);
  void get(const Command& command, Counters& counters, std::string& out, ReplyCursor& more);
  // Answers keys from `more.next_key_` on, for one step; END when the last is answered.
  void get_step(const KeyTokens& keys, ReplyCursor& more, Counters& counters, std::string& out);
  void get_node(const Command& command, Counters& counters, std::string& out);
  void get_children(const Command& command, std::string& out, ReplyCursor& more);
  void get_children_step(ReplyCursor& more, std::string& out);
  void get_tree(const Command& command, Counters& counters, std::string& out, ReplyCursor& more);
  void get_tree_step(ReplyCursor& more, Counters& counters, std::string& out);
  void arith(const Command& command, Counters& counters, std::string& out);
  void touch(const Command& command, Counters& counters, std::string& out);
  void remove(const Command& command, Counters& counters, std::string& out);
  void flush_all(const Command& command, Counters& counters, std::string& out);
  void cache_memlimit(const Command& command, std::string& out);
  void stats(const Command& command, std::string& out);
  // stats items, stats cachedump <class> <limit>: the tree as memcached's one pseudo slab class.
  void stats_items(std::string& out);
  void cachedump(std::string_view args, std::string& out);
  // ITEM lines for the keys of the pseudo class, at most `limit` (0 = all) and 2 MiB.
  void dump_keys(uint32_t limit, std::string& out);
  void help(std::string& out);

  Tree& tree_;
  const Clock& clock_;
  StatsRegistry& stats_;
  const Options& options_;
  int64_t started_;
  std::atomic<int> verbosity_;
};

}  // namespace nestcache
