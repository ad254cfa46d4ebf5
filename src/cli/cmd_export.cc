// export: the subtree as one JSON document on standard output, streamed.
#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "export_writer.h"

namespace nestcache::cli {

int cmd_export(Context& c) {
  const auto& args = c.options().args;
  if (args.size() > 1) throw Failure{kExitUsage, "export: expected [PATH] (see --help)"};
  const client::Segments root = args.empty() ? client::Segments{} : c.path(args[0]);
  return write_export(c, root, c.options().has("flat"));
}

}  // namespace nestcache::cli
