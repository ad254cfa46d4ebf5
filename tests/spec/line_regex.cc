#include "line_regex.h"

#include "transcript.h"

namespace nestcache::spec {
namespace {

// Python's pattern in ECMAScript terms, and the number of each named group.
std::string translate(std::string_view pattern,
                      std::vector<std::pair<std::size_t, std::string>>& names) {
  std::string out;
  std::size_t groups = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {  // an escape is copied whole, in a class or not
      out += c;
      if (i + 1 < pattern.size()) out += pattern[++i];
      continue;
    }
    if (in_class) {
      out += c;
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      out += c;
      in_class = true;
      // A ']' right after '[' or '[^' is a member, not the end.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == '.') {
      out += "[\\s\\S]";  // re.DOTALL
      continue;
    }
    if (c == '(') {
      const std::string_view rest = pattern.substr(i + 1);
      if (rest.substr(0, 3) == "?P<") {
        const std::size_t close = rest.find('>');
        if (close == std::string_view::npos) throw TranscriptError("unterminated (?P<name>");
        names.emplace_back(++groups, std::string(rest.substr(3, close - 3)));
        out += '(';
        i += close + 1;
        continue;
      }
      if (rest.substr(0, 3) == "?P=") {
        throw TranscriptError("(?P=name) back references are not supported in process");
      }
      if (rest.substr(0, 1) != "?") ++groups;  // (?: (?= (?! do not capture
    }
    out += c;
  }
  return out;
}

}  // namespace

LineRegex::LineRegex(std::string_view python_pattern) {
  const std::string pattern = translate(python_pattern, names_);
  try {
    regex_ = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw TranscriptError("bad regex " + std::string(python_pattern) + ": " + e.what());
  }
}

bool LineRegex::full_match(const std::string& line,
                           std::map<std::string, std::string>& bound) const {
  std::smatch match;
  if (!std::regex_match(line, match, regex_)) return false;
  for (const auto& [group, name] : names_) {
    if (group < match.size() && match[group].matched) bound[name] = match[group].str();
  }
  return true;
}

std::string regex_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace nestcache::spec
