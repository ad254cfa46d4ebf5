// incr decr touch delete
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/composer.h"
#include "store_rules.h"

namespace nestcache {

void Engine::arith(const Command& command, Counters& counters, std::string& out) {
  const bool increment = command.verb == Verb::incr;
  const ArithResult result = arith_value(tree_, command.path, increment, command.delta);
  Composer reply(out);
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

void Engine::touch(const Command& command, Counters& counters, std::string& out) {
  const int64_t exptime = absolute_exptime(command.exptime, clock_.now());
  const bool hit = tree_.touch(command.path, exptime) == Status::touched;
  Counters::add(counters.cmd_touch);
  Counters::add(hit ? counters.touch_hits : counters.touch_misses);
  Composer(out).reply(hit ? Reply::touched : Reply::not_found);
}

void Engine::remove(const Command& command, Counters& counters, std::string& out) {
  const bool hit = tree_.remove(command.path) == Status::deleted;
  Counters::add(hit ? counters.delete_hits : counters.delete_misses);
  Composer(out).reply(hit ? Reply::deleted : Reply::not_found);
}

}  // namespace nestcache
