// tree: the subtree drawn (text) or written as the export document (-o json).
#include <ostream>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "export_writer.h"
#include "tree_view.h"

namespace nestcache::cli {

int cmd_tree(Context& c) {
  const auto& args = c.options().args;
  if (args.size() > 1) throw Failure{kExitUsage, "tree: expected [PATH] (see --help)"};
  const client::Segments root = args.empty() ? client::Segments{} : c.path(args[0]);
  if (c.json()) return write_export(c, root, false);
  TreeNode tree;
  bool any = false;
  const client::Reply end = c.client().walk(root, [&](const client::Item& item) {
    any = true;
    add_to_tree(tree, client::Segments(item.path.begin() + root.size(), item.path.end()), item);
  });
  if (end.is_error()) throw Failure{kExitServerError, "server: " + end.line};
  if (!any && !root.empty()) throw Failure{kExitNotFound, "not found: " + c.show(root)};
  const auto width = static_cast<std::size_t>(
      flag_number(c.options(), "width", static_cast<int64_t>(terminal_width())));
  for (const std::string& line : draw_tree(tree, c.show(root), width)) c.out() << line << "\n";
  return kExitOk;
}

}  // namespace nestcache::cli
