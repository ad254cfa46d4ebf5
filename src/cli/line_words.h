// An interactive line as words, as a shell splits them: spaces separate, '...' keeps everything,
// "..." keeps all but \" and \\, a backslash outside quotes keeps the next character. A last
// word `<<WORD` (unquoted) asks for a here-document: the value is the lines that follow, up to
// one that is WORD alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nestcache::cli {

struct LineWords {
  std::vector<std::string> words;
  std::optional<std::string> heredoc;  // the end marker of a here-document, when asked for
};

// nullopt (and `error` says why) for an unclosed quote or a trailing backslash. `lenient`
// (for completion, mid-line) closes what is open instead.
std::optional<LineWords> split_words(std::string_view line, std::string& error,
                                     bool lenient = false);

}  // namespace nestcache::cli
