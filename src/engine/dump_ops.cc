// stats items, stats cachedump: memcached's per-slab-class views, which key-listing tools read
// (libmemcached's memcdump asks `stats cachedump <id> 0` for every class id below 64).
//
// A tree has no slab classes; everything is one pseudo class, id 1 (protocol.md 8.1). Its keys
// are the ones a plain client can name in one token: with --key-separator every valued node, its
// path joined by the separator; without, the valued top-level nodes (gettree lists the rest).
#include "dump_ops.h"
#include "nestcache/common/numbers.h"
#include "nestcache/protocol/composer.h"
#include "stats_args.h"

namespace nestcache {
namespace {

constexpr uint32_t kTreeClass = 1;
// memcached's MAX_NUMBER_OF_SLAB_CLASSES: ids from here on are "Illegal slab id".
constexpr uint32_t kSlabClassIds = 64;
// memcached's cap on one cachedump reply, END included: the line that would pass it is not sent.
// memcached checks `bytes so far + line + 6 > 2 MiB` (END\r\n and a NUL).
constexpr std::size_t kDumpRoom = 2 * 1024 * 1024 - 6;
constexpr std::size_t kDumpStepNodes = 1024;

// ITEM lines for the keys of the pseudo class, at most `limit` (0 = all) and 2 MiB.
void dump_keys(Engine& engine, uint32_t limit, std::string& out) {
  const std::size_t mark = out.size();
  const char separator = engine.options().protocol.separator;
  Composer reply(out);
  uint32_t listed = 0;
  bool full = false;
  WalkCursor cursor;
  // In bounded steps, each under one shard lock, like any long walk.
  while (!full && !engine.tree().walk_step(
                      {}, cursor, kDumpStepNodes, [&](const Path& path, const ValueView& value) {
                        if (separator == '\0' && path.size() > 1) return true;
                        const std::size_t before = out.size();
                        reply.item(path, separator, value.data.size(), value.exptime);
                        if (out.size() - mark > kDumpRoom) {
                          out.resize(before);
                          full = true;
                          return false;
                        }
                        full = limit != 0 && ++listed == limit;
                        return !full;
                      })) {
  }
}

}  // namespace

void stats_items(Engine& engine, std::string& out) {
  const TreeStats t = engine.tree().stats();
  Composer reply(out);
  if (t.items > 0) {  // memcached lists only the classes that hold items
    const CounterValues c = engine.stats().sum();
    reply.stat("items:1:number", t.items);
    reply.stat("items:1:mem_requested", t.bytes);
    reply.stat("items:1:evicted", t.evictions);
    reply.stat("items:1:outofmemory", c.store_no_memory);
    reply.stat("items:1:reclaimed", t.reclaimed);
    reply.stat("items:1:expired_unfetched", t.expired_unfetched);
    reply.stat("items:1:evicted_unfetched", t.evicted_unfetched);
  }
  reply.reply(Reply::end);
}

void cachedump(Engine& engine, std::string_view args, std::string& out) {
  Composer reply(out);
  const std::string_view id_text = next_token(args);
  const std::string_view limit_text = next_token(args);
  if (limit_text.empty()) {
    reply.error(ParseError::bad_stats_args);
    return;
  }
  // memcached reads both with safe_strtoul; what follows them is ignored.
  const auto id = parse_u32_truncating(id_text);
  const auto limit = parse_u32_truncating(limit_text);
  if (!id || !limit) {
    reply.error(ParseError::bad_format);
    return;
  }
  if (*id >= kSlabClassIds) {
    reply.reply(Reply::illegal_slab_id);
    return;
  }
  if (*id == kTreeClass) dump_keys(engine, *limit, out);
  reply.reply(Reply::end);
}

}  // namespace nestcache
