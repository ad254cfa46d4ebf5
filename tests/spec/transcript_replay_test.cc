// Every proto-spec transcript replayed in process through the Session (transcript_runner.h):
// the same files tests/spec/replay.py replays against a live daemon, here fast, with the manual
// clock, and under the sanitizers with the unit tests. Each file is replayed three times, each
// on a fresh harness, and every run must match the transcript:
//   - each write fed whole, sleeps rounded down;
//   - each write fed one byte at a time (a request split at every byte) and at most one reply
//     made per feed() call (each request's reply, and each part of a long one, its own turn);
//   - each write fed in 7-byte pieces, sleeps rounded up (the other end of the daemon's clock).
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "transcript.h"
#include "transcript_runner.h"

namespace nestcache::spec {
namespace {

// Transcripts that cannot be replayed in process, with the reason. Each must be a real file;
// nothing else is skipped. None today.
const std::map<std::string, std::string>& not_replayable() {
  static const std::map<std::string, std::string> files = {};
  return files;
}

struct ReplayRun {
  const char* label;
  ReplayOptions options;
};

const ReplayRun kRuns[] = {
    {"whole writes", {0, std::numeric_limits<std::size_t>::max(), SleepRounding::down}},
    {"1-byte pieces, one reply per feed", {1, 1, SleepRounding::down}},
    {"7-byte pieces, sleeps rounded up",
     {7, std::numeric_limits<std::size_t>::max(), SleepRounding::up}},
};

class TranscriptReplayTest : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(TranscriptReplayTest, SessionAnswersAsWritten) {
  const std::filesystem::path& path = GetParam();
  const auto listed = not_replayable().find(path.filename().string());
  if (listed != not_replayable().end()) GTEST_SKIP() << listed->second;
  Transcript transcript;
  try {
    transcript = read_transcript_file(path);
  } catch (const TranscriptError& e) {
    FAIL() << e.what();
  }
  for (const ReplayRun& run : kRuns) {
    const std::string failure = replay(transcript, run.options);
    EXPECT_EQ(failure, "") << path.filename().string() << " (" << run.label << ")\n" << failure;
  }
}

// The test's name is the file's, without ".txt" and with '_' for what gtest does not allow.
std::string file_test_name(const ::testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Transcripts, TranscriptReplayTest, ::testing::ValuesIn(transcript_files()),
                         file_test_name);

TEST(TranscriptFilesTest, DirectoryHoldsTranscripts) {
  EXPECT_FALSE(transcript_files().empty()) << "no *.txt in " << transcripts_dir();
}

TEST(TranscriptFilesTest, EveryListedExceptionIsAFile) {
  for (const auto& [file, reason] : not_replayable()) {
    EXPECT_TRUE(std::filesystem::is_regular_file(transcripts_dir() / file)) << file;
  }
}

}  // namespace
}  // namespace nestcache::spec
