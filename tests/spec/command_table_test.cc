// The command table (protocol/commands.h) against what shows it to clients: every row is sent
// by some proto-spec transcript, and `help` lists every row's help line, in table order. A new
// row without a transcript fails here, naming the command (tests/README.md, new-command
// checklist).
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"
#include "nestcache/protocol/commands.h"
#include "transcript.h"

namespace nestcache::spec {
namespace {

// Whether `bytes` starts with the command `name` as a whole token.
bool starts_with_command(std::string_view bytes, std::string_view name) {
  if (!bytes.starts_with(name)) return false;
  return bytes.size() == name.size() || bytes[name.size()] == ' ' || bytes[name.size()] == '\r' ||
         bytes[name.size()] == '\n';
}

// For each command name, the first transcript (and line) that sends it.
std::map<std::string, std::string> first_senders() {
  std::map<std::string, std::string> senders;
  for (const auto& path : transcript_files()) {
    const Transcript transcript = read_transcript_file(path);
    for (const Step& step : transcript.steps) {
      if (step.kind != StepKind::send) continue;
      for (const CommandInfo& row : kCommands) {
        if (starts_with_command(step.data, row.name)) {
          senders.emplace(row.name, path.filename().string() + ":" + std::to_string(step.line));
        }
      }
    }
  }
  return senders;
}

TEST(CommandTableTest, EveryCommandHasATranscript) {
  const std::map<std::string, std::string> senders = first_senders();
  for (const CommandInfo& row : kCommands) {
    EXPECT_TRUE(senders.contains(std::string(row.name)))
        << "no transcript in " << transcripts_dir() << " sends `" << row.name << "` (a `>>> "
        << row.name << " ...` line): add one (tests/README.md)";
  }
}

TEST(CommandTableTest, HelpListsEveryRowInTableOrder) {
  Harness h;
  std::istringstream reply(h.run("help\r\n"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(reply, line);) {
    ASSERT_TRUE(line.ends_with('\r')) << line;
    line.pop_back();
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), kCommandCount + 1);
  for (std::size_t i = 0; i < kCommandCount; ++i) {
    EXPECT_EQ(lines[i], "HELP " + std::string(kCommands[i].help))
        << "help line " << i << " should be the row of `" << kCommands[i].name << "`";
  }
  EXPECT_EQ(lines.back(), "END");
}

TEST(CommandTableTest, MatchesCommandsAsWholeTokens) {
  EXPECT_TRUE(starts_with_command("get a\r\n", "get"));
  EXPECT_TRUE(starts_with_command("get", "get"));
  EXPECT_FALSE(starts_with_command("gets a\r\n", "get"));
  EXPECT_FALSE(starts_with_command("GET a\r\n", "get"));
  EXPECT_FALSE(starts_with_command(" get a\r\n", "get"));
}

}  // namespace
}  // namespace nestcache::spec
