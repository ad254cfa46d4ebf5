// flush_all cache_memlimit stats help: the commands about the server rather than the data.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "nestcache/engine/engine.h"
#include "nestcache/protocol/composer.h"
#include "stats_args.h"

namespace nestcache {
namespace {

std::string seconds_text(const timeval& tv) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

constexpr std::string_view kHelp[] = {
    "HELP set|add|replace|append|prepend <seg>+ <flags> <exptime> <bytes> [noreply]",
    "HELP cas <seg>+ <flags> <exptime> <bytes> <cas unique> [noreply]",
    "HELP get|gets <key>+          values of top-level keys",
    "HELP gat|gats <exptime> <key>+  get and touch",
    "HELP getn|getns <seg>+        the value at a path (getns adds the cas unique)",
    "HELP getch [<seg>*]           the children of a node, sorted",
    "HELP gettree [<seg>*]         a node and every value below it",
    "HELP incr|decr <seg>+ <delta> [noreply]",
    "HELP touch <seg>+ <exptime> [noreply]",
    "HELP delete <seg>+ [noreply]  removes the node and its whole subtree",
    "HELP flush_all [delay] [noreply]",
    "HELP cache_memlimit <megabytes> [noreply]  the -m budget, changed at run time",
    "HELP stats [settings|reset]",
    "HELP version | verbosity <n> | quit | help",
};

}  // namespace

void Engine::flush_all(const Command& command, Counters& counters, std::string& out) {
  Counters::add(counters.cmd_flush);
  const int64_t now = clock_.now();
  // memcached invalidates what exists at realtime(delay) - 1: "flush_all 1" acts at once.
  tree_.flush(command.has_delay && command.exptime > 0 ? absolute_exptime(command.exptime, now) - 1
                                                       : now);
  Composer(out).reply(Reply::ok);
}

// memcached's bounds: at least 8 MB, and at most 10^9 (a larger figure is taken for bytes).
// Lowering the budget evicts down to it at once (memcached's LRU maintainer does it over time);
// under -M nothing is evicted and stores are refused until deletes make room.
void Engine::cache_memlimit(const Command& command, std::string& out) {
  constexpr uint64_t kMinMegabytes = 8;
  constexpr uint64_t kMaxMegabytes = 1000000000;
  if (command.delta < kMinMegabytes) {
    Composer(out).reply(Reply::memlimit_too_small);
  } else if (command.delta > kMaxMegabytes) {
    Composer(out).reply(Reply::memlimit_not_bytes);
  } else {
    tree_.set_memory_limit(command.delta << 20);
    Composer(out).reply(Reply::ok);
  }
}

void Engine::stats(const Command& command, std::string& out) {
  Composer reply(out);
  std::string_view args = command.args;
  const std::string_view group = next_token(args);
  const int64_t now = clock_.now();

  if (group.empty()) {
    const CounterValues c = stats_.sum();
    const TreeStats t = tree_.stats();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    reply.stat("pid", static_cast<uint64_t>(getpid()));
    reply.stat("uptime", static_cast<uint64_t>(now - started_));
    reply.stat("time", static_cast<uint64_t>(now));
    reply.stat("version", kVersionReply);
    reply.stat("pointer_size", sizeof(void*) * 8);
    reply.stat("rusage_user", seconds_text(usage.ru_utime));
    reply.stat("rusage_system", seconds_text(usage.ru_stime));
    reply.stat("max_connections", options_.max_connections);
    reply.stat("curr_connections", stats_.curr_connections.load(std::memory_order_relaxed));
    reply.stat("total_connections", c.total_connections);
    reply.stat("rejected_connections", c.rejected_connections);
    // memcached's connection structures outlive their clients; ours are freed on close.
    reply.stat("connection_structures", stats_.curr_connections.load(std::memory_order_relaxed));
    reply.stat("cmd_get", c.cmd_get);
    reply.stat("cmd_set", c.cmd_set);
    reply.stat("cmd_flush", c.cmd_flush);
    reply.stat("cmd_touch", c.cmd_touch);
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
    reply.stat("limit_maxbytes", tree_.memory_limit());
    reply.stat("accepting_conns", 1);
    // Past -c we accept and refuse with memcached's error; we never stop listening.
    reply.stat("listen_disabled_num", 0);
    reply.stat("time_in_listen_disabled_us", 0);
    reply.stat("threads", options_.threads);
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
  } else if (group == "settings") {
    const std::string separator =
        options_.key_separator == '\0' ? "none" : std::string(1, options_.key_separator);
    reply.stat("maxbytes", tree_.memory_limit());
    reply.stat("maxconns", options_.max_connections);
    reply.stat("tcpport", options_.port);
    reply.stat("udpport", options_.udp_port);
    reply.stat("verbosity", static_cast<uint64_t>(verbosity_.load(std::memory_order_relaxed)));
    reply.stat("num_threads", options_.threads);
    reply.stat("evictions", options_.disable_evictions ? "off" : "on");
    reply.stat("cas_enabled", "yes");
    reply.stat("item_size_max", options_.max_item_size);
    reply.stat("idle_time", options_.idle_timeout);
    reply.stat("compat", options_.compat ? "yes" : "no");
    reply.stat("key_separator", separator);
    reply.stat("strict_parents", options_.strict_parents ? "yes" : "no");
    reply.stat("max_depth", options_.max_depth);
    reply.stat("max_segment_length", options_.max_segment);
    reply.stat("max_line_length", options_.max_line);
    reply.stat("max_get_line_length", options_.max_get_line);
  } else if (group == "reset") {
    stats_.reset();
    reply.reply(Reply::reset);
    return;
  } else if (group == "items") {
    stats_items(out);
    return;
  } else if (group == "cachedump") {
    cachedump(args, out);
    return;
  } else if (group == "slabs" || group == "sizes" || group == "conns") {
    // No slab classes here: memcached's per-class lists are empty for us.
  } else {
    reply.reply(Reply::error);
    return;
  }
  reply.reply(Reply::end);
}

void Engine::help(std::string& out) {
  Composer reply(out);
  for (std::string_view line : kHelp) reply.line(line);
  reply.reply(Reply::end);
}

}  // namespace nestcache
