// What TAB offers in the interactive mode: command names, a command's --flags, and path
// segments (the children of the path typed so far, asked of the server with getch).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nestcache/client/path.h"

namespace nestcache::cli {

// The children of a node (empty when it has none or the server cannot say).
using ChildrenOf = std::function<std::vector<std::string>(const client::Segments&)>;

struct Completion {
  std::vector<std::string> candidates;  // each a whole replacement for the word
  // False when the one candidate is a node with children (it ends with the separator): the
  // path goes on, so no space is put after it.
  bool word_done = true;
};

// The names the prompt knows: every command, and help, quit, exit.
std::vector<std::string> interactive_commands();

// Candidates for `word`, the word being typed after the words `before` (the line's start).
Completion complete(const std::vector<std::string>& before, std::string_view word, char separator,
                    const ChildrenOf& children);

}  // namespace nestcache::cli
