// The binary request parser, fed the way a session feeds it, every test swept over fragment
// sizes (kChunkSizes) as the text parser's are: a frame split anywhere, even inside its header,
// must parse the same. The shapes and what each error consumes are memcached 1.6.18's
// (tests/compat/binary_diff.py checks the replies against the real server).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nestcache/protocol/binary_parser.h"
#include "parser_sweep.h"

namespace nestcache {
namespace {

using binary::Opcode;
using parser_testing::kChunkSizes;
using ::testing::ElementsAre;

// A request frame: header (lengths from what is given unless overridden), extras, key, value.
struct Frame {
  uint8_t opcode = 0;
  std::string extras, key, value;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  int64_t bodylen = -1;  // -1: the real one
  int64_t keylen = -1;
  uint8_t magic = binary::kRequestMagic;

  std::string bytes() const {
    std::string out;
    auto put = [&](uint64_t v, int n) {
      for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
    };
    put(magic, 1);
    put(opcode, 1);
    put(keylen < 0 ? key.size() : static_cast<uint64_t>(keylen), 2);
    put(extras.size(), 1);
    put(0, 1);
    put(0, 2);
    put(bodylen < 0 ? extras.size() + key.size() + value.size() : static_cast<uint64_t>(bodylen),
        4);
    put(opaque, 4);
    put(cas, 8);
    return out + extras + key + value;
  }
};

std::string be(uint64_t v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

Frame set_frame(Opcode op, std::string key, std::string value, uint32_t flags = 0,
                uint32_t exptime = 0) {
  return Frame{static_cast<uint8_t>(op), be(flags, 4) + be(exptime, 4), std::move(key),
               std::move(value)};
}

Frame bare(Opcode op, uint32_t opaque = 0) {
  Frame f;
  f.opcode = static_cast<uint8_t>(op);
  f.opaque = opaque;
  return f;
}

Frame key_frame(Opcode op, std::string key, std::string extras = {}) {
  return Frame{static_cast<uint8_t>(op), std::move(extras), std::move(key), {}};
}

// One result with the fields copied out of the buffer.
struct Event {
  ParseStatus status = ParseStatus::complete;
  std::size_t consumed = 0;
  ParseError error = ParseError::none;
  uint8_t opcode = 0;
  bool quiet = false;
  bool close_after = false;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::vector<std::string> path;
  std::string key, data;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint64_t delta = 0, initial = 0;
  uint32_t expiration = 0;

  bool operator==(const Event&) const = default;
};

void PrintTo(const Event& e, std::ostream* os) {
  *os << "{status=" << int(e.status) << " consumed=" << e.consumed << " error=" << int(e.error)
      << " op=" << int(e.opcode) << " quiet=" << e.quiet << " close=" << e.close_after
      << " opaque=" << e.opaque << " cas=" << e.cas << " path=" << ::testing::PrintToString(e.path)
      << " key=" << ::testing::PrintToString(e.key) << " data.size=" << e.data.size()
      << " flags=" << e.flags << " exptime=" << e.exptime << " delta=" << e.delta
      << " initial=" << e.initial << " expiration=" << e.expiration << "}";
}

Event done(const Frame& f, std::size_t consumed = 0) {
  Event e;
  e.consumed = consumed ? consumed : f.bytes().size();
  e.opcode = f.opcode;
  e.opaque = f.opaque;
  e.cas = f.cas;
  e.key = f.key;
  return e;
}

Event failed(const Frame& f, ParseError error, std::size_t consumed, bool close_after) {
  Event e;
  e.status = ParseStatus::error;
  e.consumed = consumed;
  e.error = error;
  e.opcode = f.opcode;
  e.close_after = close_after;
  return e;
}

Event skipped(std::size_t bytes) {
  Event e;
  e.status = ParseStatus::skipped;
  e.consumed = bytes;
  return e;
}

class BinarySweep : public ::testing::TestWithParam<std::size_t> {
 protected:
  // Feeds `input` GetParam() bytes at a time, parsing after each arrival until need_more.
  std::vector<Event> run(std::string_view input) {
    BinaryParser parser(options_);
    BinaryRequest request;
    Command command;
    std::string buffer;
    std::vector<Event> events;
    for (std::size_t sent = 0; sent < input.size(); sent += GetParam()) {
      buffer.append(input.substr(sent, GetParam()));
      for (;;) {
        const ParseResult result = parser.parse(buffer, request, command);
        if (result.status == ParseStatus::need_more) {
          EXPECT_EQ(result.consumed, 0u);
          EXPECT_TRUE(parser.wanted() == 0 || parser.wanted() > buffer.size());
          break;
        }
        events.push_back(snapshot(result, request, command));
        if (result.status == ParseStatus::close) return events;
        buffer.erase(0, result.consumed);
      }
    }
    left_ = buffer.size();
    // How a discarded body is cut depends on the reads; the sum does not.
    std::vector<Event> merged;
    for (Event& e : events) {
      if (e.status == ParseStatus::skipped && !merged.empty() &&
          merged.back().status == ParseStatus::skipped) {
        merged.back().consumed += e.consumed;
      } else {
        merged.push_back(std::move(e));
      }
    }
    return merged;
  }

  static Event snapshot(const ParseResult& result, const BinaryRequest& r, const Command& c) {
    Event e;
    e.status = result.status;
    e.consumed = result.consumed;
    e.error = result.error;
    if (result.status == ParseStatus::skipped || result.status == ParseStatus::close) return e;
    e.opcode = static_cast<uint8_t>(r.opcode);
    e.close_after = r.close_after_reply;
    if (result.status == ParseStatus::error) return e;
    e.quiet = r.quiet;
    e.opaque = r.opaque;
    e.cas = r.cas;
    e.path.assign(c.path.begin(), c.path.end());
    e.key = std::string(r.key);
    e.data = std::string(c.data);
    e.flags = c.flags;
    e.exptime = c.exptime;
    e.delta = c.delta;
    e.initial = r.initial;
    e.expiration = r.expiration;
    return e;
  }

  ParseOptions options_;
  std::size_t left_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Fragments, BinarySweep, ::testing::ValuesIn(kChunkSizes),
                         parser_testing::chunk_name);

TEST_P(BinarySweep, GetFamilyTakesTheKeyAsOnePath) {
  Frame get = key_frame(Opcode::get, "users:42");
  get.opaque = 0xdeadbeef;
  const Frame getkq = key_frame(Opcode::getkq, "k");
  Event a = done(get);
  a.path = {"users:42"};
  Event b = done(getkq);
  b.path = {"k"};
  b.quiet = true;
  EXPECT_THAT(run(get.bytes() + getkq.bytes()), ElementsAre(a, b));
  EXPECT_EQ(left_, 0u);
}

TEST_P(BinarySweep, KeySeparatorSplitsTheKey) {
  options_.separator = ':';
  const Frame get = key_frame(Opcode::getk, "users:42:name");
  Event a = done(get);
  a.path = {"users", "42", "name"};
  const Frame empty = key_frame(Opcode::get, "a::b");
  Event b = failed(empty, ParseError::bad_path, empty.bytes().size(), false);
  EXPECT_THAT(run(get.bytes() + empty.bytes()), ElementsAre(a, b));
}

TEST_P(BinarySweep, KeysAreBytes) {
  const Frame get = key_frame(Opcode::get, std::string("a b\0\x01\xff", 6));
  Event a = done(get);
  a.path = {get.key};
  EXPECT_THAT(run(get.bytes()), ElementsAre(a));
}

TEST_P(BinarySweep, SetCarriesFlagsExptimeCasAndTheValue) {
  Frame set = set_frame(Opcode::setq, "k", std::string(3000, 'v'), 0xfffffffe, 0xfffffff0);
  set.cas = 77;
  Event e = done(set);
  e.path = {"k"};
  e.quiet = true;
  e.data = set.value;
  e.flags = 0xfffffffe;
  e.exptime = 0xfffffff0;  // unsigned: far ahead, never negative
  EXPECT_THAT(run(set.bytes()), ElementsAre(e));
}

TEST_P(BinarySweep, AppendHasNoExtras) {
  const Frame append{static_cast<uint8_t>(Opcode::append), {}, "k", "tail"};
  Event e = done(append);
  e.path = {"k"};
  e.data = "tail";
  EXPECT_THAT(run(append.bytes()), ElementsAre(e));
}

TEST_P(BinarySweep, IncrAndTouchExtras) {
  const Frame incr = key_frame(Opcode::incrementq, "n", be(5, 8) + be(10, 8) + be(0xffffffff, 4));
  const Frame gat = key_frame(Opcode::gatk, "t", be(300, 4));
  const Frame flush{static_cast<uint8_t>(Opcode::flush), be(9, 4), {}, {}};
  Event a = done(incr);
  a.path = {"n"};
  a.quiet = true;
  a.delta = 5;
  a.initial = 10;
  a.expiration = 0xffffffff;
  Event b = done(gat);
  b.path = {"t"};
  b.exptime = 300;
  b.expiration = 300;
  Event c = done(flush);
  c.exptime = 9;
  c.expiration = 9;
  EXPECT_THAT(run(incr.bytes() + gat.bytes() + flush.bytes()), ElementsAre(a, b, c));
}

TEST_P(BinarySweep, TooLargeIsRefusedBeforeTheValueArrivesAndDiscarded) {
  options_.max_item_size = 1024;
  // memcached's item: 48 + key + 1 + value + 2 + 8 (+ 4 with flags).
  const std::size_t edge = 1024 - 48 - 1 - 1 - 2 - 8;
  const Frame fits = set_frame(Opcode::set, "k", std::string(edge, 'a'));
  const Frame over = set_frame(Opcode::set, "k", std::string(edge + 1, 'b'));
  const Frame flagged = set_frame(Opcode::add, "k", std::string(edge - 3, 'c'), 1);
  const Frame noop = bare(Opcode::noop);
  Event a = done(fits);
  a.path = {"k"};
  a.data = fits.value;
  const std::size_t head = binary::kHeaderSize + 8 + 1;
  EXPECT_THAT(run(fits.bytes() + over.bytes() + flagged.bytes() + noop.bytes()),
              ElementsAre(a, failed(over, ParseError::too_large, head, false), skipped(edge + 1),
                          failed(flagged, ParseError::too_large, head, false), skipped(edge - 3),
                          done(noop)));
}

TEST_P(BinarySweep, AValueIsNotBufferedPastWhatArrived) {
  // A claimed 1 MiB value: need_more until it is all there, wanted() naming the whole frame.
  const Frame set = set_frame(Opcode::set, "k", std::string(1000, 'x'));
  std::string bytes = set.bytes();
  BinaryParser parser(options_);
  BinaryRequest request;
  Command command;
  const std::string partial = bytes.substr(0, 500);
  EXPECT_EQ(parser.parse(partial, request, command).status, ParseStatus::need_more);
  EXPECT_EQ(parser.wanted(), bytes.size());
}

TEST_P(BinarySweep, UnknownOpcodeDiscardsABodyAfterItsKeyAsMemcachedDoes) {
  Frame unknown{0x40, {}, "abc", "12345"};  // bodylen 8: 8 more bytes after the key go
  const Frame noop = bare(Opcode::noop);
  EXPECT_THAT(
      run(unknown.bytes() + "xyz" + noop.bytes()),
      ElementsAre(failed(unknown, ParseError::unknown_command, 27, false), skipped(8), done(noop)));
}

TEST_P(BinarySweep, SaslWithoutSaslIsUnknownAndItsValueDiscarded) {
  const Frame auth{static_cast<uint8_t>(Opcode::sasl_auth), {}, "PLAIN", "secret"};
  const Frame list = bare(Opcode::sasl_list_mechs);
  EXPECT_THAT(run(auth.bytes() + list.bytes()),
              ElementsAre(failed(auth, ParseError::unknown_command, 29, false), skipped(6),
                          failed(list, ParseError::unknown_command, 24, false)));
}

TEST_P(BinarySweep, ShapeErrorsCloseAfterTheirReply) {
  Frame get_with_extras = key_frame(Opcode::get, "k", "1234");
  EXPECT_THAT(run(get_with_extras.bytes()),
              ElementsAre(failed(get_with_extras, ParseError::bad_format, 29, true)));
  Frame long_key = key_frame(Opcode::get, std::string(251, 'k'));
  EXPECT_THAT(run(long_key.bytes()),
              ElementsAre(failed(long_key, ParseError::bad_format, 24 + 251, true)));
  Frame short_body = key_frame(Opcode::get, "abc");
  short_body.bodylen = 2;
  EXPECT_THAT(run(short_body.bytes()),
              ElementsAre(failed(short_body, ParseError::unknown_command, 27, true)));
}

TEST_P(BinarySweep, StatAndTouchLeaveTheRestOfTheirBodyToTheNextRequest) {
  const Frame noop = bare(Opcode::noop, 5);
  const Frame stat{static_cast<uint8_t>(Opcode::stat), {}, "items", noop.bytes()};
  Event a = done(stat, 24 + 5);
  EXPECT_THAT(run(stat.bytes()), ElementsAre(a, done(noop)));
}

TEST_P(BinarySweep, ANonBinaryMagicClosesWithoutConsuming) {
  const Frame noop = bare(Opcode::noop);
  Frame bad = noop;
  bad.magic = 0x81;
  Event closed;
  closed.status = ParseStatus::close;
  EXPECT_THAT(run(noop.bytes() + bad.bytes()), ElementsAre(done(noop), closed));
}

}  // namespace
}  // namespace nestcache
