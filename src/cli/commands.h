// The commands of nestcache-cli: one table (name, usage, help, flags, function), used by the
// dispatcher, --help, per-command help and the interactive mode's completion.
#pragma once

#include <string>
#include <vector>

namespace nestcache::cli {

class Context;

struct Command {
  const char* name;
  const char* usage;  // arguments after the name
  const char* help;   // what it does, for `nestcache-cli <name> --help`
  std::vector<std::string> flags;
  int (*run)(Context&);
};

const std::vector<Command>& commands();
const Command* find_command(const std::string& name);

// Runs options().command in `context`: its exit code; Failures are reported on err() and
// become their code.
int run_command(Context& context);

// --help with no command, and `<command> --help`.
std::string general_help();
std::string command_help(const Command& command);

// The commands, defined in the cmd_*.cc files.
int cmd_get(Context&);
int cmd_set(Context&);
int cmd_del(Context&);
int cmd_ls(Context&);
int cmd_tree(Context&);
int cmd_stat(Context&);
int cmd_export(Context&);
int cmd_import(Context&);
int cmd_load(Context&);
int cmd_watch(Context&);

}  // namespace nestcache::cli
