// The engine's command handlers: one function per `handler` of protocol/commands.h, each
// defined in the *_ops.cc file of its kind (store_ops, read_ops, walk_ops, update_ops,
// admin_ops, stats_ops). A handler appends its whole reply to call.out, or begins a long reply
// in call.more.
#pragma once

#include <string>

#include "nestcache/engine/engine.h"
#include "nestcache/protocol/commands.h"
#include "nestcache/protocol/composer.h"

namespace nestcache {

// One command being run: what a handler may read and where it answers.
struct Call {
  Engine& engine;
  const Command& command;
  Counters& counters;
  std::string& out;
  LongReply& more;
  bool close = false;  // set by a handler that ends the connection (quit)
};

// Whether the journal (when there is one) takes a change of about `bytes` at `path` (nullptr:
// a change not of one path); when it does not, call.out has SERVER_ERROR out of disk space and
// the handler must change nothing.
inline bool admitted(Call& call, const Path* path, std::size_t bytes) {
  DurabilityHooks* durability = call.engine.options().durability;
  if (durability == nullptr || durability->admit(path, bytes)) [[likely]] {
    return true;
  }
  Composer(call.out).reply(Reply::out_of_disk_space);
  return false;
}

// Record bytes beyond a path and a value: framing, kind, revision, flags, exptime, lengths.
inline constexpr std::size_t kRecordOverhead = 64;

// Makes the first part of a long reply and leaves the rest, if any, in call.more.
template <typename LongReplyPart>
void begin_long_reply(Call& call, LongReplyPart reply) {
  if (!reply.step(call.engine, call.counters, call.out)) call.more = std::move(reply);
}

namespace handlers {
#define NESTCACHE_HANDLER(verb, name, shape, modes, handler, help) void handler(Call& call);
NESTCACHE_COMMANDS(NESTCACHE_HANDLER)
#undef NESTCACHE_HANDLER
}  // namespace handlers

}  // namespace nestcache
