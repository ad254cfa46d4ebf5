// libFuzzer target for the whole path below the socket: the wire bytes go through a Session
// (parser, engine, a real Tree) as one connection's requests, cut into reads as the settings
// byte says, and long replies taken a part at a time as the connection takes them. A manual
// clock moves one second per eight feeds (about a request each), so expiry and delayed flushes
// happen, and the tree's reclaimer pass runs every few requests. Checked: no crash, no sanitizer
// report, every request answered in well-formed lines (in whole reply packets when the input
// begins with the binary magic, 0x80), and the tree left consistent enough for a full walk.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/server/module_options.h"
#include "nestcache/session/session.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"

namespace {

// Whether `out` is whole binary reply packets (magic 0x81, the body its header announces).
bool whole_packets(std::string_view out) {
  while (!out.empty()) {
    if (out.size() < 24 || static_cast<uint8_t>(out[0]) != 0x81) return false;
    const auto byte = [&](std::size_t i) { return static_cast<uint8_t>(out[i]); };
    const std::size_t body = (std::size_t{byte(8)} << 24) | (std::size_t{byte(9)} << 16) |
                             (std::size_t{byte(10)} << 8) | byte(11);
    if (out.size() < 24 + body) return false;
    out.remove_prefix(24 + body);
  }
  return true;
}

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
  Engine engine(tree, clock, stats, engine_options(options));
  Session session(engine, counters);

  const bool binary = !in.wire.empty() && static_cast<uint8_t>(in.wire[0]) == 0x80;
  std::string buffer;
  std::string out;
  std::size_t offered = 0;
  std::size_t feeds = 0;
  bool closed = false;
  while (!closed && offered < in.wire.size()) {
    const std::size_t n =
        in.chunk == 0 ? in.wire.size() - offered : std::min(in.chunk, in.wire.size() - offered);
    buffer.append(in.wire.substr(offered, n));
    offered += n;
    for (;;) {
      const std::size_t before = out.size();
      // An output bound one byte past what is there: a feed answers about one request, so the
      // clock moves between requests.
      const Fed fed = session.feed(buffer, out, out.size() + 1);
      if (out.size() > before) {
        if (binary) {
          check(whole_packets(std::string_view(out).substr(before)), "a broken reply packet");
        } else {
          check(out.ends_with("\r\n"), "a reply not ending in \\r\\n");
        }
      }
      check(fed.consumed <= buffer.size(), "consumed more than it was given");
      buffer.erase(0, fed.consumed);
      if (++feeds % 8 == 0) {
        clock.advance(1);
        tree.collect(64);
      }
      if (out.size() > (1u << 22)) out.clear();  // replies are not kept
      if (fed.state == SessionState::close) {
        closed = true;
        break;
      }
      if (fed.state == SessionState::want_input) break;
    }
  }
  // The whole tree can still be walked, and then freed.
  std::size_t values = 0;
  tree.walk({}, [&](const Path&, const ValueView&) { ++values; });
  Session last(engine, counters);
  out.clear();
  last.feed("flush_all\r\n", out);
  check(out == "OK\r\n", "flush_all did not answer OK");
  while (tree.collect(1 << 20)) {
  }
  return 0;
}
