// get, set, del, ls: one request each.
#include <iostream>
#include <iterator>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "json_text.h"

namespace nestcache::cli {
namespace {

using client::LineKind;
using client::Reply;

// The one PATH argument of a command (`optional`: none means the root).
client::Segments path_argument(Context& c, bool optional) {
  const auto& args = c.options().args;
  if (args.empty() && optional) return {};
  if (args.size() != 1) {
    throw Failure{kExitUsage, c.options().command + ": expected one PATH (see --help)"};
  }
  return c.path(args[0]);
}

[[noreturn]] void server_refused(const Reply& reply) {
  throw Failure{kExitServerError, "server: " + reply.line};
}

}  // namespace

int cmd_get(Context& c) {
  const client::Segments path = path_argument(c, false);
  if (path.empty()) throw Failure{kExitUsage, "get: the root has no value (use tree or ls)"};
  const auto item = c.client().get(path, true);
  if (!item) throw Failure{kExitNotFound, "not found: " + c.show(path)};
  if (c.json()) {
    c.out() << "{\"path\":" << json_quote(c.show(path)) << ","
            << json_value_member("value", item->data) << ",\"flags\":" << item->flags
            << ",\"cas\":" << item->cas << "}\n";
  } else {
    c.out() << item->data;
    if (!c.options().has("raw")) c.out() << "\n";
  }
  return kExitOk;
}

int cmd_set(Context& c) {
  const auto& args = c.options().args;
  if (args.empty() || args.size() > 2) {
    throw Failure{kExitUsage, "set: expected PATH [VALUE] (see --help)"};
  }
  const client::Segments path = c.path(args[0]);
  if (path.empty()) throw Failure{kExitUsage, "set: the root cannot hold a value"};
  std::string value;
  if (args.size() == 2) {
    value = args[1];
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  const int64_t ttl = flag_number(c.options(), "ttl", 0);
  const int64_t flags = flag_number(c.options(), "flags", 0);
  if (flags < 0 || flags > 0xffffffffLL) throw Failure{kExitUsage, "--flags: 0..4294967295"};
  const Reply reply = c.client().store("set", path, value, static_cast<uint32_t>(flags), ttl);
  if (reply.kind != LineKind::stored) server_refused(reply);
  return kExitOk;
}

int cmd_del(Context& c) {
  const client::Segments path = path_argument(c, false);
  if (path.empty()) throw Failure{kExitUsage, "del: give a PATH (the root cannot be deleted)"};
  const Reply reply = c.client().remove(path);
  if (reply.kind == LineKind::not_found) throw Failure{kExitNotFound, "not found: " + c.show(path)};
  if (reply.kind != LineKind::deleted) server_refused(reply);
  return kExitOk;
}

int cmd_ls(Context& c) {
  const client::Segments path = path_argument(c, true);
  const Reply reply = c.client().children(path);
  if (reply.is_error()) server_refused(reply);
  // getch answers END alone for a missing node and for a leaf: a leaf has a value.
  if (reply.lines.empty() && !path.empty() && !c.client().get(path)) {
    throw Failure{kExitNotFound, "not found: " + c.show(path)};
  }
  if (c.json()) {
    c.out() << "[";
    for (std::size_t i = 0; i < reply.lines.size(); ++i) {
      c.out() << (i ? "," : "") << json_quote(reply.lines[i]);
    }
    c.out() << "]\n";
  } else {
    for (const std::string& name : reply.lines) c.out() << name << "\n";
  }
  return kExitOk;
}

}  // namespace nestcache::cli
