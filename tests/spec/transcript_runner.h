// Replays a proto-spec transcript in process: its "# args:" go through the daemon's option
// parser into a Harness, its writes are fed to the harness's Session as a connection feeds
// received bytes, and the bytes the session answers are checked against its <<< lines. The
// rules are tests/spec/replay.py's (the same files against a live daemon), with the manual clock
// in place of real sleeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "transcript.h"

namespace nestcache::spec {

// How a "... sleep S" moves the manual clock. The daemon's clock counts whole seconds, and a
// sleep starts somewhere inside one, so after sleeping S seconds the daemon's clock has moved
// floor(S) or floor(S) + 1 seconds (a few ms of work can carry a whole S over the next tick).
// A transcript means the same at both ends, so the replays take each: `down` moves floor(S),
// `up` floor(S) + 1.
enum class SleepRounding : uint8_t { down, up };

struct ReplayOptions {
  // Each write reaches the session in pieces of this many bytes, fed as they arrive (0: whole).
  std::size_t piece = 0;
  // The max_output of each feed() call (a connection sends what one call made before the next).
  std::size_t max_output = std::numeric_limits<std::size_t>::max();
  SleepRounding sleeps = SleepRounding::down;
};

// Replays `transcript` on a fresh Harness. Returns "" if the session answered exactly what the
// transcript expects, closed where it says `=== closed`, and answered nothing more; otherwise a
// report of the first difference (line, directive, expected and answered bytes).
std::string replay(const Transcript& transcript, const ReplayOptions& options);

}  // namespace nestcache::spec
