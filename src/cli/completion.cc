#include "completion.h"

#include <algorithm>

#include "commands.h"
#include "nestcache/client/error.h"

namespace nestcache::cli {
namespace {

// Global options that take a value, allowed before the command on a line.
bool global_with_value(std::string_view word) {
  for (std::string_view o : {"-o", "--output", "-d", "--delimiter", "-t", "--timeout"}) {
    if (word == o) return true;
  }
  return false;
}

// Command flags that take a value (their value is not a positional argument).
bool flag_with_value(std::string_view word) {
  for (std::string_view f :
       {"--ttl", "--flags", "--to", "--from", "--interval", "--count", "--width", "--pipeline"}) {
    if (word == f) return true;
  }
  return false;
}

// Commands whose first positional argument is a PATH.
bool takes_path(std::string_view command) {
  for (std::string_view c : {"get", "set", "del", "ls", "tree", "stat", "export", "watch"}) {
    if (command == c) return true;
  }
  return false;
}

void keep_prefixed(std::vector<std::string>& names, std::string_view prefix) {
  std::erase_if(names, [&](const std::string& n) { return !n.starts_with(prefix); });
  std::sort(names.begin(), names.end());
}

Completion paths(std::string_view word, char separator, const ChildrenOf& children) {
  const std::size_t cut = word.rfind(separator);
  const std::string parent_text(cut == std::string_view::npos ? "" : word.substr(0, cut + 1));
  const std::string_view prefix = word.substr(parent_text.size());
  client::Segments parent;
  try {
    parent = client::split_path(parent_text, separator);
  } catch (const client::Error&) {
    return {};
  }
  Completion out;
  std::vector<std::string> names = children(parent);
  keep_prefixed(names, prefix);
  for (const std::string& name : names) out.candidates.push_back(parent_text + name);
  if (names.size() == 1) {
    parent.push_back(names.front());
    if (!children(parent).empty()) {
      out.candidates.front() += separator;
      out.word_done = false;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> interactive_commands() {
  std::vector<std::string> names;
  for (const Command& c : commands()) names.emplace_back(c.name);
  for (const char* extra : {"help", "quit", "exit"}) names.emplace_back(extra);
  return names;
}

Completion complete(const std::vector<std::string>& before, std::string_view word, char separator,
                    const ChildrenOf& children) {
  std::size_t at = 0;  // the command's word, past global options
  while (at < before.size() && before[at].starts_with("-")) {
    at += global_with_value(before[at]) ? 2 : 1;
  }
  Completion out;
  if (at >= before.size()) {
    if (word.starts_with("-")) return out;
    out.candidates = interactive_commands();
    keep_prefixed(out.candidates, word);
    return out;
  }
  const std::string& command = before[at];
  if (word.starts_with("-")) {
    if (const Command* c = find_command(command)) {
      for (const std::string& flag : c->flags) out.candidates.push_back("--" + flag);
      out.candidates.push_back("--help");
    }
    keep_prefixed(out.candidates, word);
    return out;
  }
  if (before.back() == "--to") return paths(word, separator, children);
  std::size_t positional = 0;
  for (std::size_t i = at + 1; i < before.size(); ++i) {
    if (before[i] == "--") return out;  // watch's command: not ours to complete
    if (before[i].starts_with("-")) {
      i += flag_with_value(before[i]) ? 1 : 0;
    } else {
      ++positional;
    }
  }
  if (command == "help" && positional == 0) {
    for (const Command& c : commands()) out.candidates.emplace_back(c.name);
    keep_prefixed(out.candidates, word);
    return out;
  }
  if (positional == 0 && takes_path(command)) return paths(word, separator, children);
  return out;
}

}  // namespace nestcache::cli
