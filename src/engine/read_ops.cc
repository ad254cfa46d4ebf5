// get gets gat gats (top-level keys) and the tree reads getn getns getch gettree.
#include <algorithm>
#include <optional>
#include <vector>

#include "nestcache/engine/engine.h"
#include "nestcache/protocol/composer.h"
#include "nestcache/protocol/path_args.h"

namespace nestcache {
namespace {

// One step of a long reply: about this much output, and at most this many keys (each read under
// its own shard lock) or tree nodes (looked at under one shard lock). The connection writes
// every ~1 MiB, so a client that does not read holds about that plus one step.
constexpr std::size_t kStepOutput = 256 * 1024;
constexpr std::size_t kStepKeys = 64;
constexpr std::size_t kStepNodes = 1024;
// getch: child names per step (at most 1024 * 257 bytes, kStepOutput's size).
constexpr std::size_t kStepNames = 1024;

// The space-separated tokens of a key written with runs of spaces ("getn a   b").
KeyTokens tokens_of(std::string_view key) {
  KeyTokens tokens;
  for (std::size_t at = 0; at < key.size();) {
    const std::size_t end = std::min(key.find(' ', at), key.size());
    if (end > at) tokens.push_back(key.substr(at, end - at));
    at = end + 1;
  }
  return tokens;
}

// True when a single-key command's tokens were one space apart (the usual case): each boundary
// between two segments is then one byte, a space or the separator, so the key is exactly its
// segments plus one byte between each two (the parser refuses empty segments). Cheaper than
// looking for "  " in the key (~160 instructions for a four-token key).
bool single_spaced(const Command& command) {
  std::size_t bytes = command.path.size() - 1;
  for (const std::string_view segment : command.path) bytes += segment.size();
  return command.key.size() == bytes;
}

}  // namespace

void Engine::get(const Command& command, Counters& counters, std::string& out, ReplyCursor& more) {
  more.kind_ = ReplyCursor::Kind::keys;
  more.verb_ = command.verb;
  more.noreply_ = command.noreply;
  more.next_key_ = 0;
  const bool touching = command.verb == Verb::gat || command.verb == Verb::gats;
  more.exptime_ = touching ? absolute_exptime(command.exptime, clock_.now()) : 0;
  get_step(command.keys, more, counters, out);
  // Most multi-gets end in their first step; a longer one keeps its keys for the next steps.
  if (more.pending()) more.keys_.assign(command.keys.begin(), command.keys.end());
}

void Engine::get_step(const KeyTokens& keys, ReplyCursor& more, Counters& counters,
                      std::string& out) {
  const bool with_cas = more.verb_ == Verb::gets || more.verb_ == Verb::gats;
  const bool touching = more.verb_ == Verb::gat || more.verb_ == Verb::gats;
  Composer reply(out);
  const std::size_t mark = out.size();
  const std::size_t last = std::min(keys.size(), more.next_key_ + kStepKeys);
  Path path;
  std::size_t i = more.next_key_;
  while (i < last && out.size() - mark < kStepOutput) {
    const std::string_view key = keys[i++];
    path.clear();
    split_key(key, options_.key_separator, path);
    auto visit = [&](const ValueView& value) {
      reply.value(key, value.flags, value.data,
                  with_cas ? std::optional<uint64_t>(value.cas) : std::nullopt);
    };
    const bool hit =
        touching ? tree_.read_and_touch(path, more.exptime_, visit) : tree_.read(path, visit);
    Counters::add(counters.cmd_get);
    Counters::add(hit ? counters.get_hits : counters.get_misses);
    if (touching) {
      Counters::add(counters.cmd_touch);
      Counters::add(hit ? counters.touch_hits : counters.touch_misses);
    }
  }
  more.next_key_ = i;
  if (i < keys.size()) return;
  reply.reply(Reply::end);
  more.kind_ = ReplyCursor::Kind::none;
  KeyTokens().swap(more.keys_);  // and its storage
}

void Engine::get_node(const Command& command, Counters& counters, std::string& out) {
  const bool with_cas = command.verb == Verb::getns;
  Composer reply(out);
  const bool hit = tree_.read(command.path, [&](const ValueView& value) {
    const std::optional<uint64_t> cas = with_cas ? std::optional(value.cas) : std::nullopt;
    if (single_spaced(command)) {
      reply.value(command.key, value.flags, value.data, cas);  // the key's bytes as they came
    } else {
      reply.value(tokens_of(command.key), ' ', value.flags, value.data, cas);
    }
  });
  Counters::add(counters.cmd_get);
  Counters::add(hit ? counters.get_hits : counters.get_misses);
  reply.reply(Reply::end);
}

void Engine::get_children(const Command& command, std::string& out, ReplyCursor& more) {
  more.begin_node_reply(ReplyCursor::Kind::children, command);
  get_children_step(more, out);
}

void Engine::get_children_step(ReplyCursor& more, std::string& out) {
  Composer reply(out);
  const Path node(more.root_.begin(), more.root_.end());
  const bool done = tree_.children_step(node, more.position_, kStepNames,
                                        [&](std::string_view name) { reply.child(name); });
  if (!done) return;
  reply.reply(Reply::end);
  more.end_node_reply();
}

void Engine::get_tree(const Command& command, Counters& counters, std::string& out,
                      ReplyCursor& more) {
  more.begin_node_reply(ReplyCursor::Kind::tree, command);
  get_tree_step(more, counters, out);
}

void Engine::get_tree_step(ReplyCursor& more, Counters& counters, std::string& out) {
  const char joiner = options_.key_separator != '\0' ? options_.key_separator : ' ';
  Composer reply(out);
  const std::size_t mark = out.size();
  const Path root(more.root_.begin(), more.root_.end());
  const bool done = tree_.walk_step(root, more.position_, kStepNodes,
                                    [&](const Path& full, const ValueView& value) {
                                      reply.value(full, joiner, value.flags, value.data);
                                      ++more.values_;
                                      return out.size() - mark < kStepOutput;
                                    });
  if (!done) return;
  Counters::add(counters.cmd_get);
  Counters::add(more.values_ > 0 ? counters.get_hits : counters.get_misses);
  reply.reply(Reply::end);
  more.end_node_reply();
}

}  // namespace nestcache
