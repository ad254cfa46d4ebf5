// libFuzzer target for parse + execute: the wire bytes go through the Parser and the Engine on a
// real Tree, as one connection's requests (cut into reads as the settings byte says). A manual
// clock moves one second per request, so expiry and delayed flushes happen, and the tree's
// reclaimer pass runs every few requests. Checked: no crash, no sanitizer report, every
// request answered in well-formed lines, and the tree left consistent enough for a full walk.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "engine contract broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace nestcache;
  const fuzz::Input in = fuzz::decode(data, size);
  Options options;
  options.compat = in.parse.compat;
  options.key_separator = in.parse.separator;
  options.max_item_size = in.parse.max_item_size;
  options.max_depth = in.parse.max_depth;
  options.strict_parents = in.strict_parents;
  options.memory_limit_mb = 1;  // small, so a limit can be reached

  ManualClock clock;
  Tree tree(clock, tree_options(options));
  StatsRegistry stats;
  Counters& counters = stats.make_counters();
  Engine engine(tree, clock, stats, options);
  Parser parser(in.parse);
  Command command;

  std::string buffer;
  std::string out;
  std::size_t offered = 0;
  std::size_t requests = 0;
  bool closed = false;
  while (!closed && offered < in.wire.size()) {
    const std::size_t n =
        in.chunk == 0 ? in.wire.size() - offered : std::min(in.chunk, in.wire.size() - offered);
    buffer.append(in.wire.substr(offered, n));
    offered += n;
    while (!closed) {
      const ParseResult result = parser.parse(buffer, command);
      if (result.status == ParseStatus::need_more) break;
      const std::size_t before = out.size();
      switch (result.status) {
        case ParseStatus::complete:
          closed = engine.execute(command, counters, out) == Outcome::close;
          break;
        case ParseStatus::error:
          engine.reject(result, command, counters, out);
          break;
        case ParseStatus::close:
          closed = true;
          break;
        default:
          break;
      }
      if (out.size() > before) check(out.ends_with("\r\n"), "a reply not ending in \\r\\n");
      buffer.erase(0, result.consumed);
      if (result.status != ParseStatus::skipped && ++requests % 8 == 0) {
        clock.advance(1);
        tree.collect(64);
      }
      if (out.size() > (1u << 22)) out.clear();  // replies are not kept
    }
  }
  // The whole tree can still be walked, and then freed.
  std::size_t values = 0;
  tree.walk({}, [&](const Path&, const ValueView&) { ++values; });
  Command flush;
  flush.verb = Verb::flush_all;
  out.clear();
  engine.execute(flush, counters, out);
  check(out == "OK\r\n", "flush_all did not answer OK");
  while (tree.collect(1 << 20)) {
  }
  return 0;
}
