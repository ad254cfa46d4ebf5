// flush_all cache_memlimit version snapshot verbosity quit help: the commands about the server
// rather than the data (stats_ops.cc has stats).
#include <algorithm>

#include "handlers.h"
#include "nestcache/protocol/composer.h"

namespace nestcache::handlers {

void flush_all(Call& call) {
  const Command& command = call.command;
  Counters::add(call.counters.cmd_flush);
  if (!admitted(call, nullptr, kRecordOverhead)) return;
  const int64_t now = call.engine.clock().now();
  // memcached invalidates what exists at realtime(delay) - 1: "flush_all 1" acts at once.
  call.engine.tree().flush(
      command.has_delay && command.delay > 0 ? absolute_exptime(command.delay, now) - 1 : now);
  Composer(call.out).reply(Reply::ok);
}

// memcached's bounds: at least 8 MB, and at most 10^9 (a larger figure is taken for bytes).
// Lowering the budget evicts down to it at once (memcached's LRU maintainer does it over time);
// under -M nothing is evicted and stores are refused until deletes make room.
void cache_memlimit(Call& call) {
  constexpr uint64_t kMinMegabytes = 8;
  constexpr uint64_t kMaxMegabytes = 1000000000;
  const uint64_t megabytes = call.command.megabytes;
  Composer reply(call.out);
  if (megabytes < kMinMegabytes) {
    reply.reply(Reply::memlimit_too_small);
  } else if (megabytes > kMaxMegabytes) {
    reply.reply(Reply::memlimit_not_bytes);
  } else if (admitted(call, nullptr, kRecordOverhead)) {
    call.engine.tree().set_memory_limit(megabytes << 20);
    reply.reply(Reply::ok);
  }
}

void version(Call& call) { Composer(call.out).version(kVersionReply); }

// Redis's BGSAVE: begun at once, taken by the journal's background thread (persist_snapshots
// counts it when done); a snapshot already under way takes this request with it.
void snapshot(Call& call) {
  DurabilityHooks* durability = call.engine.options().durability;
  if (durability == nullptr) {
    Composer(call.out).reply(Reply::needs_data_dir);
    return;
  }
  durability->request_snapshot();
  Composer(call.out).reply(Reply::ok);
}

void verbosity(Call& call) {
  // memcached caps the level at its maximum (2).
  call.engine.set_verbosity(static_cast<int>(std::min<uint32_t>(call.command.level, 2)));
  Composer(call.out).reply(Reply::ok);
}

void quit(Call& call) { call.close = true; }

// One line per row of the command table, in its order.
void help(Call& call) {
  Composer reply(call.out);
  std::string line;
  for (const CommandInfo& row : kCommands) {
    line.assign("HELP ").append(row.help);
    reply.line(line);
  }
  reply.reply(Reply::end);
}

}  // namespace nestcache::handlers
