// stats slabs, stats items, stats sizes: memcached's per-class figures, computed from the sizes
// of the values held (Tree::slab_stats, counted where values are stored and freed) with
// memcached 1.6.18's classes (common/slab_classes.h), in memcached's lines and order (its
// default segmented LRU), so that memcached-tool display and exporters read real numbers.
#include <cstdio>
#include <string>

#include "dump_ops.h"
#include "nestcache/protocol/composer.h"

namespace nestcache {
namespace {

// "items:<id>:<name>" or "<id>:<name>".
std::string class_stat(const char* prefix, std::size_t id, const char* name) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s%zu:%s", prefix, id, name);
  return buf;
}

}  // namespace

void stats_slabs(Engine& engine, std::string& out) {
  const SlabStats stats = engine.tree().slab_stats();
  Composer reply(out);
  uint64_t active = 0;
  uint64_t pages_in_all = 0;
  for (std::size_t id = 1; id <= kSlabClasses.largest; ++id) {
    const uint64_t used = stats.classes[id].chunks;
    if (used == 0) continue;  // memcached lists the classes that have pages
    const uint64_t chunk = kSlabClasses.chunk_size[id];
    const uint64_t per_page = kSlabPageSize / chunk;
    // The pages the class needs now: nestcached frees memory with the values (protocol.md 8.1).
    const uint64_t pages = (used + per_page - 1) / per_page;
    ++active;
    pages_in_all += pages;
    const auto stat = [&](const char* name, uint64_t value) {
      reply.stat(class_stat("", id, name), value);
    };
    stat("chunk_size", chunk);
    stat("chunks_per_page", per_page);
    stat("total_pages", pages);
    stat("total_chunks", pages * per_page);
    stat("used_chunks", used);
    stat("free_chunks", pages * per_page - used);
    stat("free_chunks_end", 0);
    // Not counted per class (a hit would pay for finding its class): see protocol.md 8.1.
    for (const char* name : {"get_hits", "cmd_set", "delete_hits", "incr_hits", "decr_hits",
                             "cas_hits", "cas_badval", "touch_hits"}) {
      stat(name, 0);
    }
  }
  reply.stat("active_slabs", active);
  reply.stat("total_malloced", pages_in_all * kSlabPageSize);
  reply.reply(Reply::end);
}

void stats_items(Engine& engine, std::string& out) {
  const SlabStats stats = engine.tree().slab_stats();
  Composer reply(out);
  for (std::size_t id = 1; id <= kSlabClasses.largest; ++id) {
    const SlabUsage& usage = stats.classes[id];
    if (usage.items == 0) continue;  // memcached lists the classes that hold items
    const auto stat = [&](const char* name, uint64_t value) {
      reply.stat(class_stat("items:", id, name), value);
    };
    stat("number", usage.items);
    // One LRU here: every value is in memcached's terms cold, and no age is kept per class.
    stat("number_hot", 0);
    stat("number_warm", 0);
    stat("number_cold", usage.items);
    stat("age_hot", 0);
    stat("age_warm", 0);
    stat("age", 0);
    stat("mem_requested", usage.requested);
    stat("evicted", usage.evicted);
    stat("evicted_nonzero", 0);
    stat("evicted_time", 0);
    stat("outofmemory", 0);
    stat("tailrepairs", 0);
    stat("reclaimed", usage.reclaimed);
    stat("expired_unfetched", usage.expired_unfetched);
    stat("evicted_unfetched", usage.evicted_unfetched);
    for (const char* name :
         {"evicted_active", "crawler_reclaimed", "crawler_items_checked", "lrutail_reflocked",
          "moves_to_cold", "moves_to_warm", "moves_within_lru", "direct_reclaims", "hits_to_hot",
          "hits_to_warm", "hits_to_cold", "hits_to_temp"}) {
      stat(name, 0);
    }
  }
  reply.reply(Reply::end);
}

void stats_sizes(std::string& out) {
  // memcached 1.6.18's answer unless -o track_sizes (or stats sizes_enable) turned the
  // histogram on, which nestcached does not offer.
  Composer reply(out);
  reply.stat("sizes_status", "disabled");
  reply.reply(Reply::end);
}

}  // namespace nestcache
