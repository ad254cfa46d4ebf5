// The command line: global options (where to connect, how to print), the command and its own
// arguments and flags.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nestcache::cli {

enum class Format { text, json };

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 11211;
  std::chrono::milliseconds timeout{5000};
  char separator = '/';  // between segments of a PATH argument (-d)
  Format format = Format::text;
  bool help = false;
  std::string command;            // empty: interactive mode
  std::vector<std::string> args;  // positional arguments after the command
  // --name value / --name (value "") flags after the command, by name without dashes.
  std::map<std::string, std::string> flags;
  std::vector<std::string> after_dashes;  // what follows a `--` (watch's command)
  bool saw_dashes = false;

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::optional<std::string> flag(const std::string& name) const {
    const auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return it->second;
  }
};

// Parses argv. Throws Failure (kExitUsage) on a bad option. `value_flags` are the command
// flags that take a value; any other --flag is a switch. Unknown flags are the command's to
// refuse (check_flags).
Options parse_options(const std::vector<std::string>& argv);

// Throws Failure (kExitUsage) when `options` has a flag outside `allowed`.
void check_flags(const Options& options, const std::vector<std::string>& allowed);

// A flag's value as a number, or Failure (kExitUsage) naming the flag.
int64_t flag_number(const Options& options, const std::string& name, int64_t fallback);

}  // namespace nestcache::cli
