// Subtree walks: walk() in one go, and walk_step() a bounded step at a time (gettree). The top
// level spans every shard, so its names are gathered shard by shard (children.cc).
#include <algorithm>
#include <string>
#include <vector>

#include "child_names.h"
#include "live_children.h"
#include "nestcache/tree/tree.h"
#include "shard.h"
#include "walk_state.h"

namespace nestcache {

WalkCursor::WalkCursor() = default;
WalkCursor::~WalkCursor() = default;
WalkCursor::WalkCursor(WalkCursor&& other) noexcept = default;
WalkCursor& WalkCursor::operator=(WalkCursor&& other) noexcept = default;

bool WalkCursor::empty() const {
  return state_ == nullptr || (state_->last_node.empty() && !state_->last_listed);
}

void WalkCursor::clear() { state_.reset(); }

WalkCursor::State& WalkCursor::make_state() {
  if (state_ == nullptr) state_ = std::make_unique<State>();
  return *state_;
}

namespace {

// Depth first, the node before its children, children in name order. Expired children are
// skipped here (a walk must not restructure the set it iterates); the next access or the
// reclaimer detaches them.
void walk_node(Entry* node, Path& full, int64_t now, const Tree::WalkOptions& options,
               absl::FunctionRef<void(const Path&, const ValueView&)> visit) {
  if (node->has_value()) {
    if (options.mark_fetched) node->set_fetched(true);
    visit(full, ValueView{node->data(), node->flags(), 0, node->exptime(), node->cas()});
  } else if (options.valueless_deadlines && node->exptime() != 0) {
    visit(full, ValueView{{}, 0, 0, node->exptime(), 0});
  }
  if (!node->has_children()) return;
  for (Entry* child : sorted_live(*node, now)) {
    full.push_back(child->name());
    walk_node(child, full, now, options, visit);
    full.pop_back();
  }
}

// The nodes and logical bytes of `node`'s subtree, itself included: its table's figures, found
// down a chain of sole children (O(depth)).
struct SubtreeSize {
  std::size_t nodes = 0;
  std::size_t bytes = 0;
};
SubtreeSize subtree_size(const Entry* node) {
  SubtreeSize size;
  for (;;) {
    ++size.nodes;
    size.bytes += node->footprint();
    if (const Kids* kids = node->kids()) {
      size.nodes += kids->nodes;
      size.bytes += kids->bytes();
      return size;
    }
    node = node->sole_child();
    if (node == nullptr) return size;
  }
}

// One bounded step of a resumable walk (Tree::walk_step): what is left of its node budget,
// and where it stopped.
struct Step {
  std::size_t budget;
  int64_t now;
  const Tree::WalkOptions& options;
  absl::FunctionRef<bool(const Path&, const ValueView&)> visit;
  // The cursor's state, made when first needed (a walk done in one step may need none).
  absl::FunctionRef<WalkCursor::State&()> state;
  const std::vector<std::string>& at_start;  // where the step began
  std::vector<std::string> stop;             // set when the step ends before the walk does
  Tree::Shard* shard = nullptr;              // whose lock is held now
  const Entry* last = nullptr;               // the last node looked at in this step
};

// Ends the step after the last node it looked at (or where it began, if none): a slice of a
// scan was made and the rest is for the next step.
void suspend(Step& step) {
  if (step.last == nullptr) {
    step.stop = step.at_start;
    return;
  }
  step.stop.clear();
  for (const Entry* node = step.last; node != nullptr; node = node->parent()) {
    step.stop.emplace_back(node->name());
  }
  std::reverse(step.stop.begin(), step.stop.end());
}

// Looks at one node (its value, if any); false when the step ends here.
bool look(Entry* node, const Path& full, Step& step) {
  --step.budget;
  step.last = node;
  bool more = true;
  if (node->has_value()) {
    if (step.options.mark_fetched) node->set_fetched(true);
    more =
        step.visit(full, ValueView{node->data(), node->flags(), 0, node->exptime(), node->cas()});
  } else if (step.options.valueless_deadlines && node->exptime() != 0) {
    more = step.visit(full, ValueView{{}, 0, 0, node->exptime(), 0});
  }
  if (more && step.budget > 0) return true;
  step.stop.assign(full.begin(), full.end());
  return false;
}

bool step_subtree(Entry* node, Path& full, Step& step);

// The children of a wide node named after `after`, from the names read ahead: a name whose node
// has gone since is skipped, and one added in a range already read is not seen (walk_step).
bool step_wide_children(Entry* node, const std::string* after, Path& full, Step& step) {
  for (;;) {
    // Looked up again each time: walking a child's subtree may read ahead deeper, which can
    // move this stream.
    ChildNames& names = step.state().names_at(full.size());
    names.own(full);
    switch (names.ready_in_table(*node->kids(), after, step.shard->slot_moves(), step.now)) {
      case ChildNames::Ready::pause:
        suspend(step);
        return false;
      case ChildNames::Ready::end:
        return true;
      case ChildNames::Ready::name:
        break;
    }
    const std::string name = names.take();
    Entry* child = node->find_child(name);
    if (child == nullptr || child->expired(step.now)) continue;
    full.push_back(child->name());
    const bool more = step_subtree(child, full, step);
    full.pop_back();
    if (!more) return false;
  }
}

// The children of `node` named after `after` (all when null), each with its subtree.
bool step_children(Entry* node, const std::string* after, Path& full, Step& step) {
  if (!node->has_children()) return true;
  if (const Kids* kids = node->kids(); kids != nullptr && kids->size() > ChildNames::kWide) {
    return step_wide_children(node, after, full, step);
  }
  // Each child costs at least one unit of budget, so the first `budget` of them are enough.
  for (Entry* child : next_children(*node, after, step.budget, step.now)) {
    full.push_back(child->name());
    const bool more = step_subtree(child, full, step);
    full.pop_back();
    if (!more) return false;
  }
  return true;
}

// `node` and its whole subtree.
bool step_subtree(Entry* node, Path& full, Step& step) {
  return look(node, full, step) && step_children(node, nullptr, full, step);
}

// What comes after cursor[at...] in the subtree of `node` (whose path is cursor[0, at)): the
// part of the subtree of the child on the cursor's way (if it still exists), then the later
// children. `node` itself comes before the cursor.
bool step_after(Entry* node, const std::vector<std::string>& cursor, std::size_t at, Path& full,
                Step& step) {
  if (at == cursor.size()) return step_children(node, nullptr, full, step);
  const std::string& name = cursor[at];
  if (node->has_children()) {
    Entry* child = node->find_child(name);
    if (child != nullptr && !child->expired(step.now)) {
      full.push_back(child->name());
      const bool more = step_after(child, cursor, at + 1, full, step);
      full.pop_back();
      if (!more) return false;
    }
  }
  return step_children(node, &name, full, step);
}

}  // namespace

bool Tree::walk(const Path& path,
                absl::FunctionRef<void(const Path& full, const ValueView&)> visit) {
  const int64_t now = clock_.now();
  if (path.empty()) {
    std::vector<std::string> tops;
    children(path, tops);
    for (const std::string& top : tops) {
      Path one{top};
      walk(one, visit);  // a top-level node that vanished meanwhile is simply skipped
    }
    return true;
  }
  return with_node(path, [&](Shard&, Entry* node) {
    if (node == nullptr) return false;
    Path full = path;
    walk_node(node, full, now, WalkOptions{}, visit);
    return true;
  });
}

std::size_t Tree::walk_names(std::size_t shard_index, const std::vector<std::string>& names,
                             std::size_t first, std::size_t max_nodes, std::size_t max_bytes,
                             const WalkOptions& options,
                             absl::FunctionRef<void(const Path& full, const ValueView&)> visit) {
  Shard& shard = shards_[shard_index];
  const int64_t now = clock_.now();
  catch_up(now);
  std::lock_guard lock(shard.mu);
  shard.advance(now);
  std::size_t nodes = 0;
  std::size_t bytes = 0;
  Path full;
  std::size_t i = first;
  for (; i < names.size(); ++i) {
    Entry* root = shard.live_root(names[i], hash_name(names[i]), now);
    if (root == nullptr) continue;  // gone meanwhile, or in another shard
    const SubtreeSize size = subtree_size(root);
    if (nodes + size.nodes > max_nodes || bytes + size.bytes > max_bytes) break;
    nodes += size.nodes;
    bytes += size.bytes;
    full.assign(1, root->name());
    walk_node(root, full, now, options, visit);
  }
  return i;
}

bool Tree::walk_step(const Path& path, WalkCursor& cursor, std::size_t max_nodes,
                     const WalkOptions& options,
                     absl::FunctionRef<bool(const Path& full, const ValueView&)> visit) {
  const std::vector<std::string> at_start =
      cursor.state() != nullptr ? cursor.state()->last_node : std::vector<std::string>();
  auto state = [&cursor]() -> WalkCursor::State& { return cursor.make_state(); };
  Step step{std::max<std::size_t>(max_nodes, 1), clock_.now(), options, visit, state, at_start, {}};
  // Walks the subtree at `at` (a non-empty path) after the cursor, under its shard's lock.
  auto subtree = [&](const Path& at) {
    return with_node(at, [&](Shard& shard, Entry* node) {
      if (node == nullptr) return true;  // gone: nothing of it is left to visit
      step.shard = &shard;
      Path full = at;
      const bool resumed = !at_start.empty() && at_start.size() >= at.size() &&
                           std::equal(at.begin(), at.end(), at_start.begin());
      return resumed ? step_after(node, at_start, at.size(), full, step)
                     : step_subtree(node, full, step);
    });
  };
  bool done;
  if (!path.empty()) {
    done = subtree(path);
  } else {
    // The top-level node holding the cursor is resumed inside; the ones after it are walked
    // whole, each under its own shard's lock.
    const std::string* from = at_start.empty() ? nullptr : &at_start[0];
    done = for_each_top_name(cursor.make_state(), from, /*inclusive=*/true,
                             [&](const std::string& top) {
                               const Path one{top};
                               return subtree(one) ? NameTurn::taken : NameTurn::left;
                             });
  }
  if (!done) cursor.make_state().last_node = std::move(step.stop);
  if (cursor.state_ != nullptr) cursor.state_->forget_short_top_level();
  return done;
}

}  // namespace nestcache
