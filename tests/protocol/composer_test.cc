// The composer's exact wire text for every reply and error. memcached 1.6.18's strings are
// copied byte for byte, so each expectation here is what a memcached client matches on.
#include "nestcache/protocol/composer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

namespace nestcache {
namespace {

using namespace std::string_literals;

std::string compose_reply(Reply reply) {
  std::string out;
  Composer(out).reply(reply);
  return out;
}

std::string compose_error(ParseError error, std::string_view detail = {}) {
  std::string out;
  Composer(out).error(error, detail);
  return out;
}

TEST(ComposerTest, StatusReplies) {
  EXPECT_EQ(compose_reply(Reply::stored), "STORED\r\n");
  EXPECT_EQ(compose_reply(Reply::not_stored), "NOT_STORED\r\n");
  EXPECT_EQ(compose_reply(Reply::exists), "EXISTS\r\n");
  EXPECT_EQ(compose_reply(Reply::not_found), "NOT_FOUND\r\n");
  EXPECT_EQ(compose_reply(Reply::deleted), "DELETED\r\n");
  EXPECT_EQ(compose_reply(Reply::touched), "TOUCHED\r\n");
  EXPECT_EQ(compose_reply(Reply::ok), "OK\r\n");
  EXPECT_EQ(compose_reply(Reply::end), "END\r\n");
  EXPECT_EQ(compose_reply(Reply::reset), "RESET\r\n");
}

TEST(ComposerTest, ErrorReplies) {
  EXPECT_EQ(compose_reply(Reply::error), "ERROR\r\n");
  EXPECT_EQ(compose_reply(Reply::out_of_memory_storing),
            "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(compose_reply(Reply::non_numeric),
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
}

TEST(ComposerTest, ParseErrorsAreMemcachedsTexts) {
  EXPECT_EQ(compose_error(ParseError::unknown_command), "ERROR\r\n");
  EXPECT_EQ(compose_error(ParseError::bad_format), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(compose_error(ParseError::bad_data_chunk), "CLIENT_ERROR bad data chunk\r\n");
  EXPECT_EQ(compose_error(ParseError::too_large), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(compose_error(ParseError::invalid_exptime),
            "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(compose_error(ParseError::invalid_delta),
            "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(compose_error(ParseError::bad_stats_args), "CLIENT_ERROR bad command line\r\n");
}

TEST(ComposerTest, DeleteUsageHasTwoSpacesAfterTheFullStop) {
  EXPECT_EQ(compose_error(ParseError::delete_usage),
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
}

TEST(ComposerTest, BadPathCarriesItsDetail) {
  EXPECT_EQ(compose_error(ParseError::bad_path, "path too deep"), "CLIENT_ERROR path too deep\r\n");
  EXPECT_EQ(compose_error(ParseError::bad_path, "empty path segment"),
            "CLIENT_ERROR empty path segment\r\n");
  EXPECT_EQ(compose_error(ParseError::bad_path, "control character in key"),
            "CLIENT_ERROR control character in key\r\n");
}

TEST(ComposerTest, DetailIsIgnoredForMemcachedErrors) {
  EXPECT_EQ(compose_error(ParseError::bad_format, "path too deep"),
            "CLIENT_ERROR bad command line format\r\n");
}

TEST(ComposerTest, ErrorWithoutAKindIsAServerErrorNotSilence) {
  EXPECT_EQ(compose_error(ParseError::none), "SERVER_ERROR unknown error\r\n");
}

TEST(ComposerTest, ClientErrorWithFreeText) {
  std::string out;
  Composer(out).client_error("parent missing");
  EXPECT_EQ(out, "CLIENT_ERROR parent missing\r\n");
}

TEST(ComposerTest, ValueWithoutCas) {
  std::string out;
  Composer(out).value("k", 5, "abc");
  EXPECT_EQ(out, "VALUE k 5 3\r\nabc\r\n");
}

TEST(ComposerTest, ValueWithCas) {
  std::string out;
  Composer(out).value("k", 5, "abc", 42);
  EXPECT_EQ(out, "VALUE k 5 3 42\r\nabc\r\n");
}

TEST(ComposerTest, CasOfZeroIsStillWritten) {
  std::string out;
  Composer(out).value("k", 0, "x", 0);
  EXPECT_EQ(out, "VALUE k 0 1 0\r\nx\r\n");
}

TEST(ComposerTest, EmptyValue) {
  std::string out;
  Composer(out).value("k", 0, "");
  EXPECT_EQ(out, "VALUE k 0 0\r\n\r\n");
}

TEST(ComposerTest, BinaryValueIsCountedAndCopiedWhole) {
  std::string out;
  Composer(out).value("k", 1, "a\r\n\0\xff"s);
  EXPECT_EQ(out, "VALUE k 1 5\r\na\r\n\0\xff\r\n"s);
}

TEST(ComposerTest, KeyIsEchoedAsSent) {
  std::string out;
  Composer(out).value("users:42:name", 0, "x");
  EXPECT_EQ(out, "VALUE users:42:name 0 1\r\nx\r\n");
}

TEST(ComposerTest, LargestFlagsAndCas) {
  std::string out;
  Composer(out).value("k", UINT32_MAX, "x", UINT64_MAX);
  EXPECT_EQ(out, "VALUE k 4294967295 1 18446744073709551615\r\nx\r\n");
}

TEST(ComposerTest, MultiSegmentKeyJoinedBySpace) {
  const Path path = {"users", "42", "name"};
  std::string out;
  Composer(out).value(path, ' ', 7, "bob");
  EXPECT_EQ(out, "VALUE users 42 name 7 3\r\nbob\r\n");
}

TEST(ComposerTest, MultiSegmentKeyJoinedBySeparatorWithCas) {
  const Path path = {"users", "42", "name"};
  std::string out;
  Composer(out).value(path, ':', 7, "bob", 9);
  EXPECT_EQ(out, "VALUE users:42:name 7 3 9\r\nbob\r\n");
}

TEST(ComposerTest, SingleSegmentKeyHasNoJoiner) {
  const Path path = {"top"};
  std::string out;
  Composer(out).value(path, ':', 0, "v");
  EXPECT_EQ(out, "VALUE top 0 1\r\nv\r\n");
}

TEST(ComposerTest, Numbers) {
  std::string out;
  Composer composer(out);
  composer.number(0);
  composer.number(9);
  composer.number(UINT64_MAX);
  EXPECT_EQ(out, "0\r\n9\r\n18446744073709551615\r\n");
}

TEST(ComposerTest, ChildLines) {
  std::string out;
  Composer composer(out);
  composer.child("alpha");
  composer.child("b c");
  composer.reply(Reply::end);
  EXPECT_EQ(out, "CHILD alpha\r\nCHILD b c\r\nEND\r\n");
}

TEST(ComposerTest, StatLinesWithTextAndNumbers) {
  std::string out;
  Composer composer(out);
  composer.stat("version", "0.1.0");
  composer.stat("curr_items", uint64_t{0});
  composer.stat("total_items", UINT64_MAX);
  composer.stat("rusage_user", "0.123456");
  EXPECT_EQ(out,
            "STAT version 0.1.0\r\nSTAT curr_items 0\r\nSTAT total_items 18446744073709551615\r\n"
            "STAT rusage_user 0.123456\r\n");
}

TEST(ComposerTest, VersionAndFreeLines) {
  std::string out;
  Composer composer(out);
  composer.version("0.1.0");
  composer.line("HELP get|gets <key>+");
  composer.line("");
  EXPECT_EQ(out, "VERSION 0.1.0\r\nHELP get|gets <key>+\r\n\r\n");
}

TEST(ComposerTest, AppendsAfterWhatTheBufferHolds) {
  std::string out = "STORED\r\n";
  Composer composer(out);
  EXPECT_EQ(composer.size(), 8u);
  composer.value("a", 0, "1");
  composer.value("b", 2, "22", 3);
  composer.reply(Reply::end);
  EXPECT_EQ(out, "STORED\r\nVALUE a 0 1\r\n1\r\nVALUE b 2 2 3\r\n22\r\nEND\r\n");
  EXPECT_EQ(composer.size(), out.size());
}

TEST(ComposerTest, TruncateDropsOnlyWhatFollowsTheMark) {
  std::string out;
  Composer composer(out);
  composer.reply(Reply::deleted);
  const std::size_t mark = composer.size();
  composer.reply(Reply::stored);
  composer.error(ParseError::bad_format);
  composer.truncate(mark);
  EXPECT_EQ(out, "DELETED\r\n");
  composer.reply(Reply::touched);
  EXPECT_EQ(out, "DELETED\r\nTOUCHED\r\n");
}

TEST(ComposerTest, TruncateAtTheCurrentSizeKeepsEverything) {
  std::string out;
  Composer composer(out);
  composer.number(12);
  composer.truncate(composer.size());
  EXPECT_EQ(out, "12\r\n");
}

}  // namespace
}  // namespace nestcache
