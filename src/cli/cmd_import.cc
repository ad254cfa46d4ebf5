// import: makes the covered subtree(s) hold exactly what a document holds. Plain: deletes and
// stores pipelined on the live subtree (readers may see it half way). --atomic: the new
// subtree is built under a staged sibling (`stage`), then swapped in at once (`swap`); a
// failure deletes the staged copy and changes nothing.
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "export_writer.h"
#include "import_doc.h"
#include "nestcache/client/error.h"
#include "pipeline.h"

namespace nestcache::cli {
namespace {

using client::LineKind;
using client::Segments;

constexpr std::size_t kDepth = 128;
// How long a staged copy outlives a client that died before its swap.
constexpr int kStageTtl = 3600;
// What a staged sibling's name adds to a key ("~stage-xxxxxxxx-" before the target's name).
constexpr std::size_t kStageKeyExtra = 16;

struct Diff {
  std::vector<Segments> added, changed, removed;
};

std::string read_input(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Failure{kExitUsage, "cannot read " + file};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the server holds now in the covered subtrees (an expired value is absent).
std::map<Segments, DocValue> live_values(Context& c, const ImportDoc& doc) {
  std::map<Segments, DocValue> live;
  for (const Segments& root : doc.roots) {
    const client::Reply end = walk_values(c, root, [&](const client::Item& item) {
      live[item.path] = DocValue{item.data, item.flags, item.exptime};
    });
    if (end.is_error()) throw Failure{kExitServerError, "server: " + end.line};
  }
  return live;
}

Diff diff(const std::map<Segments, DocValue>& live, const std::map<Segments, DocValue>& next) {
  Diff d;
  for (const auto& [path, value] : next) {
    const auto it = live.find(path);
    if (it == live.end()) {
      d.added.push_back(path);
    } else if (!(it->second == value)) {
      d.changed.push_back(path);
    }
  }
  for (const auto& [path, value] : live) {
    if (!next.count(path)) d.removed.push_back(path);
  }
  return d;
}

// memcached's item size (protocol.md 4.5) for a value at a key of `key_bytes`.
std::size_t item_size(std::size_t key_bytes, const DocValue& v) {
  return 48 + key_bytes + 1 + (v.flags != 0 ? 4 : 0) + v.data.size() + 2 + 8;
}

// Refuses, before anything is written, what the server would refuse.
void check_document(Context& c, const ImportDoc& doc, bool atomic) {
  const client::ServerMode& mode = c.client().mode();
  for (const auto& [path, value] : doc.values) {
    try {
      client::check_limits(path, mode);
      const std::string key = client::wire_path(path, mode);
      if (item_size(key.size() + (atomic ? kStageKeyExtra : 0), value) > mode.item_size_max) {
        throw Failure{kExitUsage, "value at '" + c.show(path) + "' (" +
                                      std::to_string(value.data.size()) +
                                      " bytes) is past the server's -I item size limit"};
      }
    } catch (const client::Error& e) {
      throw Failure{kExitUsage, "'" + c.show(path) + "': " + e.what()};
    }
  }
}

void print_diff(Context& c, const Diff& d) {
  for (const Segments& p : d.added) c.out() << "+ " << c.show(p) << "\n";
  for (const Segments& p : d.changed) c.out() << "~ " << c.show(p) << "\n";
  for (const Segments& p : d.removed) c.out() << "- " << c.show(p) << "\n";
  c.out() << d.added.size() << " added, " << d.changed.size() << " changed, " << d.removed.size()
          << " removed\n";
}

// Stores `values` (those not expired already) pipelined, each at prefix + its path below
// `root`; `after_first` is queued right after the first store. Returns the first error.
std::string store_all(Context& c, const std::vector<std::pair<Segments, const DocValue*>>& values,
                      const std::string& after_first) {
  client::Client& cl = c.client();
  std::string first_error;
  Pipeline pipe(cl, kDepth, [&](std::size_t tag, const client::Reply& reply) {
    const bool ok =
        tag == SIZE_MAX ? reply.kind == LineKind::touched : reply.kind == LineKind::stored;
    if (!ok && first_error.empty()) {
      first_error = (tag == SIZE_MAX ? std::string("staging") : c.show(values[tag].first)) + ": " +
                    reply.line;
    }
  });
  for (std::size_t i = 0; i < values.size(); ++i) {
    const DocValue& v = *values[i].second;
    pipe.send(client::store_request("set", client::wire_path(values[i].first, cl.mode()), v.data,
                                    v.flags, v.exptime),
              i);
    if (i == 0 && !after_first.empty()) pipe.send(after_first, SIZE_MAX);
  }
  pipe.finish();
  return first_error;
}

int apply_plain(Context& c, const ImportDoc& doc, const std::map<Segments, DocValue>& live,
                const Diff& d) {
  client::Client& cl = c.client();
  // A removed value whose node keeps values below it: there is no command that drops a value
  // alone, so the node is deleted and its new subtree stored again.
  std::set<Segments> reset;
  std::vector<Segments> deletes;
  for (const Segments& p : d.removed) {
    const auto next = doc.values.upper_bound(p);
    const bool keeps_children = next != doc.values.end() && is_under(p, next->first);
    bool inside = false;
    for (const Segments& gone : deletes) inside = inside || is_under(gone, p);
    if (inside) continue;
    deletes.push_back(p);
    if (keeps_children) reset.insert(p);
  }
  (void)live;
  std::string first_error;
  Pipeline pipe(cl, kDepth, [&](std::size_t tag, const client::Reply& reply) {
    if (reply.kind != LineKind::deleted && reply.kind != LineKind::not_found &&
        first_error.empty()) {
      first_error = c.show(deletes[tag]) + ": " + reply.line;
    }
  });
  for (std::size_t i = 0; i < deletes.size(); ++i) {
    pipe.send(cl.line_for("delete", deletes[i]) + "\r\n", i);
  }
  pipe.finish();
  if (!first_error.empty()) throw Failure{kExitServerError, "import stopped: " + first_error};
  std::vector<std::pair<Segments, const DocValue*>> stores;
  const std::set<Segments> changed(d.changed.begin(), d.changed.end());
  const std::set<Segments> added(d.added.begin(), d.added.end());
  for (const auto& [path, value] : doc.values) {
    bool again = changed.count(path) || added.count(path);
    for (const Segments& r : reset) again = again || is_under(r, path);
    if (again) stores.emplace_back(path, &value);
  }
  first_error = store_all(c, stores, "");
  if (!first_error.empty()) {
    throw Failure{kExitServerError, "import stopped half way (not --atomic): " + first_error};
  }
  return kExitOk;
}

int apply_atomic(Context& c, const ImportDoc& doc) {
  client::Client& cl = c.client();
  if (doc.roots.size() != 1 || doc.roots[0].empty()) {
    throw Failure{kExitUsage, "--atomic replaces one subtree below the root (give @root or --to)"};
  }
  const Segments& root = doc.roots[0];
  std::vector<std::pair<Segments, const DocValue*>> stores;
  int64_t root_exptime = 0;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const auto& [path, value] : doc.values) {
    if (value.exptime != 0 && value.exptime <= now) continue;  // gone already
    if (path == root) root_exptime = value.exptime;
    stores.emplace_back(path, &value);
  }
  if (stores.empty()) {  // the new subtree is empty: one delete is already atomic
    const client::Reply r = cl.remove(root);
    if (r.kind != LineKind::deleted && r.kind != LineKind::not_found) {
      throw Failure{kExitServerError, "server: " + r.line};
    }
    return kExitOk;
  }
  const client::Reply staged = cl.call(cl.line_for("stage", root));
  if (!staged.line.starts_with("STAGE ")) {
    throw Failure{kExitServerError, "the server cannot stage (" + staged.line +
                                        "): --atomic needs nestcached with stage and swap"};
  }
  Segments stage(root.begin(), root.end() - 1);
  stage.push_back(staged.line.substr(6));
  for (auto& [path, value] : stores) {
    Segments p = stage;
    p.insert(p.end(), path.begin() + static_cast<std::ptrdiff_t>(root.size()), path.end());
    path = std::move(p);
  }
  const std::string touch = cl.line_for("touch", stage) + " " + std::to_string(kStageTtl) + "\r\n";
  std::string error;
  try {
    error = store_all(c, stores, touch);
    if (error.empty()) {
      Segments swap_path = root;
      swap_path.push_back(stage.back());
      const client::Reply r =
          cl.call(cl.line_for("swap", swap_path) + " " + std::to_string(root_exptime));
      if (r.line == "SWAPPED") return kExitOk;
      error = "swap: " + r.line;
    }
  } catch (const client::Error& e) {
    throw Failure{kExitServerError, std::string(e.what()) + ": nothing changed (the staged copy " +
                                        c.show(stage) + " expires within " +
                                        std::to_string(kStageTtl) + " s)"};
  }
  cl.remove(stage);
  throw Failure{kExitServerError, "import refused, nothing changed: " + error};
}

}  // namespace

int cmd_import(Context& c) {
  const auto& args = c.options().args;
  if (args.size() != 1) throw Failure{kExitUsage, "import: expected FILE or - (see --help)"};
  ImportDoc doc = parse_document(read_input(args[0]), args[0] == "-" ? "<stdin>" : args[0]);
  if (const auto to = c.options().flag("to")) reroot(doc, c.path(*to));
  const bool atomic = c.options().has("atomic");
  check_document(c, doc, atomic);
  const auto live = live_values(c, doc);
  const Diff d = diff(live, doc.values);
  if (c.options().has("dry-run")) {
    print_diff(c, d);
    return kExitOk;
  }
  return atomic ? apply_atomic(c, doc) : apply_plain(c, doc, live, d);
}

}  // namespace nestcache::cli
