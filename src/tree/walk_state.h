// What a WalkCursor holds between the steps of a reply made a part at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "child_names.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

struct WalkCursor::State {
  // walk_step: the full path of the last node looked at; empty until a step stops.
  std::vector<std::string> last_node;
  // children_step: the last name listed; nullopt until one is.
  std::optional<std::string> last_listed;
  // The names read ahead, by depth of the node whose children they are (0 = the top level).
  std::vector<ChildNames> names;

  // The stream of the node at depth `depth` (its path's size); made on first use. A reference
  // stays valid only until a stream at a greater depth is made.
  ChildNames& names_at(std::size_t depth) {
    if (names.size() <= depth) names.resize(depth + 1);
    return names[depth];
  }
  // A short top level is read again at the next step, so that names added meanwhile after the
  // cursor are seen, as in a node that is not wide; only a wide top level keeps its names.
  void forget_short_top_level() {
    if (!names.empty() && names[0].short_and_complete()) names[0] = ChildNames{};
  }
};

}  // namespace nestcache
