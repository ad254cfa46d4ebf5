#include "line_words.h"

namespace nestcache::cli {

std::optional<LineWords> split_words(std::string_view line, std::string& error, bool lenient) {
  LineWords out;
  std::string word;
  bool in_word = false;
  bool quoted = false;  // the current word has a quoted part (so `<<X` in it is no marker)
  bool last_quoted = false;
  std::size_t i = 0;
  auto finish = [&] {
    if (!in_word) return;
    out.words.push_back(std::move(word));
    word.clear();
    in_word = false;
    last_quoted = quoted;
    quoted = false;
  };
  while (i < line.size()) {
    const char c = line[i++];
    if (c == ' ' || c == '\t') {
      finish();
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i == line.size()) {
        if (lenient) break;
        error = "a backslash at the end of the line (use <<EOF for values of several lines)";
        return std::nullopt;
      }
      word += line[i++];
      quoted = true;
    } else if (c == '\'' || c == '"') {
      quoted = true;
      bool closed = false;
      while (i < line.size()) {
        const char q = line[i++];
        if (q == c) {
          closed = true;
          break;
        }
        if (c == '"' && q == '\\' && i < line.size() && (line[i] == '"' || line[i] == '\\')) {
          word += line[i++];
        } else {
          word += q;
        }
      }
      if (!closed && !lenient) {
        error = std::string("unclosed ") + c;
        return std::nullopt;
      }
    } else {
      word += c;
    }
  }
  finish();
  if (!out.words.empty() && !last_quoted && out.words.back().starts_with("<<") &&
      out.words.back().size() > 2) {
    out.heredoc = out.words.back().substr(2);
    out.words.pop_back();
  }
  return out;
}

}  // namespace nestcache::cli
