// The interactive mode: a prompt that runs the one-shot commands on one connection, with line
// editing, history across sessions and completion from libedit when standard input is a
// terminal (plain lines otherwise, so a script can be piped in).
#include "interactive.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "commands.h"
#include "completion.h"
#include "context.h"
#include "exit_codes.h"
#include "line_words.h"

namespace nestcache::cli {
namespace {

constexpr int kHistoryLines = 1000;

// Where history is kept: $NESTCACHE_HISTORY (empty: nowhere), else ~/.nestcache_history.
std::string history_file() {
  if (const char* file = std::getenv("NESTCACHE_HISTORY")) return file;
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? std::string(home) + "/.nestcache_history" : "";
}

// The completion's view of the server, for libedit's C callbacks (one prompt per process).
const ChildrenOf* g_children = nullptr;
char g_separator = '/';
std::vector<std::string> g_candidates;

char* next_candidate(const char*, int state) {
  static std::size_t at = 0;
  if (state == 0) at = 0;
  return at < g_candidates.size() ? ::strdup(g_candidates[at++].c_str()) : nullptr;
}

char** attempt_completion(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  std::string error;
  const auto before = split_words(std::string_view(rl_line_buffer, start), error, true);
  if (!before || g_children == nullptr) return nullptr;
  Completion done = complete(before->words, text, g_separator, *g_children);
  if (done.candidates.empty()) return nullptr;
  rl_completion_append_character = done.word_done ? ' ' : '\0';
  g_candidates = std::move(done.candidates);
  return rl_completion_matches(text, next_candidate);
}

// Lines from libedit (a terminal) or from standard input as they are.
class LineSource {
 public:
  explicit LineSource(bool edit) : edit_(edit), history_(edit ? history_file() : "") {
    if (!edit_) return;
    rl_readline_name = "nestcache-cli";
    rl_attempted_completion_function = attempt_completion;
    using_history();
    stifle_history(kHistoryLines);
    if (!history_.empty()) read_history(history_.c_str());
  }

  bool read(std::string& line, const std::string& prompt) {
    std::cout.flush();
    if (!edit_) return static_cast<bool>(std::getline(std::cin, line));
    char* got = readline(prompt.c_str());
    if (got == nullptr) {
      std::cout << "\n";
      return false;
    }
    line = got;
    std::free(got);
    return true;
  }

  // Keeps `line` for the up arrow, in this session and (written at once) the next ones.
  void remember(const std::string& line) {
    if (!edit_ || line.find_first_not_of(' ') == std::string::npos) return;
    add_history(line.c_str());
    if (!history_.empty()) write_history(history_.c_str());
  }

 private:
  bool edit_;
  std::string history_;
};

// The session's global options as arguments, so that a line's own (-o json) come after them.
std::vector<std::string> session_arguments(const Options& o) {
  const auto seconds = std::max<int64_t>(1, o.timeout.count() / 1000);
  return {"-h", o.host,
          "-p", std::to_string(o.port),
          "-t", std::to_string(seconds),
          "-d", std::string(1, o.separator),
          "-o", o.format == Format::json ? "json" : "text"};
}

const char* const kPromptHelp =
    "\nAt the prompt: the commands above without `nestcache-cli` (quotes as in a shell),\n"
    "help [COMMAND], quit or exit (or Ctrl-D). A value of several lines: `set PATH <<EOF`,\n"
    "then its lines, then EOF alone on a line (any word after << ends it). TAB completes\n"
    "command names, --flags and path segments; history is kept in ~/.nestcache_history\n"
    "($NESTCACHE_HISTORY; empty: none).\n";

}  // namespace

int run_interactive(const Options& options) {
  const bool edit = ::isatty(STDIN_FILENO) != 0;
  Context context(options, std::cout, std::cerr);
  const ChildrenOf children = [&](const client::Segments& path) -> std::vector<std::string> {
    try {
      return context.client().children(path).lines;
    } catch (...) {  // no server, or a path it cannot name: nothing to offer
      context.disconnect();
      return {};
    }
  };
  g_children = &children;
  g_separator = options.separator;
  LineSource source(edit);
  const std::string prompt =
      "nestcache " + options.host + ":" + std::to_string(options.port) + "> ";
  int last = kExitOk;
  std::string line;
  while (source.read(line, prompt)) {
    source.remember(line);
    std::string error;
    std::optional<LineWords> words = split_words(line, error);
    if (!words) {
      std::cerr << "nestcache-cli: " << error << "\n";
      last = kExitUsage;
      continue;
    }
    if (words->heredoc) {
      std::string value, part;
      bool ended = false;
      for (bool first = true; !ended && source.read(part, "> "); first = false) {
        ended = part == *words->heredoc;
        if (!ended) value += (first ? "" : "\n") + part;
      }
      if (!ended) {
        std::cerr << "nestcache-cli: the input ended before " << *words->heredoc << "\n";
        return kExitUsage;
      }
      words->words.push_back(std::move(value));
    }
    if (words->words.empty()) continue;
    const std::string& first = words->words.front();
    if (first == "quit" || first == "exit") break;
    std::vector<std::string> argv = session_arguments(options);
    argv.insert(argv.end(), words->words.begin(), words->words.end());
    Options o;
    try {
      o = parse_options(argv);
    } catch (const Failure& f) {
      std::cerr << "nestcache-cli: " << f.message << "\n";
      last = f.code;
      continue;
    }
    if (o.command == "help" || (o.command.empty() && o.help)) {
      const Command* c = o.args.empty() ? nullptr : find_command(o.args.front());
      std::cout << (c != nullptr ? command_help(*c) : general_help() + kPromptHelp);
      last = kExitOk;
      continue;
    }
    if (o.command == "set" && o.args.size() == 1 && !o.help) {
      std::cerr << "nestcache-cli: set: give a VALUE, or <<EOF and the value's lines\n";
      last = kExitUsage;
      continue;
    }
    context.reset(std::move(o));
    last = run_command(context);
    std::cout.flush();
    if (last == kExitConnect || last == kExitServerError) context.disconnect();
  }
  g_children = nullptr;
  return last;
}

}  // namespace nestcache::cli
