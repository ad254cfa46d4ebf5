// slabs, lru, lru_crawler: memcached's tuning commands. A tree has no slabs, no segmented LRU
// and no crawler thread (expired nodes are collected in the background anyway), so each
// subcommand is accepted where memcached would accept it, changes nothing but the crawler
// switch, and answers memcached 1.6.18's exact reply for every argument shape, errors included
// (tests/compat/sessions/admin-slabs.txt, admin-lru.txt, admin-lru-crawler.txt; protocol.md
// 5.13). `lru_crawler metadump` lists the keys (dump_ops.cc).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "dump_ops.h"
#include "handlers.h"
#include "nestcache/common/numbers.h"
#include "nestcache/protocol/composer.h"

namespace nestcache {
namespace {

// memcached's safe_strtod: strtod, the whole token, no overflow or underflow ("nan" and "inf"
// pass, as they do there).
bool parse_double(std::string_view text, double& out) {
  const std::string copy(text);  // a token of the line: bounded by the line limit
  char* end = nullptr;
  errno = 0;
  out = std::strtod(copy.c_str(), &end);
  return errno != ERANGE && end != copy.c_str() && *end == '\0';
}

// The id of memcached's largest slab class at this -I, as its slabs_init sets it up with the
// default -f 1.25 and -n 48: classes from 96 bytes, each 1.25 times the last rounded up to 8,
// until the next would pass slab_chunk_max / 1.25; slab_chunk_max is 512 KiB, or -I if smaller
// (memcached refuses a smaller -I unless -o slab_chunk_max is lowered to it). 39 at -I 1m.
int32_t largest_slab_class(std::size_t max_item_size) {
  const double chunk_max = static_cast<double>(std::min<std::size_t>(512 * 1024, max_item_size));
  constexpr double kFactor = 1.25;
  uint32_t size = 48 + 48;
  int32_t id = 0;
  while (++id < int32_t(kSlabClassIds) - 1) {
    if (size >= chunk_max / kFactor) break;
    if (size % 8 != 0) size += 8 - size % 8;
    size = static_cast<uint32_t>(size * kFactor);
  }
  return id;
}

// slabs reassign <src> <dst>: no class has a page to give (-1, "any class", finds none).
void slabs_reassign(Call& call, std::string_view src_text, std::string_view dst_text) {
  Composer reply(call.out);
  const auto src = parse_i32_truncating(src_text);
  const auto dst = parse_i32_truncating(dst_text);
  if (!src || !dst) {
    reply.error(ParseError::bad_format);
    return;
  }
  const int32_t largest = largest_slab_class(call.engine.options().protocol.max_item_size);
  if (*src == *dst) {
    reply.reply(Reply::slabs_same);
  } else if (*src < 0 || *src > largest || *dst < 0 || *dst > largest) {
    reply.reply(Reply::slabs_bad_class);
  } else {
    reply.reply(Reply::slabs_no_spare);
  }
}

// slabs automove <0|1|2> and slabs automove ratio <r>.
void slabs_automove(Call& call, const KeyTokens& args) {
  Composer reply(call.out);
  if (args[1] == "ratio") {
    double ratio = 0;
    reply.reply(args.size() >= 3 && parse_double(args[2], ratio) ? Reply::ok : Reply::error);
    return;
  }
  const auto level = parse_u32_truncating(args[1]);
  if (!level) {
    reply.error(ParseError::bad_format);
  } else {
    reply.reply(*level <= 2 ? Reply::ok : Reply::error);
  }
}

// lru tune <hot pct> <warm pct> <hot factor> <warm factor>: memcached adds the percentages in
// 32 bits, so `4294967295 81` passes as 80.
Reply lru_tune(const KeyTokens& args) {
  const auto hot = parse_u32_truncating(args[1]);
  const auto warm = parse_u32_truncating(args[2]);
  double hot_factor = 0, warm_factor = 0;
  if (!hot || !warm || !parse_double(args[3], hot_factor) || !parse_double(args[4], warm_factor))
    return Reply::error;
  if (static_cast<uint32_t>(*hot + *warm) > 80) return Reply::lru_pcts_too_high;
  if (warm_factor <= 0 || hot_factor <= 0) return Reply::lru_factors_not_positive;
  return Reply::ok;
}

// lru_crawler crawl <classes>: the background reclaimer already collects what expires.
void crawl(Call& call, std::string_view classes) {
  Composer reply(call.out);
  if (!call.engine.lru_crawler()) {
    reply.reply(Reply::crawler_disabled);
    return;
  }
  switch (read_crawl_classes(classes).kind) {
    case CrawlClasses::bad:
      reply.reply(Reply::crawler_bad_class);
      break;
    case CrawlClasses::hash:  // memcached walks its hash table only to dump it
      reply.reply(Reply::crawler_error);
      break;
    case CrawlClasses::none:
      reply.reply(Reply::crawler_not_started);
      break;
    case CrawlClasses::all:
    case CrawlClasses::some:
      reply.reply(Reply::ok);
      break;
  }
}

// lru_crawler sleep <us> and tocrawl <n>: checked, then nothing to pace.
void crawler_number(Call& call, std::string_view text, bool is_sleep) {
  Composer reply(call.out);
  const auto number = parse_u32_truncating(text);
  if (!number) {
    reply.error(ParseError::bad_format);
  } else if (is_sleep && *number > 1000000) {
    reply.reply(Reply::crawler_sleep_too_long);
  } else {
    reply.reply(Reply::ok);
  }
}

}  // namespace

namespace handlers {

void slabs(Call& call) {
  const KeyTokens& args = call.command.args;
  if (args.size() == 3 && args[0] == "reassign") {
    slabs_reassign(call, args[1], args[2]);
  } else if (args.size() >= 2 && args[0] == "automove") {
    slabs_automove(call, args);
  } else {
    Composer(call.out).reply(Reply::error);
  }
}

void lru(Call& call) {
  const KeyTokens& args = call.command.args;
  Composer reply(call.out);
  if (args.empty()) {  // the parser answers a bare `lru` itself
    reply.reply(Reply::error);
  } else if (args[0] == "tune" && args.size() >= 5) {
    reply.reply(lru_tune(args));
  } else if (args[0] == "mode" && args.size() >= 2) {
    reply.reply(args[1] == "flat" || args[1] == "segmented" ? Reply::ok : Reply::error);
  } else if (args[0] == "temp_ttl" && args.size() >= 2) {
    reply.reply(parse_i32_truncating(args[1]) ? Reply::ok : Reply::error);
  } else {
    reply.reply(Reply::error);
  }
}

void lru_crawler(Call& call) {
  const KeyTokens& args = call.command.args;
  Engine& engine = call.engine;
  Composer reply(call.out);
  if (args.size() == 2 && args[0] == "crawl") {
    crawl(call, args[1]);
  } else if (args.size() == 2 && args[0] == "metadump") {
    if (!engine.lru_crawler()) {
      reply.reply(Reply::crawler_disabled);
    } else {
      metadump(call, args[1]);
    }
  } else if (args.size() == 2 && (args[0] == "tocrawl" || args[0] == "sleep")) {
    crawler_number(call, args[1], args[0] == "sleep");
  } else if (args.size() == 1 && args[0] == "enable") {
    // memcached cannot start a crawler thread that is already running.
    reply.reply(engine.set_lru_crawler(true) ? Reply::crawler_start_failed : Reply::ok);
  } else if (args.size() == 1 && args[0] == "disable") {
    engine.set_lru_crawler(false);
    reply.reply(Reply::ok);
  } else {
    reply.reply(Reply::error);
  }
}

}  // namespace handlers
}  // namespace nestcache
