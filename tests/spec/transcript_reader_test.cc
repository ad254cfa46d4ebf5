// The in-process transcript reader and its regexes read the format as replay.py does
// (proto-spec/protocol.md 11.1).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "line_regex.h"
#include "transcript.h"

namespace nestcache::spec {
namespace {

TEST(TranscriptReaderTest, ReadsEveryDirective) {
  const Transcript t = parse_transcript(
      "# args: --compat -I 1k\r\n"
      "# a comment\n"
      "\n"
      ">>> set a 0 0 1\n"
      ">>>| x\\r\\n\n"
      ">>>\n"
      "<<< STORED\n"
      "<<<| \\x00\\t\n"
      "<<<\n"
      "<<<~ VALUE a (?P<c>[0-9]+)\n"
      "<<<+ STAT .*\n"
      "... sleep 2.5\n"
      "=== closed\n"
      "=== reconnect\n");
  EXPECT_EQ(t.args, (std::vector<std::string>{"--compat", "-I", "1k"}));
  ASSERT_EQ(t.steps.size(), 11u);
  EXPECT_EQ(t.steps[0].kind, StepKind::send);
  EXPECT_EQ(t.steps[0].data, "set a 0 0 1\r\n");
  EXPECT_FALSE(t.steps[0].raw);
  EXPECT_EQ(t.steps[0].line, 4);
  EXPECT_EQ(t.steps[1].data, "x\r\n");
  EXPECT_TRUE(t.steps[1].raw);
  EXPECT_EQ(t.steps[2].data, "\r\n");
  EXPECT_EQ(t.steps[3].kind, StepKind::expect);
  EXPECT_EQ(t.steps[4].data, std::string("\0\t", 2));
  EXPECT_EQ(t.steps[5].data, "\r\n");
  EXPECT_EQ(t.steps[6].kind, StepKind::regex);
  EXPECT_EQ(t.steps[6].data, "VALUE a (?P<c>[0-9]+)");
  EXPECT_EQ(t.steps[7].kind, StepKind::repeat);
  EXPECT_EQ(t.steps[8].kind, StepKind::sleep);
  EXPECT_DOUBLE_EQ(t.steps[8].seconds, 2.5);
  EXPECT_EQ(t.steps[9].kind, StepKind::closed);
  EXPECT_EQ(t.steps[10].kind, StepKind::reconnect);
}

TEST(TranscriptReaderTest, KeepsTheSpacesAfterTheFirst) {
  EXPECT_EQ(parse_transcript(">>>  lee\n").steps[0].data, " lee\r\n");
}

TEST(TranscriptReaderTest, RejectsWhatTheFormatDoesNotHave) {
  EXPECT_THROW(parse_transcript(">>>x\n"), TranscriptError);
  EXPECT_THROW(parse_transcript("<<<~\n"), TranscriptError);
  EXPECT_THROW(parse_transcript("... sleep soon\n"), TranscriptError);
  EXPECT_THROW(parse_transcript(">>> a\n# args: --compat\n"), TranscriptError);
  EXPECT_THROW(parse_transcript(">>>| \\x4\n"), TranscriptError);
}

TEST(TranscriptReaderTest, UnescapesAsPython) {
  EXPECT_EQ(unescape(R"(a\r\n\x20\xff\\\'\"\0\101\q)"),
            "a\r\n \xff\\'\"" + std::string(1, '\0') + "A\\q");
  EXPECT_THROW(unescape("a\\"), TranscriptError);
}

TEST(TranscriptReaderTest, SplitsArgsAsShlex) {
  EXPECT_EQ(split_args(" --key-separator : -I  1k "),
            (std::vector<std::string>{"--key-separator", ":", "-I", "1k"}));
  EXPECT_EQ(split_args(R"(--key-separator ' ' "a b" c\ d)"),
            (std::vector<std::string>{"--key-separator", " ", "a b", "c d"}));
  EXPECT_THROW(split_args("'open"), TranscriptError);
}

TEST(LineRegexTest, NamedGroupsBindByName) {
  std::map<std::string, std::string> bound;
  const LineRegex regex("(a|b) (?:x) (?P<cas>[0-9]+)(?P<rest>.*)");
  EXPECT_TRUE(regex.full_match("a x 42", bound));
  EXPECT_EQ(bound["cas"], "42");
  EXPECT_EQ(bound["rest"], "");
  EXPECT_FALSE(regex.full_match("c x 1", bound));
}

TEST(LineRegexTest, MatchesWholeLinesAndDotMatchesNewline) {
  std::map<std::string, std::string> bound;
  EXPECT_TRUE(LineRegex("STAT \\S+ \\S.*").full_match("STAT a b\nc", bound));
  EXPECT_FALSE(LineRegex("STAT").full_match("STAT a", bound));
  EXPECT_TRUE(LineRegex("[.]").full_match(".", bound));
  EXPECT_FALSE(LineRegex("[.]").full_match("x", bound));
  EXPECT_TRUE(LineRegex("(?!maxbytes )\\S+").full_match("pid", bound));
  EXPECT_FALSE(LineRegex("(?!maxbytes )\\S+ \\S+").full_match("maxbytes 8", bound));
}

TEST(LineRegexTest, EscapesSubstitutedValues) {
  std::map<std::string, std::string> bound;
  EXPECT_TRUE(LineRegex(regex_escape("a.b(c)*")).full_match("a.b(c)*", bound));
  EXPECT_FALSE(LineRegex(regex_escape("a.b")).full_match("axb", bound));
}

}  // namespace
}  // namespace nestcache::spec
