// get gets gat gats (top-level keys) and the tree reads getn getns getch gettree.
#include <optional>
#include <vector>

#include "nestcache/engine/engine.h"
#include "nestcache/protocol/composer.h"
#include "nestcache/protocol/path_args.h"

namespace nestcache {

void Engine::get(const Command& command, Counters& counters, std::string& out) {
  const bool with_cas = command.verb == Verb::gets || command.verb == Verb::gats;
  const bool touching = command.verb == Verb::gat || command.verb == Verb::gats;
  const int64_t exptime = touching ? absolute_exptime(command.exptime, clock_.now()) : 0;
  Composer reply(out);
  Path path;
  for (std::string_view key : command.keys) {
    path.clear();
    std::string_view detail;  // keys were checked by the parser
    append_key(key, options_.key_separator, !options_.compat, options_.max_depth, path, detail);
    auto visit = [&](const ValueView& value) {
      reply.value(key, value.flags, value.data,
                  with_cas ? std::optional<uint64_t>(value.cas) : std::nullopt);
    };
    const bool hit =
        touching ? tree_.read_and_touch(path, exptime, visit) : tree_.read(path, visit);
    Counters::add(counters.cmd_get);
    Counters::add(hit ? counters.get_hits : counters.get_misses);
    if (touching) {
      Counters::add(counters.cmd_touch);
      Counters::add(hit ? counters.touch_hits : counters.touch_misses);
    }
  }
  reply.reply(Reply::end);
}

void Engine::get_node(const Command& command, Counters& counters, std::string& out) {
  const bool with_cas = command.verb == Verb::getns;
  Composer reply(out);
  const bool hit = tree_.read(command.path, [&](const ValueView& value) {
    reply.value(command.key_tokens, ' ', value.flags, value.data,
                with_cas ? std::optional<uint64_t>(value.cas) : std::nullopt);
  });
  Counters::add(counters.cmd_get);
  Counters::add(hit ? counters.get_hits : counters.get_misses);
  reply.reply(Reply::end);
}

void Engine::get_children(const Command& command, std::string& out) {
  std::vector<std::string> names;
  tree_.children(command.path, names);
  Composer reply(out);
  for (const std::string& name : names) reply.child(name);
  reply.reply(Reply::end);
}

void Engine::get_tree(const Command& command, Counters& counters, std::string& out) {
  const char joiner = options_.key_separator != '\0' ? options_.key_separator : ' ';
  Composer reply(out);
  uint64_t values = 0;
  tree_.walk(command.path, [&](const Path& full, const ValueView& value) {
    reply.value(full, joiner, value.flags, value.data);
    ++values;
  });
  Counters::add(counters.cmd_get);
  Counters::add(values > 0 ? counters.get_hits : counters.get_misses);
  reply.reply(Reply::end);
}

}  // namespace nestcache
