// The parser in its other modes: --key-separator splitting, and compat mode, whose
// expectations were checked against memcached 1.6.18. Same fragment sweep as parser_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "parser_sweep.h"

namespace nestcache {
namespace {

using namespace parser_testing;

class ModeSweep : public ParserSweep {};

INSTANTIATE_TEST_SUITE_P(Fragments, ModeSweep, ::testing::ValuesIn(kChunkSizes), chunk_name);

// ---- --key-separator ----

TEST_P(ModeSweep, SeparatorSplitsEveryKeyToken) {
  const std::string one = "set users:42:name 0 0 1\r\nx\r\n",
                    two = "set users:42 name 0 0 1\r\ny\r\n", get = "get users:42:name other\r\n",
                    del = "delete users:42\r\n";
  EXPECT_THAT(
      run(one + two + get + del, separated(':')),
      ElementsAre(complete(one, Verb::set)
                      .with_path({"users", "42", "name"})
                      .with_tokens({"users:42:name"})
                      .with_data("x"),
                  complete(two, Verb::set)
                      .with_path({"users", "42", "name"})
                      .with_tokens({"users:42", "name"})
                      .with_data("y"),
                  complete(get, Verb::get).with_keys({"users:42:name", "other"}),
                  complete(del, Verb::del).with_path({"users", "42"}).with_tokens({"users:42"})));
}

TEST_P(ModeSweep, SeparatorEmptySegmentIsBadPath) {
  const std::string get = "get a::b\r\n", set = "set a: 0 0 1\r\n", del = "delete :a\r\n",
                    lone = "getn a : b\r\n";
  EXPECT_THAT(run(get + set + del + lone, separated(':')),
              ElementsAre(bad_path(get, "empty path segment", Verb::get),
                          bad_path(set, "empty path segment", Verb::set),
                          bad_path(del, "empty path segment", Verb::del),
                          bad_path(lone, "empty path segment", Verb::getn)));
}

TEST_P(ModeSweep, SeparatorSegmentsCountTowardMaxDepth) {
  ParseOptions options = separated(':');
  options.max_depth = 3;
  const std::string deepest = "getn a:b:c\r\n", split = "getn a:b c:d\r\n", get = "get a:b:c:d\r\n";
  EXPECT_THAT(
      run(deepest + split + get, options),
      ElementsAre(complete(deepest, Verb::getn).with_path({"a", "b", "c"}).with_tokens({"a:b:c"}),
                  bad_path(split, "path too deep", Verb::getn),
                  bad_path(get, "path too deep", Verb::get)));
}

TEST_P(ModeSweep, SeparatorInCompatModeSplitsTheOneKey) {
  const std::string set = "set a:b 0 0 1\r\nx\r\n", get = "get a:\x01\r\n", empty = "get a::b\r\n";
  EXPECT_THAT(
      run(set + get + empty, separated(':', true)),
      ElementsAre(
          complete(set, Verb::set).with_path({"a", "b"}).with_tokens({"a:b"}).with_data("x"),
          complete(get, Verb::get).with_keys({"a:\x01"}),
          bad_path(empty, "empty path segment", Verb::get)));
}

// ---- compat mode (memcached 1.6.18's forms, checked against the real server) ----

TEST_P(ModeSweep, CompatStorageTakesExactlyOneKey) {
  const std::string set = "set k 5 10 3\r\nabc\r\n", path = "set a b 0 0 1\r\n", data = "x\r\n";
  EXPECT_THAT(
      run(set + path + data, compat_mode()),
      ElementsAre(
          complete(set, Verb::set).with_path({"k"}).with_flags(5).with_exptime(10).with_data("abc"),
          rejected(path, ParseError::bad_format, Verb::set),
          rejected(data, ParseError::unknown_command)));
}

TEST_P(ModeSweep, CompatStorageNoreplyAndOneIgnoredToken) {
  const std::string quiet = "set k 0 0 1 noreply\r\nx\r\n", extra = "set k 0 0 1 foo\r\ny\r\n",
                    cas = "cas k 0 0 1 9 bar\r\nz\r\n",
                    cas_quiet = "cas k 0 0 1 9 noreply\r\nw\r\n";
  EXPECT_THAT(run(quiet + extra + cas + cas_quiet, compat_mode()),
              ElementsAre(complete(quiet, Verb::set).with_path({"k"}).with_noreply().with_data("x"),
                          complete(extra, Verb::set).with_path({"k"}).with_data("y"),
                          complete(cas, Verb::cas).with_path({"k"}).with_cas(9).with_data("z"),
                          complete(cas_quiet, Verb::cas)
                              .with_path({"k"})
                              .with_cas(9)
                              .with_noreply()
                              .with_data("w")));
}

// memcached 1.6.18 takes a last token "noreply" as the option whatever the token count, so
// where it stands in place of a number the number is bad and the error is not sent
// (tests/compat/sessions/noreply-compat.txt).
TEST_P(ModeSweep, CompatNoreplyInPlaceOfANumberSilencesTheError) {
  const std::string cas = "cas a 0 0 1 noreply\r\n", set = "set a 0 0 noreply\r\n",
                    incr = "incr k noreply\r\n", touch = "touch k noreply\r\n";
  EXPECT_THAT(
      run(cas + set + incr + touch, compat_mode()),
      ElementsAre(rejected(cas, ParseError::bad_format, Verb::cas).with_noreply(),
                  rejected(set, ParseError::bad_format, Verb::set).with_noreply(),
                  rejected(incr, ParseError::invalid_delta, Verb::incr).with_noreply(),
                  rejected(touch, ParseError::invalid_exptime, Verb::touch).with_noreply()));
}

// memcached reads a request line as a C string: up to its first NUL byte.
TEST_P(ModeSweep, CompatLineEndsAtItsFirstNulByte) {
  using namespace std::string_literals;
  const std::string get = "get a\0b\r\n"s, set = "set k 0 0 1\0junk\r\nx\r\n"s,
                    cut = "set a\0b 0 0 1\r\n"s, data = "q\r\n";
  EXPECT_THAT(run(get + set + cut + data, compat_mode()),
              ElementsAre(complete(get, Verb::get).with_keys({"a"}),
                          complete(set, Verb::set).with_path({"k"}).with_data("x"),
                          rejected(cut, ParseError::unknown_command, Verb::set),
                          rejected(data, ParseError::unknown_command)));
}

TEST_P(ModeSweep, CompatStorageTokenCountErrorsIgnoreNoreply) {
  const std::string many = "set k 0 0 1 noreply extra\r\n", data = "x\r\n", few = "set k 0 0\r\n";
  EXPECT_THAT(run(many + data + few, compat_mode()),
              ElementsAre(rejected(many, ParseError::unknown_command, Verb::set),
                          rejected(data, ParseError::unknown_command),
                          rejected(few, ParseError::unknown_command, Verb::set)));
}

TEST_P(ModeSweep, CompatNumbersAreCutTo32BitsAsMemcachedDoes) {
  const std::string flags = "set k 4294967296 0 1\r\nx\r\n",
                    max = "set k 18446744073709551615 0 1\r\nx\r\n",
                    exptime = "set k 0 2147483648 1\r\nx\r\n",
                    wide = "set k 0 -9223372036854775808 1\r\nx\r\n",
                    bytes = "set k 0 0 4294967297\r\nx\r\n";
  EXPECT_THAT(
      run(flags + max + exptime + wide + bytes, compat_mode()),
      ElementsAre(
          complete(flags, Verb::set).with_path({"k"}).with_data("x"),
          complete(max, Verb::set).with_path({"k"}).with_flags(4294967295u).with_data("x"),
          complete(exptime, Verb::set).with_path({"k"}).with_exptime(-2147483648LL).with_data("x"),
          complete(wide, Verb::set).with_path({"k"}).with_data("x"),
          complete(bytes, Verb::set).with_path({"k"}).with_data("x")));
}

TEST_P(ModeSweep, CompatNumbersThatCutNegativeOrOverflowAreBadFormat) {
  const std::string bytes = "set k 0 0 4294967295\r\n", int_min = "set k 0 0 2147483648\r\n",
                    range = "set k 0 9223372036854775808 1\r\n", flags = "set k -1 0 1\r\n";
  EXPECT_THAT(run(bytes + int_min + range + flags, compat_mode()),
              ElementsAre(rejected(bytes, ParseError::bad_format, Verb::set),
                          rejected(int_min, ParseError::bad_format, Verb::set),
                          rejected(range, ParseError::bad_format, Verb::set),
                          rejected(flags, ParseError::bad_format, Verb::set)));
}

TEST_P(ModeSweep, CompatExptimeArgumentsAreCutTo32Bits) {
  const std::string touch = "touch k 2147483648\r\n", gat = "gat 2147483648 k\r\n",
                    flush = "flush_all 2147483648\r\n";
  EXPECT_THAT(run(touch + gat + flush, compat_mode()),
              ElementsAre(complete(touch, Verb::touch).with_path({"k"}).with_exptime(-2147483648LL),
                          complete(gat, Verb::gat).with_exptime(-2147483648LL).with_keys({"k"}),
                          complete(flush, Verb::flush_all).with_delay(-2147483648LL)));
}

TEST_P(ModeSweep, CompatLegacyDeleteForms) {
  const std::string plain = "delete k\r\n", zero = "delete k 0\r\n",
                    zero_quiet = "delete k 0 noreply\r\n", quiet = "delete k noreply\r\n",
                    key_noreply = "delete noreply\r\n";
  EXPECT_THAT(run(plain + zero + zero_quiet + quiet + key_noreply, compat_mode()),
              ElementsAre(complete(plain, Verb::del).with_path({"k"}),
                          complete(zero, Verb::del).with_path({"k"}),
                          complete(zero_quiet, Verb::del).with_path({"k"}).with_noreply(),
                          complete(quiet, Verb::del).with_path({"k"}).with_noreply(),
                          complete(key_noreply, Verb::del).with_path({"noreply"})));
}

TEST_P(ModeSweep, CompatDeleteBadShapes) {
  const std::string hold = "delete k 1\r\n", zeros = "delete k 0 0\r\n",
                    order = "delete k noreply 0\r\n", word = "delete k foo\r\n",
                    quiet = "delete k 1 noreply\r\n", many = "delete k 0 noreply x\r\n",
                    bare = "delete\r\n";
  Event quiet_usage = rejected(quiet, ParseError::delete_usage, Verb::del);
  EXPECT_THAT(
      run(hold + zeros + order + word + quiet + many + bare, compat_mode()),
      ElementsAre(rejected(hold, ParseError::delete_usage, Verb::del),
                  rejected(zeros, ParseError::delete_usage, Verb::del),
                  rejected(order, ParseError::delete_usage, Verb::del),
                  rejected(word, ParseError::delete_usage, Verb::del), quiet_usage.with_noreply(),
                  rejected(many, ParseError::unknown_command, Verb::del),
                  rejected(bare, ParseError::unknown_command, Verb::del)));
}

TEST_P(ModeSweep, CompatDeleteChecksItsShapeBeforeTheKeyLength) {
  const std::string k251(251, 'k');
  const std::string shape = "delete " + k251 + " 1\r\n", key = "delete " + k251 + "\r\n";
  EXPECT_THAT(run(shape + key, compat_mode()),
              ElementsAre(rejected(shape, ParseError::delete_usage, Verb::del),
                          rejected(key, ParseError::bad_format, Verb::del)));
}

TEST_P(ModeSweep, CompatIncrDecrTouchShapes) {
  const std::string incr = "incr k 5\r\n", quiet = "decr k 5 noreply\r\n",
                    extra = "incr k 5 foo\r\n", touch = "touch k 10 foo\r\n",
                    many = "incr k 1 2 3\r\n", path = "incr a b 5\r\n", bare = "touch k\r\n";
  EXPECT_THAT(run(incr + quiet + extra + touch + many + path + bare, compat_mode()),
              ElementsAre(complete(incr, Verb::incr).with_path({"k"}).with_delta(5),
                          complete(quiet, Verb::decr).with_path({"k"}).with_delta(5).with_noreply(),
                          complete(extra, Verb::incr).with_path({"k"}).with_delta(5),
                          complete(touch, Verb::touch).with_path({"k"}).with_exptime(10),
                          rejected(many, ParseError::unknown_command, Verb::incr),
                          rejected(path, ParseError::invalid_delta, Verb::incr),
                          rejected(bare, ParseError::unknown_command, Verb::touch)));
}

TEST_P(ModeSweep, CompatKeysMayHoldControlCharacters) {
  const std::string set = "set k\x01 0 0 1\r\nx\r\n", get = "get a\x7f b\x1f\r\n";
  EXPECT_THAT(run(set + get, compat_mode()),
              ElementsAre(complete(set, Verb::set).with_path({"k\x01"}).with_data("x"),
                          complete(get, Verb::get).with_keys({"a\x7f", "b\x1f"})));
}

TEST_P(ModeSweep, CompatKeyOf251BytesIsBadFormatAndItsBlockIsACommand) {
  const std::string k251(251, 'k');
  const std::string set = "set " + k251 + " 0 0 1 noreply\r\n", data = "x\r\n",
                    get = "get a " + k251 + "\r\n";
  Event quiet = rejected(set, ParseError::bad_format, Verb::set);
  EXPECT_THAT(run(set + data + get, compat_mode()),
              ElementsAre(quiet.with_noreply(), rejected(data, ParseError::unknown_command),
                          rejected(get, ParseError::bad_format, Verb::get)));
}

TEST_P(ModeSweep, CompatGatReadsItsExptimeBeforeLookingForKeys) {
  // memcached 1.6.18: "gat 0" is a get of no keys (END), "gat x" an exptime error.
  const std::string none = "gat 0\r\n", gats = "gats 5\r\n", word = "gat x\r\n", bare = "gat\r\n";
  EXPECT_THAT(run(none + gats + word + bare, compat_mode()),
              ElementsAre(complete(none, Verb::gat), complete(gats, Verb::gats).with_exptime(5),
                          rejected(word, ParseError::invalid_exptime, Verb::gat),
                          rejected(bare, ParseError::unknown_command, Verb::gat)));
}

TEST_P(ModeSweep, CompatVerbosityLevelIsCutTo32Bits) {
  const std::string wide = "verbosity 4294967296\r\n", negative = "verbosity -1\r\n";
  EXPECT_THAT(run(wide + negative, compat_mode()),
              ElementsAre(complete(wide, Verb::verbosity),
                          rejected(negative, ParseError::bad_format, Verb::verbosity)));
  EXPECT_THAT(run(wide), ElementsAre(rejected(wide, ParseError::bad_format, Verb::verbosity)));
}

TEST_P(ModeSweep, CompatHelpIsAnUnknownCommand) {
  const std::string help = "help\r\n", http = "help HTTP/1.1\r\n";
  EXPECT_THAT(run(help + http, compat_mode()),
              ElementsAre(rejected(help, ParseError::unknown_command), closed(http.size())));
}

TEST_P(ModeSweep, CompatHttpCheckFollowsMemcachedDispatch) {
  // memcached answers ERROR itself for unknown names starting with a c d g i s t.
  const std::string gex = "gex / HTTP/1.1\r\n", sex = "sex / HTTP/1.1\r\n",
                    xyz = "xyz / HTTP/1.1\r\n";
  EXPECT_THAT(run(gex + sex + xyz, compat_mode()),
              ElementsAre(rejected(gex, ParseError::unknown_command),
                          rejected(sex, ParseError::unknown_command), closed(xyz.size())));
}

TEST_P(ModeSweep, CompatKeepsTheExtensionCommands) {
  const std::string getn = "getn k\r\n", getns = "getns k\r\n", getch = "getch\r\n",
                    gettree = "gettree k\r\n";
  EXPECT_THAT(
      run(getn + getns + getch + gettree, compat_mode()),
      ElementsAre(complete(getn, Verb::getn).with_path({"k"}),
                  complete(getns, Verb::getns).with_path({"k"}), complete(getch, Verb::getch),
                  complete(gettree, Verb::gettree).with_path({"k"})));
}

}  // namespace
}  // namespace nestcache
