// libFuzzer target for Parser::parse. The wire bytes are parsed as a connection would (the
// unconsumed bytes re-offered after every read), once all at once and once cut into reads, and
// the parser's contract is checked: need_more consumes nothing, everything else consumes
// something and never more than it was given, a data block lies inside the input, and cutting
// the bytes into reads changes nothing but where a line with no newline is cut off.
//
// Built as meta_fuzz (NESTCACHE_FUZZ_META), every line of the input is made a meta command
// first (meta_lines), so that the fuzzer spends its time in the meta rules (meta_parser.cc,
// meta_flags.cc) rather than finding their names.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "nestcache/protocol/parser.h"

namespace nestcache::fuzz {
namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "parser contract broken: %s\n", what);
    std::abort();
  }
}

// One parse result, reduced to what must not depend on how the bytes arrived.
std::string describe(const ParseResult& result, const Command& c) {
  std::string d;
  d += std::to_string(static_cast<int>(result.status)) + "/" +
       std::to_string(static_cast<int>(result.error)) + "/" + std::string(result.detail) + "/";
  if (result.status != ParseStatus::complete && result.status != ParseStatus::error) return d;
  d += std::to_string(static_cast<int>(c.verb)) + (c.noreply ? "n" : "-");
  for (std::string_view s : c.path) d += "|" + std::string(s);
  d += "#";
  for (std::string_view k : c.keys) d += "|" + std::string(k);
  d += "#" + std::to_string(c.flags) + "," + std::to_string(c.exptime) + "," +
       std::to_string(c.cas_unique) + "," + std::to_string(c.delta) + "," +
       std::to_string(c.delay) + "," + std::to_string(c.has_delay) + "," + std::to_string(c.level) +
       "," + std::to_string(c.megabytes) + "," + std::string(c.data) + "," +
       std::string(c.stats_args);
  return d;
}

// Runs the wire bytes through a parser as a connection does; returns the results in order
// (consecutive skipped blocks merged: how a discarded block is split depends on the reads).
std::vector<std::string> run(const Input& in, std::size_t chunk, bool& closed) {
  Parser parser(in.parse);
  std::vector<std::string> results;
  std::string buffer;  // received and not yet consumed
  std::size_t offered = 0;
  std::size_t skipped = 0;
  closed = false;
  Command command;
  while (!closed) {
    // One more "read".
    if (offered == in.wire.size()) break;
    const std::size_t n =
        chunk == 0 ? in.wire.size() - offered : std::min(chunk, in.wire.size() - offered);
    buffer.append(in.wire.substr(offered, n));
    offered += n;
    for (;;) {
      const ParseResult result = parser.parse(buffer, command);
      if (result.status == ParseStatus::need_more) {
        check(result.consumed == 0, "need_more consumed bytes");
        check(parser.wanted() == 0 || parser.wanted() > buffer.size(),
              "wanted() no more than what is buffered");
        break;
      }
      check(result.consumed > 0 || result.status == ParseStatus::close,
            "a result that consumed nothing");
      check(result.consumed <= buffer.size(), "consumed more than the input");
      if (result.status == ParseStatus::complete && is_storage(command.verb)) {
        const char* begin = buffer.data();
        check(command.data.data() >= begin &&
                  command.data.data() + command.data.size() <= begin + result.consumed,
              "a data block outside the request");
        check(command.data.size() <= in.parse.max_item_size, "a data block over -I");
      }
      if (result.status == ParseStatus::skipped) {
        skipped += result.consumed;
      } else {
        if (skipped > 0) results.push_back("skipped " + std::to_string(skipped));
        skipped = 0;
        results.push_back(describe(result, command));
      }
      buffer.erase(0, result.consumed);
      if (result.status == ParseStatus::close) {
        closed = true;
        break;
      }
    }
  }
  if (skipped > 0) results.push_back("skipped " + std::to_string(skipped));
  return results;
}

#ifdef NESTCACHE_FUZZ_META
// A line that starts with 'm' is kept (the meta seeds stay as they are); any other line's first
// byte is replaced by the name of a meta command it picks, and a space.
std::string meta_lines(std::string_view wire) {
  static constexpr std::string_view kNames[] = {"mg ", "ms ", "md ", "ma ", "mn", "me "};
  std::string out;
  bool line_start = true;
  for (const char c : wire) {
    if (line_start && c != 'm') {
      out.append(kNames[static_cast<uint8_t>(c) % std::size(kNames)]);
      line_start = false;
      continue;
    }
    line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}
#endif

}  // namespace
}  // namespace nestcache::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace nestcache::fuzz;
  Input in = decode(data, size);
#ifdef NESTCACHE_FUZZ_META
  const std::string meta_wire = meta_lines(in.wire);
  in.wire = meta_wire;
#endif
  bool whole_closed = false;  // implies cut_closed: the same unfinished line ends both inputs
  bool cut_closed = false;
  const std::vector<std::string> whole = run(in, 0, whole_closed);
  const std::vector<std::string> cut = run(in, in.chunk == 0 ? 1 : in.chunk, cut_closed);
  // Cutting the bytes into reads may only close the connection earlier (at a line that has
  // no newline yet past the cutoff); up to that close, the results are the same.
  if (cut != whole) {
    check(cut_closed, "cutting the input into reads changed the results");
    check(cut.size() - 1 <= whole.size(), "the cut run closed after more results");
    for (std::size_t i = 0; i + 1 < cut.size(); ++i) {
      check(cut[i] == whole[i], "cutting the input into reads changed the results");
    }
  }
  return 0;
}
