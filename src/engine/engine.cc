// Dispatch: one place maps a verb to its operation, and a refused request to its reply, so
// every reply leaves in pipeline order.
#include "nestcache/engine/engine.h"

#include <algorithm>

#include "nestcache/protocol/composer.h"

namespace nestcache {

TreeOptions tree_options(const Options& options) {
  return TreeOptions{options.strict_parents, options.max_depth,
                     uint64_t{options.memory_limit_mb} << 20, !options.disable_evictions};
}

ParseOptions parser_options(const Options& options) {
  ParseOptions parse;
  parse.compat = options.compat;
  parse.separator = options.key_separator;
  parse.max_depth = options.max_depth;
  parse.max_segment = options.max_segment;
  parse.max_item_size = options.max_item_size;
  parse.max_line = options.max_line;
  parse.max_get_line = options.max_get_line;
  return parse;
}

Engine::Engine(Tree& tree, const Clock& clock, StatsRegistry& stats, const Options& options)
    : tree_(tree),
      clock_(clock),
      stats_(stats),
      options_(options),
      started_(clock.now()),
      verbosity_(options.verbosity) {}

Outcome Engine::execute(const Command& command, Counters& counters, std::string& out) {
  ReplyCursor more;
  const Outcome outcome = execute(command, counters, out, more);
  while (more.pending()) resume(more, counters, out);
  return outcome;
}

Outcome Engine::execute(const Command& command, Counters& counters, std::string& out,
                        ReplyCursor& more) {
  const std::size_t mark = out.size();
  Outcome outcome = Outcome::keep_open;
  switch (command.verb) {
    case Verb::get:
    case Verb::gets:
    case Verb::gat:
    case Verb::gats:
      get(command, counters, out, more);
      break;
    case Verb::getn:
    case Verb::getns:
      get_node(command, counters, out);
      break;
    case Verb::getch:
      get_children(command, out, more);
      break;
    case Verb::gettree:
      get_tree(command, counters, out, more);
      break;
    case Verb::set:
    case Verb::add:
    case Verb::replace:
    case Verb::append:
    case Verb::prepend:
    case Verb::cas:
      store(command, counters, out);
      break;
    case Verb::incr:
    case Verb::decr:
      arith(command, counters, out);
      break;
    case Verb::touch:
      touch(command, counters, out);
      break;
    case Verb::del:
      remove(command, counters, out);
      break;
    case Verb::flush_all:
      flush_all(command, counters, out);
      break;
    case Verb::version:
      Composer(out).version(kVersionReply);
      break;
    case Verb::verbosity:
      // memcached caps the level at its maximum (2).
      verbosity_.store(static_cast<int>(std::min<uint64_t>(command.delta, 2)),
                       std::memory_order_relaxed);
      Composer(out).reply(Reply::ok);
      break;
    case Verb::cache_memlimit:
      cache_memlimit(command, out);
      break;
    case Verb::quit:
      outcome = Outcome::close;
      break;
    case Verb::stats:
      stats(command, out);
      break;
    case Verb::help:
      help(out);
      break;
  }
  if (command.noreply) out.resize(mark);
  return outcome;
}

void Engine::resume(ReplyCursor& more, Counters& counters, std::string& out) {
  const std::size_t mark = out.size();
  switch (more.kind_) {
    case ReplyCursor::Kind::keys:
      get_step(more.keys_, more, counters, out);
      break;
    case ReplyCursor::Kind::tree:
      get_tree_step(more, counters, out);
      break;
    case ReplyCursor::Kind::children:
      get_children_step(more, out);
      break;
    case ReplyCursor::Kind::none:
      break;
  }
  if (more.noreply_) out.resize(mark);
}

void Engine::reject(const ParseResult& result, const Command& command, Counters& counters,
                    std::string& out) {
  if (result.error == ParseError::too_large) {
    Counters::add(counters.store_too_large);
    // memcached drops the old value rather than leave a stale one behind a failed set.
    if (command.verb == Verb::set && !command.path.empty()) tree_.remove_value(command.path);
  }
  if (command.noreply) return;
  Composer(out).error(result.error, result.detail);
}

}  // namespace nestcache
