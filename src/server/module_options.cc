#include "nestcache/server/module_options.h"

namespace nestcache {

TreeOptions tree_options(const Options& options) {
  return TreeOptions{options.strict_parents, options.max_depth,
                     uint64_t{options.memory_limit_mb} << 20, !options.disable_evictions};
}

EngineOptions engine_options(const Options& options) {
  EngineOptions engine;
  ParseOptions& protocol = engine.protocol;
  protocol.compat = options.compat;
  protocol.separator = options.key_separator;
  protocol.max_depth = options.max_depth;
  protocol.max_segment = options.max_segment;
  protocol.max_item_size = options.max_item_size;
  protocol.max_line = options.max_line;
  protocol.max_get_line = options.max_get_line;
  engine.verbosity = options.verbosity;
  engine.server.threads = options.threads;
  engine.server.max_connections = options.max_connections;
  engine.server.port = options.port;
  engine.server.udp_port = options.udp_port;
  engine.server.idle_timeout = options.idle_timeout;
  return engine;
}

WatchOptions watch_options(const Options& options) {
  WatchOptions watch;
  watch.history_bytes = options.watch_history_mb << 20;
  watch.queue_bytes = options.watch_queue_kb << 10;
  watch.progress_seconds = options.watch_progress_interval;
  return watch;
}

DurabilityOptions durability_options(const Options& options) {
  DurabilityOptions durability;
  durability.dir = options.data_dir;
  durability.fsync = options.fsync == "always" ? FsyncPolicy::always
                     : options.fsync == "no"   ? FsyncPolicy::no
                                               : FsyncPolicy::everysec;
  durability.persist = options.persist;
  durability.truncate_corrupt = options.truncate_corrupt_journal;
  durability.snapshot_min_bytes = uint64_t{options.snapshot_min_journal_mb} << 20;
  durability.writers = options.threads;
  // The largest record: a value of -I and the longest key a line can carry.
  durability.max_record = options.max_item_size + options.max_line;
  durability.verbosity = options.verbosity;
  return durability;
}

}  // namespace nestcache
