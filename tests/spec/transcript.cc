#include "transcript.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nestcache::spec {
namespace {

std::string at_line(int line, std::string_view what) {
  return "line " + std::to_string(line) + ": " + std::string(what);
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// The one-letter escapes and the byte each stands for, position by position.
constexpr char kSimpleEscapes[] = "\\'\"abfnrtv";
constexpr char kSimpleBytes[] = "\\'\"\a\b\f\n\r\t\v";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A directive's marker and what it makes; tried in this order, as replay.py does, so that
// ">>>|" is not read as ">>>" followed by "|".
struct Marker {
  std::string_view text;
  StepKind kind;
  bool raw;
};
constexpr Marker kMarkers[] = {
    {">>>|", StepKind::send, true},    {">>>", StepKind::send, false},
    {"<<<|", StepKind::expect, true},  {"<<<~", StepKind::regex, false},
    {"<<<+", StepKind::repeat, false}, {"<<<", StepKind::expect, false},
};

// The step for a line that starts with one of kMarkers followed by nothing or one space;
// false if none fits.
bool read_marked(std::string_view line, int lineno, Step& step) {
  for (const Marker& marker : kMarkers) {
    if (line.substr(0, marker.text.size()) != marker.text) continue;
    std::string_view operand = line.substr(marker.text.size());
    if (!operand.empty()) {
      if (operand.front() != ' ') continue;
      operand.remove_prefix(1);
    }
    step.kind = marker.kind;
    step.raw = marker.raw;
    if (marker.kind == StepKind::regex || marker.kind == StepKind::repeat) {
      if (operand.empty()) throw TranscriptError(at_line(lineno, "empty regex"));
      step.data = std::string(operand);
    } else if (marker.raw) {
      try {
        step.data = unescape(operand);
      } catch (const TranscriptError& e) {
        throw TranscriptError(at_line(lineno, e.what()));
      }
    } else {
      step.data = std::string(operand) + "\r\n";
    }
    return true;
  }
  return false;
}

double read_seconds(std::string_view text, int lineno) {
  const std::string number(trim(text));
  char* end = nullptr;
  const double seconds = number.empty() ? 0 : std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(seconds >= 0)) {
    throw TranscriptError(at_line(lineno, "bad sleep: " + number));
  }
  return seconds;
}

}  // namespace

Transcript parse_transcript(std::string_view text) {
  Transcript transcript;
  int lineno = 0;
  while (!text.empty() || lineno == 0) {
    ++lineno;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    if (line.front() == '#') {
      const std::string_view body = trim(line.substr(1));
      if (body.substr(0, 5) == "args:") {
        if (!transcript.steps.empty()) {
          throw TranscriptError(at_line(lineno, "'# args:' after the first directive"));
        }
        for (std::string& arg : split_args(body.substr(5))) {
          transcript.args.push_back(std::move(arg));
        }
      }
      continue;
    }
    Step step;
    step.line = lineno;
    step.source = std::string(line);
    if (read_marked(line, lineno, step)) {
      // done
    } else if (line.substr(0, 9) == "... sleep") {
      step.kind = StepKind::sleep;
      step.seconds = read_seconds(line.substr(9), lineno);
    } else if (trim(line) == "=== closed") {
      step.kind = StepKind::closed;
    } else if (trim(line) == "=== reconnect") {
      step.kind = StepKind::reconnect;
    } else {
      throw TranscriptError(at_line(lineno, "unknown directive: " + std::string(line)));
    }
    transcript.steps.push_back(std::move(step));
  }
  return transcript;
}

Transcript read_transcript_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw TranscriptError(path.string() + ": cannot open");
  std::ostringstream text;
  text << file.rdbuf();
  try {
    return parse_transcript(text.str());
  } catch (const TranscriptError& e) {
    throw TranscriptError(path.filename().string() + ": " + e.what());
  }
}

std::string unescape(std::string_view text) {
  std::string bytes;
  bytes.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\') {
      bytes += c;
      continue;
    }
    if (++i == text.size()) throw TranscriptError("bad escape sequence: trailing \\");
    const char e = text[i];
    if (const char* simple = std::strchr(kSimpleEscapes, e); simple != nullptr && e != '\0') {
      bytes += kSimpleBytes[simple - kSimpleEscapes];
    } else if (e == 'x') {
      const int high = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (high < 0 || low < 0) throw TranscriptError("bad escape sequence: invalid \\x escape");
      bytes += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (e >= '0' && e <= '7') {  // up to three octal digits
      int value = e - '0';
      for (int digits = 1;
           digits < 3 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7';
           ++digits) {
        value = value * 8 + (text[++i] - '0');
      }
      bytes += static_cast<char>(value & 0xff);
    } else {
      bytes += '\\';  // Python keeps an unknown escape as written
      bytes += e;
    }
  }
  return bytes;
}

std::vector<std::string> split_args(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = '\0';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = '\0';
      } else {
        word += c;
      }
    } else if (c == '\\' && i + 1 < text.size() &&
               (quote == '\0' || text[i + 1] == '"' || text[i + 1] == '\\')) {
      word += text[++i];
      in_word = true;
    } else if (quote == '"') {
      if (c == '"') {
        quote = '\0';
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != '\0') throw TranscriptError("unterminated quote in '# args:'");
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::filesystem::path transcripts_dir() { return NESTCACHE_TRANSCRIPTS; }

std::vector<std::filesystem::path> transcript_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace nestcache::spec
