// The request parser, fed the way a connection feeds it. Every test runs through a sweep that
// re-splits its input into chunks of 100000, 1000, 100, 10, 5, 2 and 1 bytes (Seastar's
// memcached lesson), so a request split across reads is tested for free; each test pins one
// hazard (Dragonfly's lesson). Compat-mode expectations were checked against memcached 1.6.18.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "parser_sweep.h"

namespace nestcache {
namespace {

using namespace parser_testing;

INSTANTIATE_TEST_SUITE_P(Fragments, ParserSweep, ::testing::ValuesIn(kChunkSizes), chunk_name);

// ---- storage commands, nested mode ----

TEST_P(ParserSweep, SetTakesItsPathFromTheRight) {
  const std::string in = "set a b c 5 10 3\r\nxyz\r\n";
  EXPECT_THAT(run(in), ElementsAre(complete(in, Verb::set)
                                       .with_path({"a", "b", "c"})
                                       .with_flags(5)
                                       .with_exptime(10)
                                       .with_data("xyz")));
}

TEST_P(ParserSweep, EveryStorageVerbIsRecognized) {
  const std::string add = "add a 1 0 1\r\nA\r\n", replace = "replace a 2 0 1\r\nR\r\n",
                    append = "append a 3 0 1\r\nP\r\n", prepend = "prepend a 4 0 1\r\nQ\r\n",
                    cas = "cas a b 1 2 3 99\r\nabc\r\n";
  EXPECT_THAT(
      run(add + replace + append + prepend + cas),
      ElementsAre(complete(add, Verb::add).with_path({"a"}).with_flags(1).with_data("A"),
                  complete(replace, Verb::replace).with_path({"a"}).with_flags(2).with_data("R"),
                  complete(append, Verb::append).with_path({"a"}).with_flags(3).with_data("P"),
                  complete(prepend, Verb::prepend).with_path({"a"}).with_flags(4).with_data("Q"),
                  complete(cas, Verb::cas)
                      .with_path({"a", "b"})
                      .with_flags(1)
                      .with_exptime(2)
                      .with_cas(99)
                      .with_data("abc")));
}

TEST_P(ParserSweep, CasUniqueIsUnsigned64Bits) {
  const std::string max = "cas a 0 0 1 18446744073709551615\r\nx\r\n";
  const std::string over = "cas a 0 0 1 18446744073709551616\r\n", data = "x\r\n";
  EXPECT_THAT(
      run(max + over + data),
      ElementsAre(
          complete(max, Verb::cas).with_path({"a"}).with_cas(18446744073709551615u).with_data("x"),
          rejected(over, ParseError::bad_format, Verb::cas),
          rejected(data, ParseError::unknown_command)));
}

TEST_P(ParserSweep, TrailingNoreplyIsTheOptionNeverASegment) {
  const std::string set = "set a b 0 0 1 noreply\r\nx\r\n", cas = "cas a 0 0 1 7 noreply\r\ny\r\n",
                    middle = "set a noreply 0 0 1\r\nz\r\n";
  EXPECT_THAT(
      run(set + cas + middle),
      ElementsAre(
          complete(set, Verb::set).with_path({"a", "b"}).with_noreply().with_data("x"),
          complete(cas, Verb::cas).with_path({"a"}).with_noreply().with_cas(7).with_data("y"),
          complete(middle, Verb::set).with_path({"a", "noreply"}).with_data("z")));
}

TEST_P(ParserSweep, DataBlockMayHoldCrLfAndAnyByte) {
  const std::string in = "set a 0 0 10\r\nab\r\n\0\xff\n\r\r\n\r\n"s;
  EXPECT_THAT(
      run(in),
      ElementsAre(complete(in, Verb::set).with_path({"a"}).with_data("ab\r\n\0\xff\n\r\r\n"s)));
}

TEST_P(ParserSweep, DataBlockMayBeEmpty) {
  const std::string in = "set a 0 0 0\r\n\r\n";
  EXPECT_THAT(run(in), ElementsAre(complete(in, Verb::set).with_path({"a"})));
}

TEST_P(ParserSweep, DataBlockNotEndedByCrLfIsABadDataChunk) {
  // memcached reads <bytes>+2 bytes, complains, and parses what follows as a new line.
  const std::string block = "set a 0 0 3\r\nabcde", rest = "\r\n";
  EXPECT_THAT(run(block + rest), ElementsAre(rejected(block, ParseError::bad_data_chunk, Verb::set),
                                             rejected(rest, ParseError::unknown_command)));
}

TEST_P(ParserSweep, DataBlockEndedByABareLfIsABadDataChunk) {
  const std::string block = "set a 0 0 1\r\nx\ng", rest = "et a\r\n";
  EXPECT_THAT(run(block + rest), ElementsAre(rejected(block, ParseError::bad_data_chunk, Verb::set),
                                             rejected(rest, ParseError::unknown_command)));
}

TEST_P(ParserSweep, BadDataChunkKeepsNoreply) {
  const std::string in = "set a 0 0 1 noreply\r\nxy\r";
  Event expected = rejected(in, ParseError::bad_data_chunk, Verb::set);
  EXPECT_THAT(run(in), ElementsAre(expected.with_noreply()));
}

TEST_P(ParserSweep, StorageWithTooFewTokensIsError) {
  const std::string no_bytes = "set a 0 0\r\n", no_path = "set 0 0 1\r\n", bare = "set\r\n",
                    cas_no_unique = "cas a 0 0 1\r\n";
  EXPECT_THAT(run(no_bytes + no_path + bare + cas_no_unique),
              ElementsAre(rejected(no_bytes, ParseError::unknown_command, Verb::set),
                          rejected(no_path, ParseError::unknown_command, Verb::set),
                          rejected(bare, ParseError::unknown_command, Verb::set),
                          rejected(cas_no_unique, ParseError::unknown_command, Verb::cas)));
}

TEST_P(ParserSweep, NegativeBytesIsBadFormatAndReadsNoBlock) {
  const std::string set = "set a 0 0 -1\r\n", get = "get a\r\n";
  EXPECT_THAT(run(set + get), ElementsAre(rejected(set, ParseError::bad_format, Verb::set),
                                          complete(get, Verb::get).with_keys({"a"})));
}

TEST_P(ParserSweep, BytesNearInt32MaxIsBadFormat) {
  const std::string in = "set a 0 0 2147483646\r\n";  // memcached: vlen > INT_MAX - 2
  EXPECT_THAT(run(in), ElementsAre(rejected(in, ParseError::bad_format, Verb::set)));
}

TEST_P(ParserSweep, FlagsMustFitIn32Bits) {
  const std::string max = "set a 4294967295 0 1\r\nx\r\n", over = "set a 4294967296 0 1\r\n",
                    data = "x\r\n";
  EXPECT_THAT(
      run(max + over + data),
      ElementsAre(complete(max, Verb::set).with_path({"a"}).with_flags(4294967295u).with_data("x"),
                  rejected(over, ParseError::bad_format, Verb::set),
                  rejected(data, ParseError::unknown_command)));
}

TEST_P(ParserSweep, NegativeFlagsIsBadFormat) {
  const std::string in = "set a -1 0 1\r\n";
  EXPECT_THAT(run(in), ElementsAre(rejected(in, ParseError::bad_format, Verb::set)));
}

TEST_P(ParserSweep, ExptimeMustFitInSigned32Bits) {
  const std::string max = "set a 0 2147483647 0\r\n\r\n", min = "set a 0 -2147483648 0\r\n\r\n",
                    over = "set a 0 2147483648 0\r\n", under = "set a 0 -2147483649 0\r\n";
  EXPECT_THAT(run(max + min + over + under),
              ElementsAre(complete(max, Verb::set).with_path({"a"}).with_exptime(2147483647),
                          complete(min, Verb::set).with_path({"a"}).with_exptime(-2147483648LL),
                          rejected(over, ParseError::bad_format, Verb::set),
                          rejected(under, ParseError::bad_format, Verb::set)));
}

TEST_P(ParserSweep, TwentyDigitNumbersAreBadFormatUnlessLeadingZeros) {
  const std::string flags = "set a 12345678901234567890 0 1\r\n",
                    bytes = "set a 0 0 99999999999999999999\r\n",
                    zeros = "set a 0 0 00000000000000000001\r\nx\r\n";
  EXPECT_THAT(run(flags + bytes + zeros),
              ElementsAre(rejected(flags, ParseError::bad_format, Verb::set),
                          rejected(bytes, ParseError::bad_format, Verb::set),
                          complete(zeros, Verb::set).with_path({"a"}).with_data("x")));
}

TEST_P(ParserSweep, LeadingPlusIsAcceptedAsMemcachedDoes) {
  const std::string in = "set a +5 +7 +1\r\nx\r\n";
  EXPECT_THAT(
      run(in),
      ElementsAre(
          complete(in, Verb::set).with_path({"a"}).with_flags(5).with_exptime(7).with_data("x")));
}

TEST_P(ParserSweep, TrailingGarbageInANumberIsBadFormat) {
  const std::string flags = "set a 5x 0 1\r\n", bytes = "set a 0 0 1x\r\n",
                    hex = "set a 0 0 0x1\r\n";
  EXPECT_THAT(run(flags + bytes + hex),
              ElementsAre(rejected(flags, ParseError::bad_format, Verb::set),
                          rejected(bytes, ParseError::bad_format, Verb::set),
                          rejected(hex, ParseError::bad_format, Verb::set)));
}

TEST_P(ParserSweep, TooLargeValueIsSwallowedWithoutBeingParsed) {
  options_.max_item_size = 78;  // key a with 19 bytes is an item of 79 (item_size.h)
  const std::string block = "get x\r\nget y\r\nget z\r\n";  // 19 bytes + \r\n, all swallowed
  const std::string line = "set a 0 0 19\r\n", next = "get b\r\n";
  ASSERT_EQ(block.size(), 21u);
  Event too_large = rejected(line, ParseError::too_large, Verb::set);
  EXPECT_THAT(merge_skipped(run(line + block + next)),
              ElementsAre(too_large.with_path({"a"}), skipped(21),
                          complete(next, Verb::get).with_keys({"b"})));
}

TEST_P(ParserSweep, TooLargeKeepsNoreplyAndPath) {
  options_.max_item_size = 4;
  const std::string line = "set a b 0 0 5 noreply\r\n", block = "12345\r\n";
  Event too_large = rejected(line, ParseError::too_large, Verb::set);
  EXPECT_THAT(merge_skipped(run(line + block)),
              ElementsAre(too_large.with_path({"a", "b"}).with_noreply(), skipped(7)));
}

TEST_P(ParserSweep, TooLargeIsDecidedFromTheLineAlone) {
  // -I 1m counts the item as memcached does (item_size.h): for key a, 1048516 bytes is fine (the
  // block is awaited), one more is refused at once.
  const std::string fits = "set a 0 0 1048516\r\n", over = "set a 0 0 1048517\r\n";
  EXPECT_THAT(run(fits), IsEmpty());
  EXPECT_EQ(left_, fits.size());
  Event too_large = rejected(over, ParseError::too_large, Verb::set);
  EXPECT_THAT(run(over), ElementsAre(too_large.with_path({"a"})));
}

TEST_P(ParserSweep, WantedCountsLineAndDataBlockWhileTheBlockIsPending) {
  const std::string line = "set a 0 0 10\r\n", in = line + "0123456789\r\n";
  Parser parser(options_);
  Command command;
  std::string buffer;
  std::size_t completed = 0;
  for (std::size_t sent = 0; sent < in.size(); sent += GetParam()) {
    buffer.append(in.substr(sent, GetParam()));
    const ParseResult result = parser.parse(buffer, command);
    if (result.status == ParseStatus::need_more) {
      EXPECT_EQ(parser.wanted(), buffer.size() >= line.size() ? in.size() : 0u)
          << "with " << buffer.size() << " bytes buffered";
    } else {
      EXPECT_EQ(result.status, ParseStatus::complete);
      EXPECT_EQ(result.consumed, in.size());
      EXPECT_EQ(parser.wanted(), 0u);
      ++completed;
    }
  }
  EXPECT_EQ(completed, 1u);
}

TEST_P(ParserSweep, NeedMoreConsumesNothing) {
  EXPECT_THAT(run("get a b"), IsEmpty());
  EXPECT_EQ(left_, 7u);
  EXPECT_THAT(run("set a 0 0 5\r\nab"), IsEmpty());
  EXPECT_EQ(left_, 15u);
  EXPECT_THAT(run("set a 0 0 5\r\nabcde\r"), IsEmpty());
  EXPECT_EQ(left_, 19u);
}

// ---- reads ----

TEST_P(ParserSweep, GetAndGetsTakeManyTopLevelKeys) {
  const std::string get = "get a b c\r\n", gets = "gets a b\r\n";
  EXPECT_THAT(run(get + gets), ElementsAre(complete(get, Verb::get).with_keys({"a", "b", "c"}),
                                           complete(gets, Verb::gets).with_keys({"a", "b"})));
}

TEST_P(ParserSweep, GetWithoutKeyIsError) {
  const std::string get = "get\r\n", gets = "gets \r\n";
  EXPECT_THAT(run(get + gets),
              ElementsAre(rejected(get, ParseError::unknown_command, Verb::get),
                          rejected(gets, ParseError::unknown_command, Verb::gets)));
}

TEST_P(ParserSweep, GatAndGatsTakeExptimeThenKeys) {
  const std::string gat = "gat 100 a b\r\n", gats = "gats -1 a\r\n";
  EXPECT_THAT(run(gat + gats),
              ElementsAre(complete(gat, Verb::gat).with_exptime(100).with_keys({"a", "b"}),
                          complete(gats, Verb::gats).with_exptime(-1).with_keys({"a"})));
}

TEST_P(ParserSweep, GatWithoutKeyIsErrorInNestedMode) {
  const std::string none = "gat 0\r\n", bare = "gats\r\n", bad = "gat x\r\n";
  EXPECT_THAT(run(none + bare + bad),
              ElementsAre(rejected(none, ParseError::unknown_command, Verb::gat),
                          rejected(bare, ParseError::unknown_command, Verb::gats),
                          rejected(bad, ParseError::unknown_command, Verb::gat)));
}

TEST_P(ParserSweep, GatWithBadExptimeIsInvalidExptime) {
  const std::string word = "gat x a\r\n", over = "gats 2147483648 a\r\n";
  EXPECT_THAT(run(word + over),
              ElementsAre(rejected(word, ParseError::invalid_exptime, Verb::gat),
                          rejected(over, ParseError::invalid_exptime, Verb::gats)));
}

TEST_P(ParserSweep, GetnAndGetnsTakeAPath) {
  const std::string getn = "getn a b c\r\n", getns = "getns a\r\n";
  EXPECT_THAT(run(getn + getns), ElementsAre(complete(getn, Verb::getn).with_path({"a", "b", "c"}),
                                             complete(getns, Verb::getns).with_path({"a"})));
}

TEST_P(ParserSweep, GetnWithoutPathIsError) {
  const std::string getn = "getn\r\n", getns = "getns\r\n";
  EXPECT_THAT(run(getn + getns),
              ElementsAre(rejected(getn, ParseError::unknown_command, Verb::getn),
                          rejected(getns, ParseError::unknown_command, Verb::getns)));
}

TEST_P(ParserSweep, GetchAndGettreeTakeAnOptionalPath) {
  const std::string root = "getch\r\n", node = "getch a b\r\n", tree = "gettree\r\n",
                    subtree = "gettree a\r\n";
  EXPECT_THAT(
      run(root + node + tree + subtree),
      ElementsAre(complete(root, Verb::getch), complete(node, Verb::getch).with_path({"a", "b"}),
                  complete(tree, Verb::gettree),
                  complete(subtree, Verb::gettree).with_path({"a"})));
}

TEST_P(ParserSweep, ExtensionReadsTakeATrailingNoreplyAsTheOption) {
  const std::string getn = "getn a noreply\r\n", getch = "getch noreply\r\n",
                    gettree = "gettree a b noreply\r\n", empty = "getns noreply\r\n";
  EXPECT_THAT(
      run(getn + getch + gettree + empty),
      ElementsAre(complete(getn, Verb::getn).with_path({"a"}).with_noreply(),
                  complete(getch, Verb::getch).with_noreply(),
                  complete(gettree, Verb::gettree).with_path({"a", "b"}).with_noreply(),
                  rejected(empty, ParseError::unknown_command, Verb::getns).with_noreply()));
}

TEST_P(ParserSweep, CompatGetReadsNoreplyAsAKey) {
  const std::string in = "get n noreply\r\n";
  EXPECT_THAT(run(in, compat_mode()),
              ElementsAre(complete(in, Verb::get).with_keys({"n", "noreply"})));
}

TEST_P(ParserSweep, SegmentOf250BytesIsFine251IsBadFormat) {
  const std::string k250(250, 'k'), k251(251, 'k');
  const std::string set = "set a " + k250 + " 0 0 1\r\nx\r\n", get = "get " + k250 + "\r\n",
                    long_set = "set a " + k251 + " 0 0 1\r\n", long_get = "get a " + k251 + "\r\n",
                    long_delete = "delete " + k251 + " a\r\n";
  EXPECT_THAT(run(set + get + long_set + long_get + long_delete),
              ElementsAre(complete(set, Verb::set).with_path({"a", k250}).with_data("x"),
                          complete(get, Verb::get).with_keys({k250}),
                          rejected(long_set, ParseError::bad_format, Verb::set),
                          rejected(long_get, ParseError::bad_format, Verb::get),
                          rejected(long_delete, ParseError::bad_format, Verb::del)));
}

TEST_P(ParserSweep, PathDeeperThanMaxDepthIsBadPath) {
  Strings segments;
  std::string path;
  for (int i = 0; i < 32; ++i) {
    segments.push_back("s" + std::to_string(i));
    path += " " + segments.back();
  }
  const std::string deepest = "getn" + path + "\r\n", deeper = "getn" + path + " x\r\n",
                    set = "set" + path + " x 0 0 1\r\n";
  EXPECT_THAT(run(deepest + deeper + set),
              ElementsAre(complete(deepest, Verb::getn).with_path(segments),
                          bad_path(deeper, "path too deep", Verb::getn),
                          bad_path(set, "path too deep", Verb::set)));
}

// ---- updates ----

TEST_P(ParserSweep, IncrAndDecrTakePathAndDelta) {
  const std::string incr = "incr a b 5\r\n", decr = "decr a 7 noreply\r\n";
  EXPECT_THAT(
      run(incr + decr),
      ElementsAre(complete(incr, Verb::incr).with_path({"a", "b"}).with_delta(5),
                  complete(decr, Verb::decr).with_path({"a"}).with_delta(7).with_noreply()));
}

TEST_P(ParserSweep, DeltaIsUnsigned64Bits) {
  const std::string max = "incr a 18446744073709551615\r\n",
                    over = "incr a 18446744073709551616\r\n", negative = "decr a -1\r\n",
                    word = "incr a one\r\n";
  EXPECT_THAT(
      run(max + over + negative + word),
      ElementsAre(complete(max, Verb::incr).with_path({"a"}).with_delta(18446744073709551615u),
                  rejected(over, ParseError::invalid_delta, Verb::incr),
                  rejected(negative, ParseError::invalid_delta, Verb::decr),
                  rejected(word, ParseError::invalid_delta, Verb::incr)));
}

TEST_P(ParserSweep, IncrWithoutPathIsError) {
  const std::string bare = "incr\r\n", no_path = "incr 5\r\n", quiet = "decr 5 noreply\r\n";
  Event quiet_error = rejected(quiet, ParseError::unknown_command, Verb::decr);
  EXPECT_THAT(run(bare + no_path + quiet),
              ElementsAre(rejected(bare, ParseError::unknown_command, Verb::incr),
                          rejected(no_path, ParseError::unknown_command, Verb::incr),
                          quiet_error.with_noreply()));
}

TEST_P(ParserSweep, TouchTakesPathAndExptime) {
  const std::string touch = "touch a b 100\r\n", quiet = "touch a -1 noreply\r\n",
                    bad = "touch a x\r\n", over = "touch a 2147483648\r\n", bare = "touch a\r\n";
  EXPECT_THAT(
      run(touch + quiet + bad + over + bare),
      ElementsAre(complete(touch, Verb::touch).with_path({"a", "b"}).with_exptime(100),
                  complete(quiet, Verb::touch).with_path({"a"}).with_exptime(-1).with_noreply(),
                  rejected(bad, ParseError::invalid_exptime, Verb::touch),
                  rejected(over, ParseError::invalid_exptime, Verb::touch),
                  rejected(bare, ParseError::unknown_command, Verb::touch)));
}

TEST_P(ParserSweep, DeleteTakesTheWholeLineAsPath) {
  // Nested mode has no legacy hold time: "delete a 0" names the node a -> 0.
  const std::string del = "delete a b\r\n", zero = "delete a 0\r\n", quiet = "delete a noreply\r\n";
  EXPECT_THAT(run(del + zero + quiet),
              ElementsAre(complete(del, Verb::del).with_path({"a", "b"}),
                          complete(zero, Verb::del).with_path({"a", "0"}),
                          complete(quiet, Verb::del).with_path({"a"}).with_noreply()));
}

TEST_P(ParserSweep, DeleteWithoutPathIsError) {
  const std::string bare = "delete\r\n", quiet = "delete noreply\r\n";
  Event quiet_error = rejected(quiet, ParseError::unknown_command, Verb::del);
  EXPECT_THAT(run(bare + quiet), ElementsAre(rejected(bare, ParseError::unknown_command, Verb::del),
                                             quiet_error.with_noreply()));
}

// ---- admin ----

TEST_P(ParserSweep, FlushAllTakesOptionalDelayAndNoreply) {
  const std::string now = "flush_all\r\n", delay = "flush_all 10\r\n",
                    quiet = "flush_all noreply\r\n", both = "flush_all -1 noreply\r\n",
                    extra = "flush_all 5 6\r\n";
  EXPECT_THAT(
      run(now + delay + quiet + both + extra),
      ElementsAre(complete(now, Verb::flush_all), complete(delay, Verb::flush_all).with_delay(10),
                  complete(quiet, Verb::flush_all).with_noreply(),
                  complete(both, Verb::flush_all).with_delay(-1).with_noreply(),
                  complete(extra, Verb::flush_all).with_delay(5)));
}

TEST_P(ParserSweep, FlushAllBadShapes) {
  const std::string word = "flush_all x\r\n", order = "flush_all noreply 10\r\n",
                    over = "flush_all 2147483648\r\n", many = "flush_all 1 2 3\r\n";
  EXPECT_THAT(run(word + order + over + many),
              ElementsAre(rejected(word, ParseError::invalid_exptime, Verb::flush_all),
                          rejected(order, ParseError::invalid_exptime, Verb::flush_all),
                          rejected(over, ParseError::invalid_exptime, Verb::flush_all),
                          rejected(many, ParseError::unknown_command, Verb::flush_all)));
}

TEST_P(ParserSweep, VersionQuitAndHelpIgnoreArguments) {
  const std::string version = "version\r\n", extra = "version x y\r\n", quit = "quit\r\n",
                    help = "help\r\n", help_more = "help set\r\n";
  EXPECT_THAT(run(version + extra + quit + help + help_more),
              ElementsAre(complete(version, Verb::version), complete(extra, Verb::version),
                          complete(quit, Verb::quit), complete(help, Verb::help),
                          complete(help_more, Verb::help)));
}

TEST_P(ParserSweep, VerbosityTakesALevel) {
  const std::string level = "verbosity 1\r\n", quiet = "verbosity 2 noreply\r\n",
                    extra = "verbosity 1 2\r\n", bare = "verbosity\r\n",
                    many = "verbosity 1 2 3\r\n", word = "verbosity x\r\n";
  EXPECT_THAT(run(level + quiet + extra + bare + many + word),
              ElementsAre(complete(level, Verb::verbosity).with_level(1),
                          complete(quiet, Verb::verbosity).with_level(2).with_noreply(),
                          complete(extra, Verb::verbosity).with_level(1),
                          rejected(bare, ParseError::unknown_command, Verb::verbosity),
                          rejected(many, ParseError::unknown_command, Verb::verbosity),
                          rejected(word, ParseError::bad_format, Verb::verbosity)));
}

TEST_P(ParserSweep, VerbosityNoreplyIsASilentBadLevel) {
  // memcached 1.6.18 answers nothing here (older versions said ERROR).
  const std::string in = "verbosity noreply\r\n";
  const Event expected = rejected(in, ParseError::bad_format, Verb::verbosity).with_noreply();
  EXPECT_THAT(run(in), ElementsAre(expected));
  EXPECT_THAT(run(in, compat_mode()), ElementsAre(expected));
}

TEST_P(ParserSweep, StatsKeepsTheRestOfItsLine) {
  const std::string bare = "stats\r\n", settings = "stats settings\r\n",
                    two = "stats detail dump\r\n";
  EXPECT_THAT(run(bare + settings + two),
              ElementsAre(complete(bare, Verb::stats),
                          complete(settings, Verb::stats).with_stats_args(" settings"),
                          complete(two, Verb::stats).with_stats_args(" detail dump")));
}

// memcached's tuning commands hand their tokens to the engine; a last noreply is the option on
// every lru line and on slabs automove lines only (tests/compat/sessions/admin-*.txt).
TEST_P(ParserSweep, SubcommandsKeepTheirTokensAndMemcachedsNoreply) {
  const std::string tune = "lru tune 10 10 1 noreply\r\n",
                    automove = "slabs automove x noreply\r\n",
                    reassign = "slabs reassign 1 noreply\r\n",
                    crawl = "lru_crawler crawl noreply\r\n", bare = "lru\r\n",
                    lone = "slabs noreply\r\n";
  EXPECT_THAT(
      run(tune + automove + reassign + crawl + bare + lone),
      ElementsAre(
          complete(tune, Verb::lru).with_args({"tune", "10", "10", "1", "noreply"}).with_noreply(),
          complete(automove, Verb::slabs).with_args({"automove", "x", "noreply"}).with_noreply(),
          complete(reassign, Verb::slabs).with_args({"reassign", "1", "noreply"}),
          complete(crawl, Verb::lru_crawler).with_args({"crawl", "noreply"}),
          rejected(bare, ParseError::unknown_command, Verb::lru),
          complete(lone, Verb::slabs).with_args({"noreply"})));
}

// ---- framing and tokens ----

TEST_P(ParserSweep, UnknownCommandIsError) {
  const std::string word = "bogus a b\r\n", prefix = "gett a\r\n", meta = "mz a v\r\n";
  EXPECT_THAT(run(word + prefix + meta), ElementsAre(rejected(word, ParseError::unknown_command),
                                                     rejected(prefix, ParseError::unknown_command),
                                                     rejected(meta, ParseError::unknown_command)));
}

TEST_P(ParserSweep, CommandNamesAreLowerCaseOnly) {
  const std::string upper = "GET a\r\n", mixed = "Set a 0 0 1\r\n";
  EXPECT_THAT(run(upper + mixed), ElementsAre(rejected(upper, ParseError::unknown_command),
                                              rejected(mixed, ParseError::unknown_command)));
}

TEST_P(ParserSweep, TabIsNotASeparator) {
  const std::string verb = "get\ta\r\n", key = "get a\tb\r\n";
  EXPECT_THAT(run(verb + key), ElementsAre(rejected(verb, ParseError::unknown_command),
                                           bad_path(key, "control character in key", Verb::get)));
  EXPECT_THAT(run(key, compat_mode()), ElementsAre(complete(key, Verb::get).with_keys({"a\tb"})));
}

TEST_P(ParserSweep, RunsOfSpacesSeparateTokens) {
  const std::string in = "  set   a  b   1  2   3  \r\nxyz\r\n";
  EXPECT_THAT(run(in), ElementsAre(complete(in, Verb::set)
                                       .with_path({"a", "b"})
                                       .with_flags(1)
                                       .with_exptime(2)
                                       .with_data("xyz")));
}

TEST_P(ParserSweep, BareLfEndsALine) {
  const std::string get = "get a\n", set = "set b 0 0 1\nx\r\n";
  EXPECT_THAT(run(get + set),
              ElementsAre(complete(get, Verb::get).with_keys({"a"}),
                          complete(set, Verb::set).with_path({"b"}).with_data("x")));
}

TEST_P(ParserSweep, OnlyOneCrIsStripped) {
  const std::string in = "get a\r\r\n";
  EXPECT_THAT(run(in), ElementsAre(bad_path(in, "control character in key", Verb::get)));
  EXPECT_THAT(run(in, compat_mode()), ElementsAre(complete(in, Verb::get).with_keys({"a\r"})));
}

TEST_P(ParserSweep, EmptyLineIsError) {
  const std::string crlf = "\r\n", lf = "\n", spaces = "   \r\n";
  EXPECT_THAT(run(crlf + lf + spaces), ElementsAre(rejected(crlf, ParseError::unknown_command),
                                                   rejected(lf, ParseError::unknown_command),
                                                   rejected(spaces, ParseError::unknown_command)));
}

TEST_P(ParserSweep, ControlCharacterInKeyIsBadPathInNestedMode) {
  const std::string set = "set a b\x01 0 0 1\r\n", data = "x\r\n", del = "getn a\x7f\r\n",
                    utf8 = "set caf\xc3\xa9 0 0 1\r\ny\r\n";
  EXPECT_THAT(run(set + data + del + utf8),
              ElementsAre(bad_path(set, "control character in key", Verb::set),
                          rejected(data, ParseError::unknown_command),
                          bad_path(del, "control character in key", Verb::getn),
                          complete(utf8, Verb::set).with_path({"caf\xc3\xa9"}).with_data("y")));
}

TEST_P(ParserSweep, LineWithoutNewlineClosesPast2048Bytes) {
  EXPECT_THAT(run(std::string(2048, 'a')), IsEmpty());
  EXPECT_EQ(left_, 2048u);
  EXPECT_THAT(run(std::string(2049, 'a')), ElementsAre(closed(0)));
  const std::string longest = std::string(2047, 'a') + "\r\n";  // 2048 bytes before the \n
  EXPECT_THAT(run(longest), ElementsAre(rejected(longest, ParseError::unknown_command)));
}

TEST_P(ParserSweep, MultiGetLineMayGrowPast2048Bytes) {
  std::string get = "get ", gets = "gets ";
  for (int i = 0; i < 2000; ++i) {
    get += "a ";
    gets += "b ";
  }
  EXPECT_THAT(run(get), IsEmpty());
  EXPECT_EQ(left_, get.size());
  EXPECT_THAT(run(gets), IsEmpty());
  EXPECT_EQ(left_, gets.size());
  EXPECT_THAT(run(std::string(100, ' ') + get), IsEmpty());
  EXPECT_THAT(run(std::string(101, ' ') + get), ElementsAre(closed(0)));  // memcached's cutoff
  EXPECT_THAT(run("gat 0 " + get.substr(4)), ElementsAre(closed(0)));
}

TEST_P(ParserSweep, MultiGetLineClosesPastTheGetLimit) {
  options_.max_get_line = 4096;
  std::string get = "get ";
  while (get.size() <= 4096) get += "a ";
  EXPECT_THAT(run(get.substr(0, 4096)), IsEmpty());
  EXPECT_THAT(run(get), ElementsAre(closed(0)));
}

TEST_P(ParserSweep, LongMultiGetLineCompletes) {
  std::string in = "get";
  Strings keys;
  for (int i = 0; i < 600; ++i) {
    keys.push_back("k" + std::to_string(1000 + i));
    in += " " + keys.back();
  }
  in += "\r\n";
  ASSERT_GT(in.size(), 2048u);
  EXPECT_THAT(run(in), ElementsAre(complete(in, Verb::get).with_keys(keys)));
}

TEST_P(ParserSweep, HttpRequestClosesWithoutParsingFurther) {
  const std::string request = "GET / HTTP/1.1\r\n";
  EXPECT_THAT(run(request + "Host: x\r\n\r\n"), ElementsAre(closed(request.size())));
  const std::string lone = "HTTP/1.0\r\n";
  EXPECT_THAT(run(lone), ElementsAre(closed(lone.size())));
  const std::string nested_only = "gex / HTTP/1.1\r\n";  // see CompatHttpCheck...
  EXPECT_THAT(run(nested_only), ElementsAre(closed(nested_only.size())));
}

TEST_P(ParserSweep, HttpTokenClosesOnlyLastAndOnlyAfterAnUnknownCommand) {
  const std::string middle = "xyz HTTP/1.1 foo\r\n", lower = "xyz / http/1.1\r\n",
                    get = "get / HTTP/1.1\r\n", help = "help HTTP/1.1\r\n";
  EXPECT_THAT(run(middle + lower + get + help),
              ElementsAre(rejected(middle, ParseError::unknown_command),
                          rejected(lower, ParseError::unknown_command),
                          complete(get, Verb::get).with_keys({"/", "HTTP/1.1"}),
                          complete(help, Verb::help)));
}

TEST_P(ParserSweep, PipelineOfEveryCommand) {
  const std::string set = "set a b 1 2 3\r\nabc\r\n", add = "add a 0 0 1\r\n1\r\n",
                    replace = "replace a 0 0 1\r\n2\r\n", append = "append a 0 0 1\r\n3\r\n",
                    prepend = "prepend a 0 0 1\r\n4\r\n", cas = "cas a 0 0 1 5\r\n5\r\n",
                    get = "get a b\r\n", gets = "gets a\r\n", gat = "gat 1 a\r\n",
                    gats = "gats 2 a\r\n", getn = "getn a b\r\n", getns = "getns a b\r\n",
                    getch = "getch a\r\n", gettree = "gettree\r\n", incr = "incr a 1\r\n",
                    decr = "decr a b 2\r\n", touch = "touch a 3\r\n", del = "delete a b\r\n",
                    flush = "flush_all 4\r\n", version = "version\r\n",
                    verbosity = "verbosity 1\r\n", stats = "stats items\r\n", help = "help\r\n",
                    quit = "quit\r\n";
  const std::string in = set + add + replace + append + prepend + cas + get + gets + gat + gats +
                         getn + getns + getch + gettree + incr + decr + touch + del + flush +
                         version + verbosity + stats + help + quit;
  const std::vector<Event> expected = {
      complete(set, Verb::set).with_path({"a", "b"}).with_flags(1).with_exptime(2).with_data("abc"),
      complete(add, Verb::add).with_path({"a"}).with_data("1"),
      complete(replace, Verb::replace).with_path({"a"}).with_data("2"),
      complete(append, Verb::append).with_path({"a"}).with_data("3"),
      complete(prepend, Verb::prepend).with_path({"a"}).with_data("4"),
      complete(cas, Verb::cas).with_path({"a"}).with_cas(5).with_data("5"),
      complete(get, Verb::get).with_keys({"a", "b"}),
      complete(gets, Verb::gets).with_keys({"a"}),
      complete(gat, Verb::gat).with_exptime(1).with_keys({"a"}),
      complete(gats, Verb::gats).with_exptime(2).with_keys({"a"}),
      complete(getn, Verb::getn).with_path({"a", "b"}),
      complete(getns, Verb::getns).with_path({"a", "b"}),
      complete(getch, Verb::getch).with_path({"a"}),
      complete(gettree, Verb::gettree),
      complete(incr, Verb::incr).with_path({"a"}).with_delta(1),
      complete(decr, Verb::decr).with_path({"a", "b"}).with_delta(2),
      complete(touch, Verb::touch).with_path({"a"}).with_exptime(3),
      complete(del, Verb::del).with_path({"a", "b"}),
      complete(flush, Verb::flush_all).with_delay(4),
      complete(version, Verb::version),
      complete(verbosity, Verb::verbosity).with_level(1),
      complete(stats, Verb::stats).with_stats_args(" items"),
      complete(help, Verb::help),
      complete(quit, Verb::quit),
  };
  EXPECT_EQ(run(in), expected);
}

TEST_P(ParserSweep, ErrorsKeepThePipelineInStep) {
  const std::string set = "set a 0 0 1\r\nx\r\n", bogus = "bogus\r\n",
                    negative = "set a 0 0 -1\r\n", get = "get a\r\n", incr = "incr a x\r\n",
                    version = "version\r\n";
  EXPECT_THAT(run(set + bogus + negative + get + incr + version),
              ElementsAre(complete(set, Verb::set).with_path({"a"}).with_data("x"),
                          rejected(bogus, ParseError::unknown_command),
                          rejected(negative, ParseError::bad_format, Verb::set),
                          complete(get, Verb::get).with_keys({"a"}),
                          rejected(incr, ParseError::invalid_delta, Verb::incr),
                          complete(version, Verb::version)));
}

// A single-key command's key is the span of its tokens in the request, so a reply can echo it
// without re-joining (getn); runs of spaces stay in it, and the engine collapses them.
TEST(ParserKeyTest, KeyIsTheRawSpanOfThePathTokens) {
  const ParseOptions options;
  Parser parser(options);
  Command command;
  const std::string_view line = "getn  users 42   name \r\n";
  ASSERT_EQ(parser.parse(line, command).status, ParseStatus::complete);
  EXPECT_EQ(command.key, "users 42   name");
  EXPECT_EQ(command.key.data(), line.data() + 6);
  EXPECT_EQ(command.path.size(), 3u);
  ASSERT_EQ(parser.parse("getch\r\n", command).status, ParseStatus::complete);
  EXPECT_EQ(command.key, "");
}

}  // namespace
}  // namespace nestcache
