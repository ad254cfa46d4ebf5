// getch, gettree and dumptree: replies about a node and what is below it, made a part at a time.
#include "handlers.h"
#include "nestcache/protocol/composer.h"
#include "reply_steps.h"

namespace nestcache {
namespace handlers {

void get_children(Call& call) { begin_long_reply(call, ChildrenReply(call.command.path)); }

void get_tree(Call& call) { begin_long_reply(call, SubtreeReply(call.command.path)); }

void dump_tree(Call& call) { begin_long_reply(call, SubtreeReply(call.command.path, true)); }

}  // namespace handlers

namespace {

// dumptree's "NODE <full path> <flags> <exptime> <bytes> <cas>\r\n<data>\r\n" (protocol.md 5.10).
void node_line(std::string& out, const Path& full, char joiner, const ValueView& value) {
  out += "NODE ";
  for (std::size_t i = 0; i < full.size(); ++i) {
    if (i > 0) out += joiner;
    out += full[i];
  }
  out += ' ';
  out += std::to_string(value.flags);
  out += ' ';
  out += std::to_string(value.exptime);
  out += ' ';
  out += std::to_string(value.data.size());
  out += ' ';
  out += std::to_string(value.cas);
  out += "\r\n";
  out += value.data;
  out += "\r\n";
}

}  // namespace

bool ChildrenReply::step(Engine& engine, Counters&, std::string& out) {
  Composer reply(out);
  const Path node(node_.begin(), node_.end());
  const bool done = engine.tree().children_step(node, cursor_, kStepNames,
                                                [&](std::string_view name) { reply.child(name); });
  if (done) reply.reply(Reply::end);
  return done;
}

bool SubtreeReply::step(Engine& engine, Counters& counters, std::string& out) {
  const char separator = engine.options().protocol.separator;
  const char joiner = separator != '\0' ? separator : ' ';
  Composer reply(out);
  const std::size_t mark = out.size();
  const Path root(root_.begin(), root_.end());
  const bool done = engine.tree().walk_step(root, cursor_, kStepNodes,
                                            [&](const Path& full, const ValueView& value) {
                                              if (dump_) {
                                                node_line(out, full, joiner, value);
                                              } else {
                                                reply.value(full, joiner, value.flags, value.data);
                                              }
                                              ++values_;
                                              return out.size() - mark < kStepOutput;
                                            });
  if (!done) return false;
  Counters::add(counters.cmd_get);
  Counters::add(values_ > 0 ? counters.get_hits : counters.get_misses);
  reply.reply(Reply::end);
  return true;
}

}  // namespace nestcache
