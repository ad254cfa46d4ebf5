// stats items, stats cachedump, lru_crawler metadump: memcached's per-slab-class views, which
// key-listing tools read (libmemcached's memcdump asks `stats cachedump <id> 0` for every class
// id below 64; memcached-tool's dump and keys modes send `lru_crawler metadump all`).
//
// A tree has no slab classes; everything is one pseudo class, id 1 (protocol.md 8.1). Its keys
// are the ones a plain client can name in one token: with --key-separator every valued node, its
// path joined by the separator; without, the valued top-level nodes (gettree lists the rest).
#include "dump_ops.h"
#include "nestcache/common/item_size.h"
#include "nestcache/common/numbers.h"
#include "nestcache/protocol/composer.h"
#include "reply_steps.h"
#include "tokens.h"

namespace nestcache {
namespace {

constexpr uint32_t kTreeClass = 1;
// memcached's cap on one cachedump reply, END included: the line that would pass it is not sent.
// memcached checks `bytes so far + line + 6 > 2 MiB` (END\r\n and a NUL).
constexpr std::size_t kDumpRoom = 2 * 1024 * 1024 - 6;
constexpr std::size_t kDumpStepNodes = 1024;

// Whether the pseudo class lists the node at `path` (see the top of this file).
bool in_tree_class(const Path& path, char separator) {
  return separator != '\0' || path.size() == 1;
}

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
                        if (!in_tree_class(path, separator)) return true;
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

CrawlClasses read_crawl_classes(std::string_view text) {
  CrawlClasses classes;
  if (text == "all") {
    classes.kind = CrawlClasses::all;
    return classes;
  }
  if (text == "hash") {
    classes.kind = CrawlClasses::hash;
    return classes;
  }
  while (!text.empty()) {
    const std::size_t comma = std::min(text.find(','), text.size());
    const std::string_view piece = text.substr(0, comma);
    text.remove_prefix(std::min(comma + 1, text.size()));
    if (piece.empty()) continue;
    const auto id = parse_u32_truncating(piece);
    if (!id || *id < kTreeClass || *id >= kSlabClassIds) {
      classes.kind = CrawlClasses::bad;
      return classes;
    }
    classes.kind = CrawlClasses::some;
    classes.tree_class = classes.tree_class || *id == kTreeClass;
  }
  return classes;
}

void metadump(Call& call, std::string_view text) {
  Composer reply(call.out);
  const CrawlClasses classes = read_crawl_classes(text);
  if (classes.kind == CrawlClasses::bad) {
    reply.reply(Reply::crawler_bad_class);
  } else if (classes.kind == CrawlClasses::none) {
    reply.reply(Reply::crawler_not_started);
  } else if (classes.kind == CrawlClasses::some && !classes.tree_class) {
    reply.reply(Reply::end);  // only empty classes
  } else {
    begin_long_reply(call, MetadumpReply());
  }
}

// Steps of at most kStepNodes nodes looked at and about kStepOutput bytes. The tree keeps no
// access time per value: la is the time of the dump, and fetch is yes, the dump being a read
// (as it is for cachedump and gettree). cls is the pseudo class; size is memcached's item size.
bool MetadumpReply::step(Engine& engine, Counters&, std::string& out) {
  const char separator = engine.options().protocol.separator;
  const int64_t now = engine.clock().now();
  Composer reply(out);
  const std::size_t mark = out.size();
  const bool done = engine.tree().walk_step(
      {}, cursor_, kStepNodes, [&](const Path& path, const ValueView& value) {
        if (!in_tree_class(path, separator)) return true;
        const MetadumpItem item{
            value.exptime, now,
            value.cas,     true,
            kTreeClass,    memcached_item_size(joined_size(path), value.flags, value.data.size())};
        reply.metadump_item(path, separator, item);
        return out.size() - mark < kStepOutput;
      });
  if (done) reply.reply(Reply::end);
  return done;
}

}  // namespace nestcache
