#include "commands.h"

#include <ostream>

#include "context.h"
#include "exit_codes.h"

namespace nestcache::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"get",
       "PATH",
       "Prints the value at PATH (exit 4 when there is none).\n"
       "  --raw    the bytes exactly, without a newline after them",
       {"raw"},
       cmd_get},
      {"set",
       "PATH [VALUE]",
       "Stores VALUE (or standard input when VALUE is absent) at PATH; missing parents are made.\n"
       "  --ttl S    expire after S seconds (memcached's exptime rules)\n"
       "  --flags N  the value's client flags (32-bit)",
       {"ttl", "flags"},
       cmd_set},
      {"del",
       "PATH",
       "Deletes the node at PATH with its whole subtree (exit 4 when none).",
       {},
       cmd_del},
      {"ls",
       "[PATH]",
       "Lists the children of PATH (the top level without PATH), sorted.",
       {},
       cmd_ls},
      {"tree",
       "[PATH]",
       "Draws the subtree at PATH with its values, cut to the terminal width; values that are\n"
       "not printable text are shown as <N bytes>.\n"
       "  --width N  the width to cut at (default: the terminal's, else $COLUMNS, else 80)",
       {"width"},
       cmd_tree},
      {"stat",
       "[PATH]",
       "Without PATH: the server's stats. With PATH: items, nodes, bytes, depth and highest\n"
       "revision of the subtree (walked with dumptree).\n"
       "  --live      a refreshing view of ops/s, hit ratio, memory, connections, evictions\n"
       "  --latency   round-trip latency min/avg/max/p99 (as redis-cli --latency)\n"
       "  --interval S  seconds between refreshes (default 1)\n"
       "  --count N     stop after N refreshes (default: until interrupted)",
       {"live", "latency", "interval", "count"},
       cmd_stat},
      {"export",
       "[PATH]",
       "Writes the subtree at PATH as one nested JSON document (streamed), full paths from the\n"
       "root. A node's own value is under \"@value\" (UTF-8) or \"@base64\", its flags under\n"
       "\"@flags\", its expiry (Unix time) under \"@exptime\"; a child named @x is written @@x.\n"
       "  --flat   Consul's `kv export` format: [{\"key\",\"flags\",\"value\"}], base64 values",
       {"flat"},
       cmd_export},
      {"import",
       "FILE|-",
       "Replaces the subtree(s) the document covers with exactly what it holds (either format).\n"
       "  --to PATH   place the document's subtree at PATH instead\n"
       "  --dry-run   print what would be added, changed and removed; change nothing\n"
       "  --atomic    readers see the whole old or the whole new subtree, never a mix; a failed\n"
       "              import changes nothing (staged on the server, then swapped in at once)",
       {"to", "dry-run", "atomic"},
       cmd_import},
      {"load",
       "FILE|-",
       "Bulk load: `PATH VALUE` lines (VALUE to the end of the line), or raw memcache commands\n"
       "when the first line is one (set/add/... with their data lines). Pipelined; progress on\n"
       "a terminal; errors reported by line number (exit 3 if any).\n"
       "  --pipeline N  requests in flight (default 64)\n"
       "  --ttl S, --flags N  for PATH VALUE lines",
       {"pipeline", "ttl", "flags"},
       cmd_load},
      {"watch",
       "PATH [--from REV] [-- CMD ARGS...]",
       "Prints the changes at and below PATH as they happen (the server's watchtree), one line\n"
       "each: SET REV PATH = VALUE, TOUCH, DELETE, EXPIRE, EVICT, UNSET (the value went, children\n"
       "stay), GRAFT (the subtree was replaced at once: an atomic import), FLUSH; -o json for one\n"
       "object per line. Remembers the last revision seen (PROGRESS included) and resumes after\n"
       "it by itself after a disconnect, a server restart (retried with backoff) or a CANCELED.\n"
       "When the server no longer holds those changes (COMPACTED, or a server restarted without\n"
       "--data-dir), it says so on stderr, prints `RESYNC REV PATH` (re-read the subtree: what\n"
       "changed before REV is not replayed) and goes on after REV.\n"
       "  --from REV    start after revision REV (default: now)\n"
       "  --count N     exit 0 after N events (RESYNC included)\n"
       "  --no-resync   exit 5 instead of RESYNC\n"
       "  -- CMD ARGS   run CMD per event instead of printing it, waited for, with\n"
       "                NESTCACHE_EVENT, NESTCACHE_REVISION, NESTCACHE_PATH, and for SET\n"
       "                NESTCACHE_VALUE (when it has no NUL byte and fits 100000 bytes),\n"
       "                NESTCACHE_FLAGS; NESTCACHE_EXPTIME for SET, TOUCH, GRAFT. A SET's value\n"
       "                is also CMD's standard input, byte for byte.",
       {"from", "count", "no-resync"},
       cmd_watch},
  };
  return table;
}

const Command* find_command(const std::string& name) {
  for (const Command& c : commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::string general_help() {
  std::string out =
      "nestcache-cli: a shell for nestcached's tree\n\n"
      "Usage: nestcache-cli [-h HOST] [-p PORT] [-t SECONDS] [-d C] [-o text|json] COMMAND ...\n"
      "       nestcache-cli [options]        (no command: interactive mode; `help` at its "
      "prompt)\n\n"
      "  -h, --host HOST     server (default 127.0.0.1)\n"
      "  -p, --port PORT     port (default 11211)\n"
      "  -t, --timeout S     give up on a connect or a reply after S seconds (default 5)\n"
      "  -d, --delimiter C   segment separator in PATH arguments (default /)\n"
      "  -o, --output FMT    text (default) or json, for get, ls, tree and stat\n"
      "      --help          this text; COMMAND --help for a command's\n\n"
      "A PATH is one argument, segments separated by / (billing/prod/db_url); empty or / is the\n"
      "root. Against --compat without --key-separator only top-level keys exist.\n\n"
      "Commands:\n";
  for (const Command& c : commands()) {
    std::string line = std::string("  ") + c.name + " " + c.usage;
    if (line.size() < 40) line.resize(40, ' ');
    const std::string help = c.help;
    out += line + " " + help.substr(0, help.find('\n')) + "\n";
  }
  out +=
      "\nExit codes: 0 ok, 1 bad arguments, 2 cannot connect, 3 server error, 4 not found,\n"
      "5 watch --no-resync lost the history it needed.\n";
  return out;
}

std::string command_help(const Command& command) {
  return std::string("Usage: nestcache-cli [options] ") + command.name + " " + command.usage +
         "\n\n" + command.help + "\n";
}

int run_command(Context& context) {
  Options& o = context.options();
  try {
    const Command* command = find_command(o.command);
    if (command == nullptr) {
      throw Failure{kExitUsage, "unknown command '" + o.command + "' (see --help)"};
    }
    if (o.help) {
      context.out() << command_help(*command);
      return kExitOk;
    }
    check_flags(o, command->flags);
    try {
      return command->run(context);
    } catch (const Failure&) {
      throw;
    } catch (const std::exception& e) {
      fail_with(e);
    }
  } catch (const Failure& f) {
    context.err() << "nestcache-cli: " << f.message << "\n";
    return f.code;
  }
}

}  // namespace nestcache::cli
