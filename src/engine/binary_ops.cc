// memcached's binary protocol over the tree: one function per command, each answering with
// memcached 1.6.18's reply packets (proto_bin.c), through the same store rules and tree calls as
// the text commands. Quiet opcodes drop the nominal reply only: a quiet get's miss, a quiet
// store's, delete's, incr's, flush's or quit's success; errors are always sent, and a quiet
// get's hit too (tests/compat/binary_diff.py pins each against the real memcached).
#include <optional>
#include <string>

#include "handlers.h"
#include "nestcache/protocol/binary_composer.h"
#include "store_rules.h"

namespace nestcache {
namespace {

using binary::Opcode;
using Wire = binary::Status;
using NoRoom = BinaryComposer::NoRoom;

// memcached's incr/decr expiration that means "do not create a missing counter".
constexpr uint32_t kNoCreate = 0xffffffff;

struct BinaryCall {
  Engine& engine;
  const BinaryRequest& request;
  const Command& command;
  Counters& counters;
  std::string& out;

  BinaryComposer reply() const { return BinaryComposer(out, request); }
  int64_t deadline(int64_t exptime) const {
    return absolute_exptime(exptime, engine.clock().now());
  }
};

// The journal's say (--data-dir), as `admitted` in handlers.h, with a binary refusal.
bool admitted(const BinaryCall& call, const Path* path, std::size_t bytes) {
  DurabilityHooks* durability = call.engine.options().durability;
  if (durability == nullptr || durability->admit(path, bytes)) [[likely]] {
    return true;
  }
  call.reply().no_room(NoRoom::disk);
  return false;
}

// get getq getk getkq touch gat gatq gatk gatkq
void get(const BinaryCall& call) {
  const Opcode op = call.request.base;
  const bool touch = op == Opcode::touch || op == Opcode::gat || op == Opcode::gatk;
  const bool with_key = op == Opcode::getk || op == Opcode::gatk;
  const std::string_view key = with_key ? call.request.key : std::string_view{};
  BinaryComposer reply = call.reply();
  auto visit = [&](const ValueView& value) {
    // touch answers the flags alone.
    reply.value(value.flags, key, op == Opcode::touch ? std::string_view{} : value.data, value.cas);
  };
  Counters& counters = call.counters;
  bool hit;
  if (touch) {
    if (!admitted(call, nullptr, call.command.key.size() + kRecordOverhead)) return;
    hit = call.engine.tree().read_and_touch(call.command.path,
                                            call.deadline(call.request.expiration), visit);
    Counters::add(counters.cmd_touch);
    Counters::add(hit ? counters.touch_hits : counters.touch_misses);
  } else {
    hit = call.engine.tree().read(call.command.path, visit);
    Counters::add(counters.cmd_get);
    Counters::add(hit ? counters.get_hits : counters.get_misses);
  }
  if (hit || call.request.quiet) return;
  if (with_key) {
    reply.miss_with_key(call.request.key);
  } else {
    reply.error(Wire::key_not_found);
  }
}

// set add replace append prepend (and their quiet forms). A cas in the header makes set, add and
// replace a cas, and is checked by append and prepend.
void store(const BinaryCall& call) {
  const Command& command = call.command;
  const BinaryRequest& request = call.request;
  Counters& counters = call.counters;
  Counters::add(counters.cmd_set);
  const Opcode op = request.base;
  const bool joins = op == Opcode::append || op == Opcode::prepend;
  const std::size_t value_bytes =
      joins ? call.engine.options().protocol.max_item_size : command.data.size();
  if (!admitted(call, &command.path, command.key.size() + value_bytes + kRecordOverhead)) return;
  StoreArgs args;
  args.mode = op == Opcode::add       ? StoreMode::add
              : op == Opcode::replace ? StoreMode::replace
              : op == Opcode::append  ? StoreMode::append
              : op == Opcode::prepend ? StoreMode::prepend
                                      : StoreMode::set;
  if (!joins && request.cas != 0) args.mode = StoreMode::cas;
  args.has_cas = joins && request.cas != 0;
  args.cas = request.cas;
  args.flags = command.flags;
  args.exptime = joins ? 0 : call.deadline(command.exptime);
  args.data = command.data;
  args.max_item_size = call.engine.options().protocol.max_item_size;
  args.key_length = command.key.size();
  const StoreResult result = store_value(call.engine.tree(), command.path, args);

  BinaryComposer reply = call.reply();
  const bool is_cas = args.mode == StoreMode::cas;
  switch (result.status) {
    case Status::stored:
      if (is_cas) Counters::add(counters.cas_hits);
      if (!request.quiet) reply.success(result.cas);
      return;
    case Status::exists:
      if (is_cas) Counters::add(counters.cas_badval);
      reply.error(Wire::key_exists);
      return;
    case Status::not_found:
      Counters::add(counters.cas_misses);
      reply.error(Wire::key_not_found);
      return;
    case Status::out_of_memory:
      Counters::add(counters.store_no_memory);
      // memcached drops the old value rather than leave it behind a failed set.
      if (op == Opcode::set) call.engine.tree().remove_value(command.path);
      reply.no_room(NoRoom::item);
      return;
    default:
      // memcached's words for a store that did not happen: add found a value, replace none.
      reply.error(is_cas                  ? Wire::not_stored
                  : op == Opcode::add     ? Wire::key_exists
                  : op == Opcode::replace ? Wire::key_not_found
                                          : Wire::not_stored);
      return;
  }
}

// delete deleteq: the node with its subtree, as the text delete; a cas must match its value's.
void remove(const BinaryCall& call) {
  const Command& command = call.command;
  if (!admitted(call, &command.path, command.key.size() + kRecordOverhead)) return;
  std::optional<uint64_t> expected;
  if (call.request.cas != 0) expected = call.request.cas;
  const Status status = call.engine.tree().remove(command.path, expected);
  Counters& counters = call.counters;
  if (status == Status::deleted) {
    Counters::add(counters.delete_hits);
    if (!call.request.quiet) call.reply().success();
  } else if (status == Status::exists) {
    call.reply().error(Wire::key_exists);
  } else {
    Counters::add(counters.delete_misses);
    call.reply().error(Wire::key_not_found);
  }
}

// increment decrement (and quiet): a missing counter is created with the initial value and the
// expiration, unless the expiration is 0xffffffff; a cas must match.
void arith(const BinaryCall& call) {
  const Command& command = call.command;
  const BinaryRequest& request = call.request;
  Counters& counters = call.counters;
  if (!admitted(call, &command.path, command.key.size() + 20 + kRecordOverhead)) return;
  const bool increment = request.base == Opcode::increment;
  std::optional<uint64_t> expected;
  if (request.cas != 0) expected = request.cas;
  Tree& tree = call.engine.tree();
  const ArithResult result = arith_value(tree, command.path, increment, command.delta, expected);
  BinaryComposer reply = call.reply();
  switch (result.status) {
    case Status::stored:
      Counters::add(increment ? counters.incr_hits : counters.decr_hits);
      if (!request.quiet) reply.number(result.value, result.cas);
      return;
    case Status::non_numeric:
      reply.error(Wire::delta_badval);
      return;
    case Status::exists:
      reply.error(Wire::key_exists);
      return;
    default:
      break;
  }
  if (request.expiration == kNoCreate) {
    Counters::add(increment ? counters.incr_misses : counters.decr_misses);
    reply.error(Wire::key_not_found);
    return;
  }
  const std::string initial = std::to_string(request.initial);
  StoreArgs args;
  args.mode = StoreMode::add;
  args.data = initial;
  args.exptime = call.deadline(request.expiration);
  const StoreResult created = store_value(tree, command.path, args);
  if (created.status == Status::stored) {
    if (!request.quiet) reply.number(request.initial, created.cas);
  } else if (created.status == Status::out_of_memory) {
    Counters::add(counters.store_no_memory);
    reply.no_room(NoRoom::new_item);
  } else {
    reply.error(Wire::not_stored);
  }
}

// flush flushq: at once, or after the delay in the extras (memcached's flush_all rules).
void flush(const BinaryCall& call) {
  Counters::add(call.counters.cmd_flush);
  if (!admitted(call, nullptr, kRecordOverhead)) return;
  const int64_t now = call.engine.clock().now();
  const uint32_t delay = call.request.expiration;
  call.engine.tree().flush(delay > 0 ? absolute_exptime(delay, now) - 1 : now);
  if (!call.request.quiet) call.reply().success();
}

// Runs the text `stats <group>` and sends its lines as stat packets: one engine function makes
// the figures for both protocols.
void stats_group(const BinaryCall& call, std::string_view group) {
  Command command;
  command.verb = Verb::stats;
  command.stats_args = group;
  std::string text;
  LongReply more;
  Call text_call{call.engine, command, call.counters, text, more};
  handlers::stats(text_call);
  call.reply().stats_from_text(text);
}

// stat: the general figures for no key; memcached's groups by name (reset and settings by
// prefix, as memcached compares them); any other key is Not found.
void stat(const BinaryCall& call) {
  const std::string_view key = call.request.key;
  BinaryComposer reply = call.reply();
  if (key.empty()) {
    stats_group(call, {});
  } else if (key.starts_with("reset")) {
    call.engine.stats().reset();
  } else if (key.starts_with("settings")) {
    stats_group(call, "settings");
  } else if (key == "items" || key == "slabs" || key == "sizes") {
    stats_group(call, key);
  } else {
    reply.error(Wire::key_not_found);
    return;
  }
  reply.stats_end();
}

}  // namespace

Outcome Engine::execute_binary(const BinaryRequest& request, const Command& command,
                               Counters& counters, std::string& out) {
  const BinaryCall call{*this, request, command, counters, out};
  switch (request.base) {
    case Opcode::get:
    case Opcode::getk:
    case Opcode::touch:
    case Opcode::gat:
    case Opcode::gatk:
      get(call);
      break;
    case Opcode::set:
    case Opcode::add:
    case Opcode::replace:
    case Opcode::append:
    case Opcode::prepend:
      store(call);
      break;
    case Opcode::del:
      remove(call);
      break;
    case Opcode::increment:
    case Opcode::decrement:
      arith(call);
      break;
    case Opcode::flush:
      flush(call);
      break;
    case Opcode::stat:
      stat(call);
      break;
    case Opcode::version:
      call.reply().text(kVersionReply);
      break;
    case Opcode::noop:
      call.reply().success();
      break;
    case Opcode::quit:
      if (!request.quiet) call.reply().success();
      return Outcome::close;
    default:  // the parser answers every other opcode
      call.reply().error(Wire::unknown_command);
      break;
  }
  return Outcome::keep_open;
}

void Engine::reject_binary(const BinaryRequest& request, const ParseResult& result,
                           const Command& command, Counters& counters, std::string& out) {
  BinaryComposer reply(out, request);
  switch (result.error) {
    case ParseError::unknown_command:
      reply.error(Wire::unknown_command);
      break;
    case ParseError::too_large:
      Counters::add(counters.store_too_large);
      // memcached drops the old value rather than leave a stale one behind a failed set.
      if (request.base == Opcode::set && !command.path.empty()) tree_.remove_value(command.path);
      reply.error(Wire::too_large);
      break;
    case ParseError::bad_path:
      reply.error(Wire::invalid_arguments, result.detail);
      break;
    default:
      reply.error(Wire::invalid_arguments);
      break;
  }
}

}  // namespace nestcache
