// set add replace append prepend cas
#include "handlers.h"
#include "nestcache/protocol/composer.h"
#include "store_rules.h"

namespace nestcache {
namespace {

StoreMode mode_of(Verb verb) {
  switch (verb) {
    case Verb::add:
      return StoreMode::add;
    case Verb::replace:
      return StoreMode::replace;
    case Verb::append:
      return StoreMode::append;
    case Verb::prepend:
      return StoreMode::prepend;
    case Verb::cas:
      return StoreMode::cas;
    default:
      return StoreMode::set;
  }
}

}  // namespace

namespace handlers {

void store(Call& call) {
  const Command& command = call.command;
  Counters& counters = call.counters;
  Counters::add(counters.cmd_set);
  // append and prepend journal the joined value, which -I bounds.
  const bool joins = command.verb == Verb::append || command.verb == Verb::prepend;
  const std::size_t value_bytes =
      joins ? call.engine.options().protocol.max_item_size : command.data.size();
  if (!admitted(call, &command.path, command.key.size() + value_bytes + kRecordOverhead)) return;
  StoreArgs args;
  args.mode = mode_of(command.verb);
  args.flags = command.flags;
  args.exptime = absolute_exptime(command.exptime, call.engine.clock().now());
  args.cas = command.cas_unique;
  args.data = command.data;
  args.max_item_size = call.engine.options().protocol.max_item_size;
  args.key_length = command.key.size();
  const StoreResult result = store_value(call.engine.tree(), command.path, args);

  Composer reply(call.out);
  const bool is_cas = args.mode == StoreMode::cas;
  switch (result.status) {
    case Status::stored:
      if (is_cas) Counters::add(counters.cas_hits);
      reply.reply(Reply::stored);
      break;
    case Status::exists:
      Counters::add(counters.cas_badval);
      reply.reply(Reply::exists);
      break;
    case Status::not_found:
      Counters::add(counters.cas_misses);
      reply.reply(Reply::not_found);
      break;
    case Status::out_of_memory:
      Counters::add(counters.store_no_memory);
      reply.reply(Reply::out_of_memory_storing);
      break;
    default:
      reply.reply(Reply::not_stored);
      break;
  }
}

}  // namespace handlers
}  // namespace nestcache
