// The in-process replayer finds what it is there to find: a wrong byte, a reply too many, a
// close that did not happen; and its sleeps, pieces and ${name} values work as specified.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "transcript.h"
#include "transcript_runner.h"

namespace nestcache::spec {
namespace {

using ::testing::HasSubstr;

std::string replay_text(const std::string& text, const ReplayOptions& options = {}) {
  return replay(parse_transcript(text), options);
}

const ReplayOptions kPieces[] = {{}, {1, 1, SleepRounding::down}, {7, 64, SleepRounding::down}};

TEST(TranscriptRunnerTest, PassesWhatTheSessionAnswers) {
  const std::string text =
      ">>> set a 0 0 1\n>>> x\n>>> gets a\n"
      "<<< STORED\n<<<~ VALUE a 0 1 (?P<c>[0-9]+)\n<<< x\n<<< END\n"
      ">>> cas a 0 0 1 ${c}\n>>> y\n<<< STORED\n"
      ">>> stats\n<<<+ STAT \\S+ \\S.*\n<<< END\n"
      ">>>| get\n>>>| \\x20a\\r\\n\n<<<| VALUE a 0 1\\r\\ny\\r\\nEND\\r\\n\n"
      ">>> quit\n=== closed\n>>> get a\n=== reconnect\n>>> version\n<<<~ VERSION .*\n";
  for (const ReplayOptions& options : kPieces) {
    EXPECT_EQ(replay_text(text, options), "") << options.piece;
  }
}

TEST(TranscriptRunnerTest, ReportsAWrongByteWithItsLine) {
  const std::string failure = replay_text(">>> get a\n<<< END\n>>> get b\n<<< ENDS\n");
  EXPECT_THAT(failure, HasSubstr("line 4: <<< ENDS"));
  EXPECT_THAT(failure, HasSubstr("answered: \"END\\r\\n\""));
}

TEST(TranscriptRunnerTest, ReportsRepliesNobodyExpected) {
  EXPECT_THAT(replay_text(">>> get a\n"), HasSubstr("answered more: \"END\\r\\n\""));
  EXPECT_THAT(replay_text(">>> get a\n=== reconnect\n"), HasSubstr("before reconnecting"));
}

TEST(TranscriptRunnerTest, ReportsACloseThatDidNotHappen) {
  EXPECT_THAT(replay_text(">>> version\n<<<~ VERSION .*\n=== closed\n"),
              HasSubstr("did not close"));
}

TEST(TranscriptRunnerTest, ReportsARegexThatDoesNotMatch) {
  EXPECT_THAT(replay_text(">>> version\n<<<~ VERSION [0-9]\n"), HasSubstr("matching"));
  EXPECT_THAT(replay_text(">>> cas a 0 0 1 ${c}\n"), HasSubstr("${c} is not bound"));
}

TEST(TranscriptRunnerTest, ReportsArgumentsTheDaemonRejects) {
  EXPECT_THAT(replay_text("# args: --no-such-option\n>>> version\n"), HasSubstr("parse_options"));
}

TEST(TranscriptRunnerTest, ArgumentsReachTheSession) {
  EXPECT_EQ(replay_text("# args: --compat\n>>> help\n<<< ERROR\n"), "");
}

// An item with 2 s to live, read after sleeping 1.5 s: the daemon's clock has moved 1 or 2 s,
// so it may or may not be there; the two roundings tell.
TEST(TranscriptRunnerTest, SleepsMoveTheClockByEachRounding) {
  const std::string text =
      ">>> set a 0 2 1\n>>> x\n<<< STORED\n... sleep 1.5\n>>> get a\n<<< VALUE a 0 1\n<<< x\n"
      "<<< END\n";
  EXPECT_EQ(replay_text(text, {0, SIZE_MAX, SleepRounding::down}), "");
  EXPECT_THAT(replay_text(text, {0, SIZE_MAX, SleepRounding::up}), HasSubstr("line 6"));
}

}  // namespace
}  // namespace nestcache::spec
