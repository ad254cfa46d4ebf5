// How the daemon's Options become each module's own settings: the tree's (-m, -M,
// --strict-parents, --max-depth), the engine's (the protocol's rules, -v, the figures `stats`
// reports), the journal's (--data-dir) and the watches'. Each module sees only its own struct.
#pragma once

#include "nestcache/config/options.h"
#include "nestcache/durability/durability.h"
#include "nestcache/engine/engine_options.h"
#include "nestcache/tree/tree.h"
#include "nestcache/watch/watch_hub.h"

namespace nestcache {

TreeOptions tree_options(const Options& options);
EngineOptions engine_options(const Options& options);
// --data-dir and the settings that go with it (meaningful only when data_dir is set).
DurabilityOptions durability_options(const Options& options);
// --watch-history-mb, --watch-queue-kb, --watch-progress-interval.
WatchOptions watch_options(const Options& options);

}  // namespace nestcache
