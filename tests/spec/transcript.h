// A proto-spec transcript read into steps, for the in-process replayer. The format is
// proto-spec/protocol.md 11.1; this reader follows tests/spec/replay.py's parse_transcript, the
// Python reader the live-daemon replays use, rule for rule.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nestcache::spec {

// A transcript that breaks the format (the message names its line).
class TranscriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class StepKind : uint8_t {
  send,       // >>> TEXT (TEXT + "\r\n") or >>>| ESCAPED (the bytes as they are)
  expect,     // <<< TEXT or <<<| ESCAPED: exactly these bytes next
  regex,      // <<<~ REGEX: one line matching REGEX
  repeat,     // <<<+ REGEX: one or more lines matching REGEX
  sleep,      // ... sleep SECONDS
  closed,     // === closed
  reconnect,  // === reconnect
};

struct Step {
  StepKind kind = StepKind::send;
  int line = 0;        // 1-based line number in the file
  std::string source;  // the directive as written, for failure reports
  // send/expect: the bytes ("\r\n" appended for TEXT); regex/repeat: the Python pattern.
  std::string data;
  bool raw = false;    // the | forms: bytes as written, never ${name}-substituted
  double seconds = 0;  // sleep
};

struct Transcript {
  std::vector<std::string> args;  // the daemon's arguments from "# args:" lines
  std::vector<Step> steps;
};

// The transcript in `text`; throws TranscriptError if it breaks the format.
Transcript parse_transcript(std::string_view text);

// The transcript in the file at `path`; throws TranscriptError if it cannot be read or parsed.
Transcript read_transcript_file(const std::filesystem::path& path);

// The bytes of a Python-escaped string (\r \n \t \\ \' \" \a \b \f \v \xNN \NNN, as Python's
// codecs.escape_decode reads them; an unknown escape stays as written); throws TranscriptError
// on a bad \x escape or a trailing backslash.
std::string unescape(std::string_view text);

// `text` split into words as Python's shlex.split does for the arguments transcripts use:
// whitespace separates, single and double quotes group, a backslash escapes outside single
// quotes. Throws TranscriptError on an unterminated quote.
std::vector<std::string> split_args(std::string_view text);

// The proto-spec transcripts directory (the NESTCACHE_TRANSCRIPTS compile definition).
std::filesystem::path transcripts_dir();

// The *.txt files in `dir`, in name order.
std::vector<std::filesystem::path> transcript_files(
    const std::filesystem::path& dir = transcripts_dir());

}  // namespace nestcache::spec
