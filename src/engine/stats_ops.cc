// stats and its groups (settings, reset; items, slabs, sizes in slab_stats.cc, cachedump in
// dump_ops.cc).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "dump_ops.h"
#include "handlers.h"
#include "nestcache/protocol/composer.h"
#include "nestcache/watch/watch_hub.h"
#include "tokens.h"

namespace nestcache {
namespace {

std::string seconds_text(const timeval& tv) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

}  // namespace

namespace handlers {

void stats(Call& call) {
  Engine& engine = call.engine;
  const EngineOptions& options = engine.options();
  std::string& out = call.out;
  Composer reply(out);
  std::string_view args = call.command.stats_args;
  const std::string_view group = next_token(args);
  const int64_t now = engine.clock().now();

  if (group.empty()) {
    const CounterValues c = engine.stats().sum();
    const TreeStats t = engine.tree().stats();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    reply.stat("pid", static_cast<uint64_t>(getpid()));
    reply.stat("uptime", static_cast<uint64_t>(now - engine.started()));
    reply.stat("time", static_cast<uint64_t>(now));
    reply.stat("version", kVersionReply);
    reply.stat("nestcache_version", kVersion);
    reply.stat("pointer_size", sizeof(void*) * 8);
    reply.stat("rusage_user", seconds_text(usage.ru_utime));
    reply.stat("rusage_system", seconds_text(usage.ru_stime));
    reply.stat("max_connections", options.server.max_connections);
    reply.stat("curr_connections", engine.stats().curr_connections.load(std::memory_order_relaxed));
    reply.stat("total_connections", c.total_connections);
    reply.stat("rejected_connections", c.rejected_connections);
    // memcached's connection structures outlive their clients; ours are freed on close.
    reply.stat("connection_structures",
               engine.stats().curr_connections.load(std::memory_order_relaxed));
    reply.stat("cmd_get", c.cmd_get);
    reply.stat("cmd_set", c.cmd_set);
    reply.stat("cmd_flush", c.cmd_flush);
    reply.stat("cmd_touch", c.cmd_touch);
    reply.stat("cmd_meta", c.cmd_meta);  // memcached counts `me` alone here
    reply.stat("get_hits", c.get_hits);
    reply.stat("get_misses", c.get_misses);
    reply.stat("get_expired", c.get_expired);
    reply.stat("get_flushed", 0);
    reply.stat("delete_misses", c.delete_misses);
    reply.stat("delete_hits", c.delete_hits);
    reply.stat("incr_misses", c.incr_misses);
    reply.stat("incr_hits", c.incr_hits);
    reply.stat("decr_misses", c.decr_misses);
    reply.stat("decr_hits", c.decr_hits);
    reply.stat("cas_misses", c.cas_misses);
    reply.stat("cas_hits", c.cas_hits);
    reply.stat("cas_badval", c.cas_badval);
    reply.stat("touch_hits", c.touch_hits);
    reply.stat("touch_misses", c.touch_misses);
    reply.stat("store_too_large", c.store_too_large);
    reply.stat("store_no_memory", c.store_no_memory);
    reply.stat("idle_kicks", c.idle_kicks);
    reply.stat("bytes_read", c.bytes_read);
    reply.stat("bytes_written", c.bytes_written);
    reply.stat("limit_maxbytes", engine.tree().memory_limit());
    reply.stat("accepting_conns", 1);
    // Past -c we accept and refuse with memcached's error; we never stop listening.
    reply.stat("listen_disabled_num", 0);
    reply.stat("time_in_listen_disabled_us", 0);
    reply.stat("threads", options.server.threads);
    reply.stat("bytes", t.bytes);
    reply.stat("curr_items", t.items);
    reply.stat("total_items", t.total_items);
    reply.stat("expired_unfetched", t.expired_unfetched);
    reply.stat("evicted_unfetched", t.evicted_unfetched);
    reply.stat("evictions", t.evictions);
    reply.stat("reclaimed", t.reclaimed);
    reply.stat("tree_nodes", t.nodes);
    reply.stat("tree_valueless_nodes", t.nodes - t.items);
    reply.stat("tree_max_depth", t.max_depth);
    reply.stat("tree_pending_free", t.pending_free);
    if (options.watches != nullptr) {
      const WatchStats w = options.watches->stats();
      reply.stat("watchers", w.watchers);
      reply.stat("watch_events_sent", w.events_sent);
      reply.stat("watch_canceled_slow", w.canceled_slow);
      reply.stat("watch_compacted", w.compacted);
      reply.stat("watch_history_events", w.history_events);
      reply.stat("watch_history_bytes", w.history_bytes);
      reply.stat("watch_history_floor", w.history_floor);
    }
    if (options.durability != nullptr) options.durability->stats(reply);
  } else if (group == "settings") {
    const ParseOptions& protocol = options.protocol;
    const TreeOptions& tree = engine.tree().options();
    const std::string separator =
        protocol.separator == '\0' ? "none" : std::string(1, protocol.separator);
    reply.stat("maxbytes", engine.tree().memory_limit());
    reply.stat("maxconns", options.server.max_connections);
    reply.stat("tcpport", options.server.port);
    reply.stat("udpport", options.server.udp_port);
    reply.stat("verbosity", static_cast<uint64_t>(engine.verbosity()));
    reply.stat("num_threads", options.server.threads);
    reply.stat("evictions", tree.evict ? "on" : "off");
    reply.stat("cas_enabled", "yes");
    reply.stat("item_size_max", protocol.max_item_size);
    reply.stat("lru_crawler", engine.lru_crawler() ? "yes" : "no");
    reply.stat("idle_time", options.server.idle_timeout);
    reply.stat("compat", protocol.compat ? "yes" : "no");
    reply.stat("key_separator", separator);
    reply.stat("strict_parents", tree.strict_parents ? "yes" : "no");
    reply.stat("max_depth", protocol.max_depth);
    reply.stat("max_segment_length", protocol.max_segment);
    reply.stat("max_line_length", protocol.max_line);
    reply.stat("max_get_line_length", protocol.max_get_line);
  } else if (group == "reset") {
    engine.stats().reset();
    reply.reply(Reply::reset);
    return;
  } else if (group == "items") {
    stats_items(engine, out);
    return;
  } else if (group == "cachedump") {
    cachedump(engine, args, out);
    return;
  } else if (group == "slabs") {
    stats_slabs(engine, out);
    return;
  } else if (group == "sizes") {
    stats_sizes(out);
    return;
  } else if (group == "conns") {
    // No per-connection list is kept: memcached's is empty for us.
  } else {
    reply.reply(Reply::error);
    return;
  }
  reply.reply(Reply::end);
}

}  // namespace handlers
}  // namespace nestcache
