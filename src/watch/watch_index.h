// Which watches an event concerns, found in O(depth of the event's path) (plus the watches
// below a removed node): a trie of the watched paths. Not synchronized: the hub's lock guards
// it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "watch_event.h"

namespace nestcache {

class Watch;

class WatchIndex {
 public:
  WatchIndex();
  ~WatchIndex();
  WatchIndex(const WatchIndex&) = delete;
  WatchIndex& operator=(const WatchIndex&) = delete;

  // `watch` watches the subtree at `path` (the whole tree when empty).
  void add(Watch* watch, const std::vector<std::string>& path);
  // Forgets it (added with the same path), and the trie nodes it alone kept.
  void remove(Watch* watch, const std::vector<std::string>& path);

  // Appends the watches that `event` concerns, each once: those of the event's node and of
  // every ancestor (the change is in their subtree); for a node removed with its subtree, those
  // below it too (their node went with it); for a flush, all.
  void match(const WatchEvent& event, std::vector<Watch*>& out) const;

 private:
  struct Node {
    Node* parent = nullptr;
    std::string name;
    absl::flat_hash_map<std::string, std::unique_ptr<Node>> kids;
    std::vector<Watch*> watches;
  };
  static void collect_below(const Node& node, std::vector<Watch*>& out);

  Node root_;
};

}  // namespace nestcache
