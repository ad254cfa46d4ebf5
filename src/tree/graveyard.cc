#include "graveyard.h"

#include "kids.h"

namespace nestcache {

void Released::free_all() {
  for (Kids* kids : tables_) Kids::destroy(kids);
  for (Entry* node : entries_) Entry::destroy(node);
  tables_.clear();
  entries_.clear();
}

bool Graveyard::drain(std::size_t budget, absl::FunctionRef<void(Entry*)> retire) {
  while (budget > 0 && !nodes_.empty()) {
    Entry* node = nodes_.back();
    if (Entry* child = node->sole_child()) {
      node->clear_children();
      child->unhang();
      nodes_.push_back(child);
      --budget;
      continue;
    }
    if (Kids* kids = node->kids(); kids != nullptr && !kids->empty()) {
      // Children come out a batch at a time, so a huge subtree is freed in many short steps.
      for (; budget > 0 && !kids->empty(); --budget) {
        Entry* child = kids->take_one();
        child->unhang();
        nodes_.push_back(child);
      }
      continue;
    }
    nodes_.pop_back();
    retire(node);
    --budget;
  }
  return !nodes_.empty();
}

}  // namespace nestcache
