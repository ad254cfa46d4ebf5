// incr decr touch delete
#include "handlers.h"
#include "nestcache/protocol/composer.h"
#include "store_rules.h"

namespace nestcache::handlers {

void arith(Call& call) {
  const Command& command = call.command;
  Counters& counters = call.counters;
  const bool increment = command.verb == Verb::incr;
  if (!admitted(call, &command.path, command.key.size() + 20 + kRecordOverhead)) return;
  const ArithResult result =
      arith_value(call.engine.tree(), command.path, increment, command.delta);
  Composer reply(call.out);
  switch (result.status) {
    case Status::stored:
      Counters::add(increment ? counters.incr_hits : counters.decr_hits);
      reply.number(result.value);
      break;
    case Status::non_numeric:
      reply.reply(Reply::non_numeric);
      break;
    default:
      Counters::add(increment ? counters.incr_misses : counters.decr_misses);
      reply.reply(Reply::not_found);
      break;
  }
}

void touch(Call& call) {
  if (!admitted(call, &call.command.path, call.command.key.size() + kRecordOverhead)) return;
  const int64_t deadline = absolute_exptime(call.command.exptime, call.engine.clock().now());
  const bool hit = call.engine.tree().touch(call.command.path, deadline) == Status::touched;
  Counters::add(call.counters.cmd_touch);
  Counters::add(hit ? call.counters.touch_hits : call.counters.touch_misses);
  Composer(call.out).reply(hit ? Reply::touched : Reply::not_found);
}

void remove(Call& call) {
  if (!admitted(call, &call.command.path, call.command.key.size() + kRecordOverhead)) return;
  const bool hit = call.engine.tree().remove(call.command.path) == Status::deleted;
  Counters::add(hit ? call.counters.delete_hits : call.counters.delete_misses);
  Composer(call.out).reply(hit ? Reply::deleted : Reply::not_found);
}

}  // namespace nestcache::handlers
