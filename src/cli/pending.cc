// Commands not built yet: each says so and fails (exit 1), so no script mistakes it for done.
#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "interactive.h"

namespace nestcache::cli {

int run_interactive(const Options&) {
  throw Failure{kExitUsage, "interactive mode: not built yet (give a command; see --help)"};
}

}  // namespace nestcache::cli
