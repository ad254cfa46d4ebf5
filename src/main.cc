// nestcached: options -> tree, engine, server; serve until SIGINT/SIGTERM.
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <system_error>

#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/durability/durability.h"
#include "nestcache/engine/engine.h"
#include "nestcache/server/module_options.h"
#include "nestcache/server/server.h"
#include "nestcache/tree/reclaimer.h"
#include "nestcache/tree/tree.h"
#include "nestcache/watch/watch_hub.h"

int main(int argc, char** argv) {
  using namespace nestcache;
  const ParsedOptions parsed = parse_options(argc, argv);
  if (parsed.exit_code) {
    (*parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message;
    return *parsed.exit_code;
  }
  const Options& options = parsed.options;
  std::signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  Tree tree(clock, tree_options(options));
  StatsRegistry stats;
  // --data-dir: the journal is loaded before the port opens, so no client sees a partial tree.
  std::unique_ptr<Durability> durability;
  if (!options.data_dir.empty()) {
    durability = std::make_unique<Durability>(durability_options(options));
    const RecoveryReport loaded = durability->open(tree, std::cerr);
    if (!loaded.ok) {
      std::cerr << "nestcached: " << loaded.error << "\n";
      // EX_IOERR: the disk failed; EX_DATAERR: what is on it cannot be loaded as it is.
      return loaded.io_error ? 74 : 65;
    }
  }
  // Attached to the tree only by the first watchtree: until then changes cost nothing more.
  WatchHub watches(tree, clock, watch_options(options));
  EngineOptions settings = engine_options(options);
  settings.durability = durability.get();
  settings.watches = &watches;
  Engine engine(tree, clock, stats, settings);
  // The pid file exists before the port accepts, so whoever waits for the port finds it.
  if (!options.pid_file.empty()) std::ofstream(options.pid_file) << getpid() << "\n";
  int status = 0;
  try {
    Server server(options, engine, stats, durability.get());
    if (options.verbosity > 0) {
      std::cerr << "nestcached " << kVersion << " listening on " << options.listen << ":"
                << server.port() << (options.compat ? " (compat)" : "") << "\n";
    }
    Reclaimer reclaimer(tree);
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "nestcached: " << e.what() << "\n";
    status = 71;  // EX_OSERR: could not bind, typically
  }
  // After the workers: the last changes are written and synced before the process ends.
  if (durability) durability->close();
  if (!options.pid_file.empty()) std::remove(options.pid_file.c_str());
  return status;
}
