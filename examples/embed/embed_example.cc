// Embedding nestcache's core library: a Tree straight from C++ (tenant -> user -> field: store,
// read, children, walk, drop a tenant), then behind an Engine and a Session (protocol in process).
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "nestcache/common/clock.h"
#include "nestcache/common/path.h"
#include "nestcache/engine/engine.h"
#include "nestcache/session/session.h"
#include "nestcache/tree/tree.h"

namespace {

using nestcache::Path;
using nestcache::Tree;

std::string join(const Path& path) {
  std::string text;
  for (std::string_view segment : path) {
    if (!text.empty()) text += ' ';
    text += segment;
  }
  return text;
}

// A plain set through the tree's one write primitive (missing parents are created).
void store(Tree& tree, const Path& path, std::string_view value) {
  nestcache::UpdatePolicy policy;
  policy.create = true;
  policy.reserve = value.size();          // room under the memory budget, made before the lock
  const nestcache::NewValue next{value};  // flags 0, no deadline
  const auto result = tree.update(path, policy, [&](const nestcache::ValueView*) { return &next; });
  std::cout << "store " << join(path) << " = " << value
            << (result.outcome == nestcache::UpdateOutcome::stored ? "" : " FAILED") << "\n";
}

void print_children(Tree& tree, const Path& path) {
  std::vector<std::string> names;
  tree.children(path, names);
  std::cout << "children of [" << join(path) << "]:";
  for (const std::string& name : names) std::cout << ' ' << name;
  std::cout << "\n";
}

void print_walk(Tree& tree, const Path& path) {
  std::cout << "walk [" << join(path) << "]:\n";
  tree.walk(path, [](const Path& full, const nestcache::ValueView& value) {
    std::cout << "  " << join(full) << " = " << value.data << "\n";
  });
}

// The text protocol in process: an Engine over the tree, and one client's Session.
void speak_protocol(Tree& tree, const nestcache::Clock& clock) {
  nestcache::StatsRegistry stats;
  nestcache::Engine engine(tree, clock, stats, nestcache::EngineOptions{});
  nestcache::Session session(engine, stats.make_counters());
  std::string out;  // the replies to three pipelined requests, \r\n-terminated lines
  session.feed("set app prod db_url 0 0 9\r\ndb.prod:5\r\ngetch app\r\ngettree app\r\n", out);
  std::cout << "protocol:\n" << out;
}

}  // namespace

int main() {
  nestcache::SystemClock clock;  // the wall clock drives expiry
  Tree tree(clock);              // default options: missing parents are created

  store(tree, {"acme", "user", "1", "name"}, "Ada");
  store(tree, {"acme", "user", "1", "email"}, "ada@acme.test");
  store(tree, {"acme", "user", "2", "name"}, "Grace");
  store(tree, {"globex", "user", "7", "name"}, "Hank");
  store(tree, {"globex", "plan"}, "gold");
  // A read hands the value to a callback while the namespace's lock is held: copy what you need.
  std::string name;
  const bool hit = tree.read({"acme", "user", "2", "name"},
                             [&](const nestcache::ValueView& value) { name = value.data; });
  std::cout << "read acme user 2 name -> " << (hit ? name : "(miss)") << "\n";
  // "acme user" has children but no value of its own, so reading it is a miss.
  const bool inner = tree.read({"acme", "user"}, [](const nestcache::ValueView&) {});
  std::cout << "read acme user -> " << (inner ? "hit" : "(miss)") << "\n";

  print_children(tree, {});  // an empty path is the top level
  print_children(tree, {"acme", "user"});
  print_walk(tree, {"acme"});
  // One remove drops the tenant and everything below it.
  const bool removed = tree.remove({"acme"}) == nestcache::Status::deleted;
  std::cout << "remove acme -> " << (removed ? "deleted" : "not found") << "\n";
  print_children(tree, {});
  print_walk(tree, {});

  // The detached subtree is freed in batches; the daemon does this on a background thread.
  while (tree.collect()) {
  }
  const nestcache::TreeStats stats = tree.stats();
  std::cout << "live nodes " << stats.nodes << ", values " << stats.items << "\n";
  speak_protocol(tree, clock);
}
