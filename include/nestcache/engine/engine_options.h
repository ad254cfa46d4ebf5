// What the engine is told about its settings: the protocol's rules, the starting verbosity, and
// the server's figures that `stats` reports. Built from the daemon's Options by
// server/module_options.h; tests and embedders fill it directly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nestcache/engine/durability_hooks.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {

class WatchHub;

// The server's settings, reported by `stats` and `stats settings`; the engine does not act on
// them.
struct ServerFigures {
  std::size_t threads = 4;             // -t
  std::size_t max_connections = 1024;  // -c
  uint16_t port = 11211;               // -p
  uint16_t udp_port = 0;               // -U
  uint32_t idle_timeout = 0;           // -o idle_timeout
};

struct EngineOptions {
  ParseOptions protocol;  // --compat, --key-separator and the key, item and line limits
  int verbosity = 0;      // -v; `verbosity` changes it at run time
  ServerFigures server;
  // The journal's admission and figures (--data-dir); nullptr: none. Outlives the engine.
  DurabilityHooks* durability = nullptr;
  // Subtree watches (watchtree, `stats` watch figures); nullptr: watchtree is refused.
  // Outlives the engine.
  WatchHub* watches = nullptr;
};

}  // namespace nestcache
