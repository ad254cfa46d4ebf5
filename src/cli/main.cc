// nestcache-cli: the config store from a shell (README "nestcache-cli").
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "interactive.h"

int main(int argc, char** argv) {
  using namespace nestcache::cli;
  std::ios::sync_with_stdio(false);
  Options options;
  try {
    options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const Failure& f) {
    std::cerr << "nestcache-cli: " << f.message << "\n";
    return f.code;
  }
  if (options.command.empty()) {
    if (options.help) {
      std::cout << general_help();
      return kExitOk;
    }
    return run_interactive(options);
  }
  Context context(std::move(options), std::cout, std::cerr);
  const int code = run_command(context);
  std::cout.flush();
  return code;
}
