// mg ms md ma mn me: memcached 1.6.18's meta commands (proto_text.c's process_m*_command) over
// the tree. The reply's return flags follow the flag tokens in the order sent; q hides the
// nominal reply (mg: EN; ms, md: HD; ma: HD or VA), never an error.
#include <optional>
#include <string>

#include "handlers.h"
#include "nestcache/common/item_size.h"
#include "nestcache/protocol/composer.h"
#include "store_rules.h"

namespace nestcache {
namespace {

int64_t now_of(Call& call) { return call.engine.clock().now(); }

// A ttl flag (T N R) as an absolute deadline, memcached's exptime rules.
int64_t deadline(Call& call, int32_t ttl) { return absolute_exptime(ttl, now_of(call)); }

// memcached's t: the seconds left, -1 for never.
int64_t ttl_left(int64_t exptime, int64_t now) { return exptime == 0 ? -1 : exptime - now; }

// The O and k flags, which every meta reply echoes, miss or not.
// Echoes `flag` if it is one that every meta reply returns as sent: O (opaque) or k (key).
void echo_opaque_or_key(const Command& command, std::string_view flag, Composer& reply) {
  if (flag.front() == 'O') reply.meta_token(flag);
  if (flag.front() == 'k') reply.meta_key(command.key, command.meta.base64_key);
}

void echo_opaque_and_key(const Command& command, Composer& reply) {
  for (const std::string_view flag : command.args) echo_opaque_or_key(command, flag, reply);
}

// Drops a nominal reply asked to be quiet.
void quiet(const Call& call, std::size_t mark) {
  if (call.command.meta.quiet) call.out.resize(mark);
}

void mg_hit(Call& call, const ValueView& value, bool created, bool& won) {
  const Command& command = call.command;
  const MetaFlags& meta = command.meta;
  const int64_t now = now_of(call);
  Composer reply(call.out);
  if (meta.value) {
    reply.meta_begin(MetaCode::va, value.data.size());
  } else {
    reply.meta_begin(MetaCode::hd);
  }
  int64_t exptime = value.exptime;
  for (const std::string_view flag : command.args) {
    switch (flag.front()) {
      case 'T':
        exptime = deadline(call, meta.ttl);
        break;
      case 'N':
        if (created) won = true;
        break;
      case 'R':
        if (!value.token_sent() && !created && exptime != 0 &&
            exptime < deadline(call, meta.recache_ttl)) {
          won = true;
        }
        break;
      case 's':
        reply.meta_flag('s', value.data.size());
        break;
      case 't':
        reply.meta_flag_signed('t', ttl_left(exptime, now));
        break;
      case 'c':
        reply.meta_flag('c', value.cas);
        break;
      case 'f':
        reply.meta_flag('f', value.flags);
        break;
      case 'l':
        reply.meta_flag('l', 0);  // the tree keeps no access time (protocol.md 10.1)
        break;
      case 'h':
        reply.meta_flag('h', value.fetched() ? 1 : 0);
        break;
      default:
        echo_opaque_or_key(command, flag, reply);
        break;
    }
  }
  if (value.token_sent()) reply.meta_mark('Z');
  if (value.stale()) {
    reply.meta_mark('X');
    if (!value.token_sent()) won = true;
  }
  if (won) reply.meta_mark('W');
  reply.meta_end();
  if (meta.value) reply.meta_data(value.data);
}

// N on a miss: an empty value with N's ttl, made only where none is (two clients racing get
// one value; the one that made it wins).
bool vivify(Call& call) {
  const Command& command = call.command;
  UpdatePolicy policy;
  policy.create = true;
  policy.reserve = 0;
  NewValue empty{{}, 0, deadline(call, command.meta.vivify_ttl), false};
  const UpdateResult result = call.engine.tree().update(
      command.path, policy,
      [&](const ValueView* current) -> const NewValue* { return current ? nullptr : &empty; });
  return result.outcome == UpdateOutcome::stored;
}

}  // namespace

namespace handlers {

void meta_get(Call& call) {
  const Command& command = call.command;
  const MetaFlags& meta = command.meta;
  Counters& counters = call.counters;
  bool created = false;
  if (meta.vivify) {
    if (!admitted(call, &command.path, command.key.size() + kRecordOverhead)) return;
    created = vivify(call);
  }
  MetaAccess access;
  access.mark_read = !meta.no_bump;
  if (meta.has_ttl) access.new_exptime = deadline(call, meta.ttl);
  const std::size_t mark = call.out.size();
  const bool hit = call.engine.tree().read_meta(command.path, access, [&](const ValueView& value) {
    bool won = false;
    mg_hit(call, value, created, won);
    return won;
  });
  if (meta.has_ttl) {
    Counters::add(counters.cmd_touch);
    Counters::add(hit ? counters.touch_hits : counters.touch_misses);
  } else {
    Counters::add(counters.cmd_get);
    Counters::add(hit ? counters.get_hits : counters.get_misses);
  }
  if (hit) return;
  Composer reply(call.out);
  reply.meta_begin(MetaCode::en);
  echo_opaque_and_key(command, reply);
  reply.meta_end();
  quiet(call, mark);
}

void meta_set(Call& call) {
  const Command& command = call.command;
  const MetaFlags& meta = command.meta;
  Counters& counters = call.counters;
  Counters::add(counters.cmd_set);
  if (!admitted(call, &command.path, command.key.size() + command.data.size() + kRecordOverhead)) {
    return;
  }
  StoreArgs args;
  switch (meta.mode) {
    case 'E':
      args.mode = StoreMode::add;
      break;
    case 'A':
      args.mode = StoreMode::append;
      break;
    case 'P':
      args.mode = StoreMode::prepend;
      break;
    case 'R':
      args.mode = StoreMode::replace;
      break;
    default:
      args.mode = StoreMode::set;
      break;
  }
  // memcached: a cas makes set and replace a cas; append and prepend check it too.
  if (meta.has_cas && (args.mode == StoreMode::set || args.mode == StoreMode::replace)) {
    args.mode = StoreMode::cas;
    args.invalidate = meta.invalidate;
  }
  args.has_cas = meta.has_cas;
  args.cas = meta.cas;
  args.flags = meta.client_flags;
  args.exptime = meta.has_ttl ? deadline(call, meta.ttl) : 0;
  args.data = command.data;
  args.max_item_size = call.engine.options().protocol.max_item_size;
  args.key_length = meta.base64_key ? command.decoded_key.size() : command.key.size();
  const StoreResult result = store_value(call.engine.tree(), command.path, args);

  const std::size_t mark = call.out.size();
  Composer reply(call.out);
  bool nominal = false;
  switch (result.status) {
    case Status::stored:
      if (args.mode == StoreMode::cas) Counters::add(counters.cas_hits);
      reply.meta_begin(MetaCode::hd);
      nominal = true;
      break;
    case Status::exists:
      if (args.mode == StoreMode::cas) Counters::add(counters.cas_badval);
      reply.meta_begin(MetaCode::ex);
      break;
    case Status::not_found:
      Counters::add(counters.cas_misses);
      reply.meta_begin(MetaCode::nf);
      break;
    case Status::out_of_memory:
      Counters::add(counters.store_no_memory);
      reply.reply(Reply::out_of_memory_storing);
      return;
    default:
      reply.meta_begin(MetaCode::ns);
      break;
  }
  for (const std::string_view flag : command.args) {
    echo_opaque_or_key(command, flag, reply);
    if (flag.front() == 'c') reply.meta_flag('c', result.status == Status::stored ? result.cas : 0);
  }
  reply.meta_end();
  if (nominal) quiet(call, mark);
}

void meta_delete(Call& call) {
  const Command& command = call.command;
  const MetaFlags& meta = command.meta;
  if (!admitted(call, &command.path, command.key.size() + kRecordOverhead)) return;
  Tree& tree = call.engine.tree();
  std::optional<uint64_t> expected;
  if (meta.has_cas) expected = meta.cas;
  Status status;
  if (meta.invalidate) {
    std::optional<int64_t> new_exptime;
    if (meta.has_ttl) new_exptime = deadline(call, meta.ttl);
    status = tree.invalidate(command.path, expected, new_exptime);
  } else {
    // As the text delete: the node goes with its subtree (a namespace drops with one md). With
    // C, only when its value's unique matches, checked and removed under one hold of the lock.
    status = tree.remove(command.path, expected);
  }
  Counters& counters = call.counters;
  const std::size_t mark = call.out.size();
  Composer reply(call.out);
  bool nominal = false;
  if (status == Status::deleted || status == Status::stored) {
    if (status == Status::deleted) Counters::add(counters.delete_hits);
    reply.meta_begin(MetaCode::hd);
    nominal = true;
  } else {
    Counters::add(counters.delete_misses);
    reply.meta_begin(status == Status::exists ? MetaCode::ex : MetaCode::nf);
  }
  echo_opaque_and_key(command, reply);
  reply.meta_end();
  if (nominal) quiet(call, mark);
}

void meta_arith(Call& call) {
  const Command& command = call.command;
  const MetaFlags& meta = command.meta;
  Counters& counters = call.counters;
  if (!admitted(call, &command.path, command.key.size() + 20 + kRecordOverhead)) return;
  const bool increment = !(meta.mode == 'D' || meta.mode == '-');
  std::optional<uint64_t> expected;
  if (meta.has_cas) expected = meta.cas;
  Tree& tree = call.engine.tree();
  ArithResult result = arith_value(tree, command.path, increment, meta.delta, expected);
  bool created = false;
  Composer reply(call.out);
  if (result.status == Status::non_numeric) {
    reply.reply(Reply::non_numeric);
    return;
  }
  if (result.status == Status::stored) {
    Counters::add(increment ? counters.incr_hits : counters.decr_hits);
  } else if (result.status == Status::not_found && meta.vivify) {
    const std::string initial = std::to_string(meta.initial);
    StoreArgs args;
    args.mode = StoreMode::add;
    args.data = initial;
    const StoreResult stored = store_value(tree, command.path, args);
    if (stored.status == Status::stored) {
      created = true;
      result = ArithResult{Status::stored, meta.initial, stored.cas};
    } else {
      result.status = Status::not_stored;
    }
  } else if (result.status == Status::not_found) {
    Counters::add(increment ? counters.incr_misses : counters.decr_misses);
  }
  const std::size_t mark = call.out.size();
  if (result.status != Status::stored) {
    reply.meta_begin(result.status == Status::exists       ? MetaCode::ex
                     : result.status == Status::not_stored ? MetaCode::ns
                                                           : MetaCode::nf);
    echo_opaque_and_key(command, reply);
    reply.meta_end();
    return;
  }
  const std::string number = std::to_string(result.value);
  // The deadline as the flags see it: T and N (when it made the value) change it in order.
  int64_t exptime = 0;
  MetaAccess look{std::nullopt, false};
  tree.read_meta(command.path, look, [&](const ValueView& value) {
    exptime = value.exptime;
    return false;
  });
  std::optional<int64_t> new_exptime;
  if (meta.value) {
    reply.meta_begin(MetaCode::va, number.size());
  } else {
    reply.meta_begin(MetaCode::hd);
  }
  for (const std::string_view flag : command.args) {
    switch (flag.front()) {
      case 'c':
        reply.meta_flag('c', result.cas);
        break;
      case 't':
        reply.meta_flag_signed('t', ttl_left(exptime, now_of(call)));
        break;
      case 'T':
        new_exptime = exptime = deadline(call, meta.ttl);
        break;
      case 'N':
        if (created) new_exptime = exptime = deadline(call, meta.vivify_ttl);
        break;
      default:
        echo_opaque_or_key(command, flag, reply);
        break;
    }
  }
  reply.meta_end();
  if (meta.value) reply.meta_data(number);
  if (new_exptime) tree.touch(command.path, *new_exptime);
  quiet(call, mark);
}

void meta_noop(Call& call) {
  Composer reply(call.out);
  reply.meta_begin(MetaCode::mn);
  reply.meta_end();
}

void meta_debug(Call& call) {
  const Command& command = call.command;
  Counters::add(call.counters.cmd_meta);
  const int64_t now = now_of(call);
  const bool hit = call.engine.tree().read_meta(
      command.path, MetaAccess{std::nullopt, false}, [&](const ValueView& value) {
        const std::size_t key_size =
            command.meta.base64_key ? command.decoded_key.size() : command.key.size();
        MetadumpItem item{
            value.exptime,   0, value.cas,
            value.fetched(), 1, memcached_item_size(key_size, value.flags, value.data.size())};
        // memcached prints now - exptime: negative for a value that has time left.
        Composer(call.out).meta_debug(command.key, item,
                                      value.exptime == 0 ? -1 : now - value.exptime);
        return false;
      });
  if (!hit) {
    Composer reply(call.out);
    reply.meta_begin(MetaCode::en);
    reply.meta_end();
  }
}

}  // namespace handlers
}  // namespace nestcache
