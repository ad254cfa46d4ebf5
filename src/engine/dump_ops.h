// memcached's per-slab-class views of the tree (dump_ops.cc), for `stats items` and
// `stats cachedump`.
#pragma once

#include <string>
#include <string_view>

#include "nestcache/engine/engine.h"

namespace nestcache {

// stats items: the tree as memcached's one pseudo slab class.
void stats_items(Engine& engine, std::string& out);
// stats cachedump <class> <limit>: ITEM lines for the keys of the pseudo class.
void cachedump(Engine& engine, std::string_view args, std::string& out);

}  // namespace nestcache
