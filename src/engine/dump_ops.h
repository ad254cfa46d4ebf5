// memcached's per-slab-class views of the tree (dump_ops.cc), for `stats items`,
// `stats cachedump` and `lru_crawler metadump`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "handlers.h"
#include "nestcache/engine/engine.h"

namespace nestcache {

// memcached's MAX_NUMBER_OF_SLAB_CLASSES: class ids from here on are refused.
inline constexpr uint32_t kSlabClassIds = 64;

// stats items, stats slabs, stats sizes (slab_stats.cc): memcached's per-class figures.
void stats_items(Engine& engine, std::string& out);
void stats_slabs(Engine& engine, std::string& out);
void stats_sizes(std::string& out);
// stats cachedump <class> <limit>: ITEM lines for the keys of the pseudo class.
void cachedump(Engine& engine, std::string_view args, std::string& out);

// The classes argument of `lru_crawler crawl|metadump`, read as memcached reads it: `all`,
// `hash`, or ids from 1 to 63 separated by commas (empty pieces skipped; safe_strtoul spellings).
struct CrawlClasses {
  enum Kind : uint8_t { all, hash, some, none, bad } kind = none;
  bool tree_class = false;  // some: the list names the pseudo class 1
};
CrawlClasses read_crawl_classes(std::string_view text);

// lru_crawler metadump <classes> (the crawler enabled): a line per key of the pseudo class, then
// END, as a long reply; memcached's BADCLASS, NOTSTARTED errors for a bad or empty list.
void metadump(Call& call, std::string_view classes);

}  // namespace nestcache
