#include "watch_index.h"

#include <algorithm>

namespace nestcache {

WatchIndex::WatchIndex() = default;
WatchIndex::~WatchIndex() = default;

void WatchIndex::add(Watch* watch, const std::vector<std::string>& path) {
  Node* node = &root_;
  for (const std::string& segment : path) {
    auto& kid = node->kids[segment];
    if (kid == nullptr) {
      kid = std::make_unique<Node>();
      kid->parent = node;
      kid->name = segment;
    }
    node = kid.get();
  }
  node->watches.push_back(watch);
}

void WatchIndex::remove(Watch* watch, const std::vector<std::string>& path) {
  Node* node = &root_;
  for (const std::string& segment : path) {
    const auto it = node->kids.find(segment);
    if (it == node->kids.end()) return;
    node = it->second.get();
  }
  auto& watches = node->watches;
  const auto it = std::find(watches.begin(), watches.end(), watch);
  if (it == watches.end()) return;
  *it = watches.back();
  watches.pop_back();
  // Prune the nodes left with no watch and no child.
  while (node != &root_ && node->watches.empty() && node->kids.empty()) {
    Node* parent = node->parent;
    parent->kids.erase(node->name);  // frees node
    node = parent;
  }
}

void WatchIndex::collect_below(const Node& node, std::vector<Watch*>& out) {
  for (const auto& [name, kid] : node.kids) {
    out.insert(out.end(), kid->watches.begin(), kid->watches.end());
    collect_below(*kid, out);
  }
}

void WatchIndex::match(const WatchEvent& event, std::vector<Watch*>& out) const {
  const Node* node = &root_;
  out.insert(out.end(), node->watches.begin(), node->watches.end());
  if (event.kind == WatchEventKind::flush) {
    collect_below(root_, out);
    return;
  }
  // (Debian's absl has a string_view of its own.)
  auto kid = [](const Node& parent, std::string_view name) -> const Node* {
    const auto it = parent.kids.find(absl::string_view(name.data(), name.size()));
    return it == parent.kids.end() ? nullptr : it->second.get();
  };
  std::string_view rest = event.path();
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view segment = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (event.kind == WatchEventKind::graft && rest.empty()) {
      // The staged sibling went into the target: its watches see the graft too.
      if (const Node* staged = kid(*node, event.staged())) {
        out.insert(out.end(), staged->watches.begin(), staged->watches.end());
        collect_below(*staged, out);
      }
    }
    node = kid(*node, segment);
    if (node == nullptr) return;
    out.insert(out.end(), node->watches.begin(), node->watches.end());
  }
  if (event.removes_subtree()) collect_below(*node, out);
}

}  // namespace nestcache
