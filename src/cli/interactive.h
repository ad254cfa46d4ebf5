// The interactive mode (no command given): a prompt with line editing, history across
// sessions and completion (libedit).
#pragma once

#include "options.h"

namespace nestcache::cli {

// Runs the prompt until end of input or `quit`; the exit code.
int run_interactive(const Options& options);

}  // namespace nestcache::cli
