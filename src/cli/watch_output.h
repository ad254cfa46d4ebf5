// What `watch` does with each event: prints it (a line of text, or one JSON object per line),
// or runs the user's command with the event in its environment (`watch PATH -- CMD ARGS...`).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "nestcache/client/path.h"

namespace nestcache::cli {

// One event, owned (the reader's views die with the read). `name` is the wire word (SET,
// DELETE, ...) or RESYNC, which the CLI makes after the history it needed was gone.
struct Event {
  std::string name;
  uint64_t revision = 0;
  client::Segments path;  // empty for FLUSH; the watched path for RESYNC
  uint32_t flags = 0;     // SET
  int64_t exptime = 0;    // SET, TOUCH, GRAFT: absolute Unix time, 0 = never
  std::string value;      // SET
  std::string staged;     // GRAFT: the staged sibling that took the node's place
};

// `event` as one line: `SET 8 billing/prod/db_url = postgres://db1` (a value that is not
// printable text as <N bytes>; flags and exptime in parentheses when set), `DELETE 9 a/b`,
// `TOUCH 10 a/b exptime=1700000000`, `FLUSH 11`, `RESYNC 12 a` ... `separator` joins segments.
std::string event_text(const Event& event, char separator);
// `event` as one JSON object (no newline): {"event","revision","path", and what it carries}.
std::string event_json(const Event& event, char separator);

// Runs `command` (argv, looked up in PATH) for `event` and waits for it. Its environment is ours
// plus NESTCACHE_EVENT, NESTCACHE_REVISION, NESTCACHE_PATH, and for a SET NESTCACHE_VALUE (when
// it holds no NUL byte and fits in 100000 bytes), NESTCACHE_FLAGS; NESTCACHE_EXPTIME for SET,
// TOUCH and GRAFT. A SET's exact bytes are also its standard input (else an empty one). Returns
// its exit status (128+N for a signal); Failure (kExitUsage) when it cannot be started.
int run_for_event(const std::vector<std::string>& command, const Event& event, char separator);

}  // namespace nestcache::cli
