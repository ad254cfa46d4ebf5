// libFuzzer target for BinaryParser::parse. As parser_fuzz does for the text parser: the wire
// bytes are parsed as a session would (the unconsumed bytes re-offered after every read), once
// all at once and once cut into reads, and the contract is checked: need_more consumes nothing
// and wants more than is buffered, never more than a header, extras and key (about 64 KiB) or
// a value -I accepted; every other result consumes something and no more than it was given; a
// value lies inside its request and within -I; and cutting the bytes into reads changes nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "nestcache/common/item_size.h"
#include "nestcache/protocol/binary_parser.h"

namespace nestcache::fuzz {
namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "binary parser contract broken: %s\n", what);
    std::abort();
  }
}

std::string describe(const ParseResult& result, const BinaryRequest& r, const Command& c) {
  std::string d = std::to_string(static_cast<int>(result.status)) + "/" +
                  std::to_string(static_cast<int>(result.error)) + "/" +
                  std::string(result.detail) + "/" + std::to_string(result.consumed);
  if (result.status != ParseStatus::complete && result.status != ParseStatus::error) return d;
  d += "/" + std::to_string(static_cast<int>(r.opcode)) + (r.quiet ? "q" : "-") +
       (r.close_after_reply ? "c" : "-") + std::to_string(r.opaque) + "," + std::to_string(r.cas);
  if (result.status != ParseStatus::complete) return d;
  for (std::string_view s : c.path) d += "|" + std::string(s);
  d += "#" + std::string(r.key) + "#" + std::to_string(c.flags) + "," + std::to_string(c.exptime) +
       "," + std::to_string(c.delta) + "," + std::to_string(r.initial) + "," +
       std::to_string(r.expiration) + "," + std::string(c.data);
  return d;
}

std::vector<std::string> run(const Input& in, std::size_t chunk) {
  BinaryParser parser(in.parse);
  BinaryRequest request;
  Command command;
  std::vector<std::string> results;
  std::string buffer;
  std::size_t offered = 0;
  std::size_t skipped = 0;
  // The most a request can make a session hold before it is answered.
  const std::size_t most = std::max<std::size_t>(
      binary::kHeaderSize + 255 + 65535, binary::kHeaderSize + 8 + 250 + in.parse.max_item_size);
  while (offered < in.wire.size()) {
    const std::size_t n =
        chunk == 0 ? in.wire.size() - offered : std::min(chunk, in.wire.size() - offered);
    buffer.append(in.wire.substr(offered, n));
    offered += n;
    for (;;) {
      const ParseResult result = parser.parse(buffer, request, command);
      if (result.status == ParseStatus::need_more) {
        check(result.consumed == 0, "need_more consumed bytes");
        check(parser.wanted() == 0 || parser.wanted() > buffer.size(),
              "wanted() no more than what is buffered");
        check(parser.wanted() <= most, "wanted() more than a request may hold");
        break;
      }
      if (result.status == ParseStatus::close) {
        if (skipped > 0) results.push_back("skipped " + std::to_string(skipped));
        results.push_back("close");
        return results;
      }
      check(result.consumed > 0, "a result that consumed nothing");
      check(result.consumed <= buffer.size(), "consumed more than the input");
      if (result.status == ParseStatus::complete && !command.data.empty()) {
        const char* begin = buffer.data();
        check(command.data.data() >= begin &&
                  command.data.data() + command.data.size() <= begin + result.consumed,
              "a value outside the request");
        check(memcached_item_size(request.key.size(), command.flags, command.data.size()) <=
                  in.parse.max_item_size,
              "a value over -I");
      }
      if (result.status == ParseStatus::skipped) {
        skipped += result.consumed;
      } else {
        if (skipped > 0) results.push_back("skipped " + std::to_string(skipped));
        skipped = 0;
        results.push_back(describe(result, request, command));
      }
      buffer.erase(0, result.consumed);
    }
  }
  if (skipped > 0) results.push_back("skipped " + std::to_string(skipped));
  return results;
}

}  // namespace
}  // namespace nestcache::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace nestcache::fuzz;
  const Input in = decode(data, size);
  const std::vector<std::string> whole = run(in, 0);
  const std::vector<std::string> cut = run(in, in.chunk == 0 ? 1 : in.chunk);
  check(whole == cut, "cutting the input into reads changed the results");
  return 0;
}
