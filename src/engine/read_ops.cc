// get gets gat gats (top-level keys, or --key-separator paths) and getn getns (a path).
#include <algorithm>
#include <optional>

#include "handlers.h"
#include "nestcache/protocol/composer.h"
#include "nestcache/protocol/path_args.h"
#include "reply_steps.h"
#include "tokens.h"

namespace nestcache {
namespace {

bool with_cas(Verb verb) { return verb == Verb::gets || verb == Verb::gats || verb == Verb::getns; }
bool touching(Verb verb) { return verb == Verb::gat || verb == Verb::gats; }

// Answers keys[0...] for one step of a multi-get (at most kStepKeys keys, about kStepOutput
// bytes); returns how many were answered.
template <typename Keys>
std::size_t answer_keys(Engine& engine, Counters& counters, Verb verb, int64_t deadline,
                        const Keys& keys, std::string& out) {
  const bool cas = with_cas(verb);
  const bool touch = touching(verb);
  const char separator = engine.options().protocol.separator;
  Composer reply(out);
  const std::size_t mark = out.size();
  const std::size_t last = std::min<std::size_t>(keys.size(), kStepKeys);
  Path path;
  std::size_t i = 0;
  while (i < last && out.size() - mark < kStepOutput) {
    const std::string_view key = keys[i++];
    path.clear();
    split_key(key, separator, path);
    auto visit = [&](const ValueView& value) {
      reply.value(key, value.flags, value.data,
                  cas ? std::optional<uint64_t>(value.cas) : std::nullopt);
    };
    const bool hit = touch ? engine.tree().read_and_touch(path, deadline, visit)
                           : engine.tree().read(path, visit);
    Counters::add(counters.cmd_get);
    Counters::add(hit ? counters.get_hits : counters.get_misses);
    if (touch) {
      Counters::add(counters.cmd_touch);
      Counters::add(hit ? counters.touch_hits : counters.touch_misses);
    }
  }
  return i;
}

// The space-separated tokens of a key written with runs of spaces ("getn a   b").
KeyTokens tokens_of(std::string_view key) {
  KeyTokens tokens;
  for (std::string_view token = next_token(key); !token.empty(); token = next_token(key)) {
    tokens.push_back(token);
  }
  return tokens;
}

// True when a single-key command's tokens were one space apart (the usual case): each boundary
// between two segments is then one byte, a space or the separator, so the key is exactly its
// segments plus one byte between each two (the parser refuses empty segments). Cheaper than
// looking for "  " in the key (~160 instructions for a four-token key).
bool single_spaced(const Command& command) {
  return command.key.size() == joined_size(command.path);
}

}  // namespace

namespace handlers {

void get_values(Call& call) {
  const Command& command = call.command;
  const int64_t deadline =
      touching(command.verb) ? absolute_exptime(command.exptime, call.engine.clock().now()) : 0;
  // gat and gats journal a touch per key found.
  if (touching(command.verb) &&
      !admitted(call, nullptr, command.keys.size() * (kMaxSegmentLength + kRecordOverhead))) {
    return;
  }
  const std::size_t answered =
      answer_keys(call.engine, call.counters, command.verb, deadline, command.keys, call.out);
  if (answered == command.keys.size()) {
    Composer(call.out).reply(Reply::end);
    return;
  }
  // Most multi-gets end in their first step; a longer one keeps a copy of the keys left.
  call.more.emplace<MultiGetReply>(command, answered, deadline);
}

void get_node(Call& call) {
  const Command& command = call.command;
  const bool cas = with_cas(command.verb);
  Composer reply(call.out);
  const bool hit = call.engine.tree().read(command.path, [&](const ValueView& value) {
    const std::optional<uint64_t> unique = cas ? std::optional(value.cas) : std::nullopt;
    if (single_spaced(command)) {
      reply.value(command.key, value.flags, value.data, unique);  // the key's bytes as they came
    } else {
      reply.value(tokens_of(command.key), ' ', value.flags, value.data, unique);
    }
  });
  Counters::add(call.counters.cmd_get);
  Counters::add(hit ? call.counters.get_hits : call.counters.get_misses);
  reply.reply(Reply::end);
}

}  // namespace handlers

MultiGetReply::MultiGetReply(const Command& command, std::size_t next, int64_t deadline)
    : verb_(command.verb), deadline_(deadline) {
  for (std::size_t i = next; i < command.keys.size(); ++i) {
    keys_.append(command.keys[i]);
    keys_.push_back(' ');
  }
}

bool MultiGetReply::step(Engine& engine, Counters& counters, std::string& out) {
  KeyTokens keys;
  std::string_view left = std::string_view(keys_).substr(next_);
  while (keys.size() < kStepKeys) {
    const std::string_view key = next_token(left);
    if (key.empty()) break;
    keys.push_back(key);
  }
  const std::size_t answered = answer_keys(engine, counters, verb_, deadline_, keys, out);
  for (std::size_t i = 0; i < answered; ++i) next_ += keys[i].size() + 1;
  if (next_ < keys_.size()) return false;
  Composer(out).reply(Reply::end);
  return true;
}

}  // namespace nestcache
