// The meta commands (mg ms md ma mn me) through the request parser, swept over fragment sizes
// as every parser test is (parser_sweep.h): a meta line or an ms data block split anywhere
// parses the same. The errors are memcached 1.6.18's (tests/compat/sessions/meta-*.txt).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "parser_sweep.h"

namespace nestcache {
namespace {

using namespace parser_testing;

class MetaSweep : public ParserSweep {};

INSTANTIATE_TEST_SUITE_P(Fragments, MetaSweep, ::testing::ValuesIn(kChunkSizes), chunk_name);

Event meta_error(std::string_view request, std::string detail, Verb verb) {
  Event event = rejected(request, ParseError::meta_error, verb);
  event.detail = std::move(detail);
  return event;
}

TEST_P(MetaSweep, MgKeepsItsFlagsInOrder) {
  const std::string in = "mg users:42 v k O123 t\r\n";
  EXPECT_THAT(
      run(in),
      ElementsAre(
          complete(in, Verb::mg).with_path({"users:42"}).with_args({"v", "k", "O123", "t"})));
}

TEST_P(MetaSweep, KeySeparatorSplitsTheOneKeyToken) {
  options_.separator = ':';
  const std::string in = "md users:42 q\r\n";
  EXPECT_THAT(run(in), ElementsAre(complete(in, Verb::md)
                                       .with_path({"users", "42"})
                                       .with_tokens({"users:42"})
                                       .with_args({"q"})));
}

TEST_P(MetaSweep, MsTakesItsDataBlock) {
  const std::string in = "ms k 5 F7 T0 c\r\nhello\r\n";
  EXPECT_THAT(run(in), ElementsAre(complete(in, Verb::ms)
                                       .with_path({"k"})
                                       .with_flags(7)
                                       .with_data("hello")
                                       .with_args({"F7", "T0", "c"})));
}

TEST_P(MetaSweep, MsBadFlagDiscardsTheBlockItAnnounced) {
  const std::string line = "ms k 5 !\r\n", block = "hello\r\n", next = "mn\r\n";
  EXPECT_THAT(merge_skipped(run(line + block + next)),
              ElementsAre(meta_error(line, "invalid flag", Verb::ms), skipped(block.size()),
                          complete(next, Verb::mn)));
}

TEST_P(MetaSweep, Base64KeyIsDecoded) {
  const std::string in = "mg Zm9vIGJhcg== b v\r\n";  // "foo bar"
  auto events = run(in);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].status, ParseStatus::complete);
  EXPECT_THAT(events[0].path, ElementsAre("foo bar"));
}

TEST_P(MetaSweep, ErrorsAreMemcachedsTexts) {
  const std::string dup = "mg k v v\r\n", opaque = "mg k O" + std::string(33, 'x') + "\r\n",
                    mode = "ma k MX\r\n", bare = "mg\r\n", too_many = "mg k";
  std::string many = too_many;
  for (int i = 0; i < 19; ++i) many += " k";
  many += "\r\n";
  EXPECT_THAT(run(dup + opaque + mode + bare + many),
              ElementsAre(meta_error(dup, "duplicate flag", Verb::mg),
                          meta_error(opaque, "opaque token too long", Verb::mg),
                          meta_error(mode, "invalid mode for ma M token", Verb::ma),
                          rejected(bare, ParseError::unknown_command, Verb::mg),
                          meta_error(many, "options flags are too long", Verb::mg)));
}

TEST_P(MetaSweep, MnAndMe) {
  const std::string mn = "mn\r\n", me = "me k\r\n";
  EXPECT_THAT(run(mn + me),
              ElementsAre(complete(mn, Verb::mn), complete(me, Verb::me).with_path({"k"})));
}

}  // namespace
}  // namespace nestcache
