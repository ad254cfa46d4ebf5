// Dispatch: the command table maps a verb to its handler, and a refused request to its reply in
// one place, so every reply leaves in pipeline order.
#include "nestcache/engine/engine.h"

#include "handlers.h"
#include "nestcache/protocol/composer.h"

namespace nestcache {

Engine::Engine(Tree& tree, const Clock& clock, StatsRegistry& stats, const EngineOptions& options)
    : tree_(tree),
      clock_(clock),
      stats_(stats),
      options_(options),
      started_(clock.now()),
      verbosity_(options.verbosity) {}

Outcome Engine::execute(const Command& command, Counters& counters, std::string& out,
                        LongReply& more) {
  Call call{*this, command, counters, out, more};
  switch (command.verb) {
#define NESTCACHE_DISPATCH(verb, name, shape, modes, handler, help) \
  case Verb::verb:                                                  \
    handlers::handler(call);                                        \
    break;
    NESTCACHE_COMMANDS(NESTCACHE_DISPATCH)
#undef NESTCACHE_DISPATCH
  }
  return call.close ? Outcome::close : Outcome::keep_open;
}

void Engine::resume(LongReply& more, Counters& counters, std::string& out) {
  const bool done = std::visit(
      [&](auto& reply) {
        if constexpr (std::is_same_v<std::decay_t<decltype(reply)>, std::monostate>) {
          return true;
        } else {
          return reply.step(*this, counters, out);
        }
      },
      more);
  if (done) more = std::monostate();
}

void Engine::reject(const ParseResult& result, const Command& command, Counters& counters,
                    std::string& out) {
  if (result.error == ParseError::too_large) {
    Counters::add(counters.store_too_large);
    // memcached drops the old value rather than leave a stale one behind a failed set.
    if ((command.verb == Verb::set || command.verb == Verb::ms) && !command.path.empty())
      tree_.remove_value(command.path);
  }
  Composer(out).error(result.error, result.detail);
}

}  // namespace nestcache
