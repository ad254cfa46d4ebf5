// The regular expressions of <<<~ and <<<+ lines, written for Python's re, run with std::regex.
#pragma once

#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nestcache::spec {

class LineRegex {
 public:
  // Compiles a Python pattern as replay.py does (re.DOTALL, matched against a whole line):
  // (?P<name>...) becomes a plain group whose number is remembered, and `.` outside a bracket
  // expression also matches "\n". Throws TranscriptError for what ECMAScript cannot express
  // ((?P=name) back references) and for a pattern std::regex rejects.
  explicit LineRegex(std::string_view python_pattern);

  // Whether `line` matches as a whole; on a match, each named group that took part is stored
  // into `bound` under its name.
  bool full_match(const std::string& line, std::map<std::string, std::string>& bound) const;

 private:
  std::regex regex_;
  std::vector<std::pair<std::size_t, std::string>> names_;  // group number -> name
};

// `text` with every character that is special in an ECMAScript pattern escaped, so that it
// matches itself (Python's re.escape, for ${name} values substituted into a pattern).
std::string regex_escape(std::string_view text);

}  // namespace nestcache::spec
