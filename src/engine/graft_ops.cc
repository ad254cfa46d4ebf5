// stage and swap: a subtree replaced at once (protocol.md 5.15). The new subtree is written
// with ordinary commands under the sibling name `stage` hands out, then `swap` puts it in the
// node's place under one hold of the namespace's lock (Tree::graft).
#include "handlers.h"
#include "nestcache/common/clock.h"
#include "nestcache/protocol/composer.h"

namespace nestcache::handlers {

void stage(Call& call) {
  const std::string name =
      call.engine.tree().stage_name(call.command.path, call.engine.options().protocol.separator);
  Composer reply(call.out);
  if (name.empty()) {
    reply.client_error("name too long to stage");
    return;
  }
  reply.line("STAGE " + name);
}

void swap(Call& call) {
  const Path& path = call.command.path;
  Composer reply(call.out);
  if (path.size() < 2) {
    reply.client_error("swap needs the node's path and its staged sibling's name");
    return;
  }
  if (!admitted(call, &path, call.command.key.size() + kRecordOverhead)) return;
  const Path target(path.begin(), path.end() - 1);
  const int64_t deadline = absolute_exptime(call.command.exptime, call.engine.clock().now());
  switch (call.engine.tree().graft(target, path.back(), deadline)) {
    case Status::stored:
      reply.line("SWAPPED");
      return;
    case Status::not_found:
      reply.reply(Reply::not_found);
      return;
    default:
      reply.client_error("not a staged sibling of the node");
  }
}

}  // namespace nestcache::handlers
