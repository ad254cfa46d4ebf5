// Reads that cover more than one node: children lists and subtree walks. The top level spans
// every shard, so it is gathered shard by shard (each under its own lock) and then sorted.
#include <algorithm>

#include "nestcache/tree/tree.h"
#include "shard.h"

namespace nestcache {
namespace {

// The live children of `node` in name order: a small table is kept so already, a hash table is
// sorted here.
std::vector<Entry*> sorted_live(const Entry& node, int64_t now) {
  std::vector<Entry*> live;
  node.for_each_child([&](Entry* child) {
    if (!child->expired(now)) live.push_back(child);
  });
  if (const Kids* kids = node.kids(); kids != nullptr && kids->is_big()) {
    std::sort(live.begin(), live.end(),
              [](const Entry* a, const Entry* b) { return a->name() < b->name(); });
  }
  return live;
}

// Depth first, the node before its children, children in name order. Expired children are
// skipped here (a walk must not restructure the set it iterates); the next access or the
// reclaimer detaches them.
void walk_node(Entry* node, Path& full, int64_t now,
               absl::FunctionRef<void(const Path&, const ValueView&)> visit) {
  if (node->has_value()) {
    node->set_fetched(true);
    visit(full, ValueView{node->data(), node->flags(), node->exptime(), node->cas()});
  }
  if (!node->has_children()) return;
  for (Entry* child : sorted_live(*node, now)) {
    full.push_back(child->name());
    walk_node(child, full, now, visit);
    full.pop_back();
  }
}

// The live children of `parent` named after `after` (all of them when it is null), at most
// `limit`, in name order. A bounded max-heap keeps the `limit` smallest names seen, so a step
// resumed in a node with a million children scans them once and holds `limit` pointers, never
// a copy of the whole table.
std::vector<Entry*> next_children(const Entry& node, const std::string* after, std::size_t limit,
                                  int64_t now) {
  auto by_name = [](const Entry* a, const Entry* b) { return a->name() < b->name(); };
  std::vector<Entry*> next;
  node.for_each_child([&](Entry* child) {
    if (child->expired(now) || (after != nullptr && child->name() <= *after)) return;
    if (next.size() < limit) {
      next.push_back(child);
      std::push_heap(next.begin(), next.end(), by_name);
    } else if (limit > 0 && by_name(child, next.front())) {
      std::pop_heap(next.begin(), next.end(), by_name);
      next.back() = child;
      std::push_heap(next.begin(), next.end(), by_name);
    }
  });
  std::sort_heap(next.begin(), next.end(), by_name);
  return next;
}

// A node with more children than this is "wide": a resumed walk reads its next kReadAhead child
// names ahead into the cursor instead of scanning all children at every step. A wide node of n
// children is then scanned about n / kReadAhead times in a whole walk, not n / budget times, and
// the names held stay under about a megabyte per wide level (two while a scan for the next ones
// is under way: the last names read stay until it ends, the scan starts after them).
constexpr std::size_t kWide = 1024;
constexpr std::size_t kReadAhead = 16384;
// A scan for the next names looks at this many slots of the wide node's hash table per step
// (about a millisecond: each live slot is a child's Entry to load), so that a node with 400k
// children no longer holds its namespace's lock for the 40-80 ms of a whole scan. A scan that
// had to start over this many times (the table kept changing) is finished in one go.
constexpr std::size_t kScanSlots = 8192;
constexpr int kScanRestarts = 2;

// One bounded step of a resumable walk (Tree::walk_step): what is left of its node budget,
// and where it stopped.
struct Step {
  std::size_t budget;
  int64_t now;
  absl::FunctionRef<bool(const Path&, const ValueView&)> visit;
  WalkCursor& cursor;             // for the names read ahead
  std::vector<std::string> stop;  // set when the step ends before the walk does
  Tree::Shard* shard = nullptr;   // whose lock is held now
  const Entry* last = nullptr;    // the last node looked at in this step
};

// A short top level is read again at the next step, so that names added meanwhile after the
// cursor are seen, as in a node that is not wide; only a wide top level keeps its names.
void forget_short_top_level(WalkCursor& cursor) {
  if (!cursor.ahead.empty() && cursor.ahead[0].complete && cursor.ahead[0].names.size() <= kWide) {
    cursor.ahead[0] = WalkCursor::Ahead{};
  }
}

// Ends the step after the last node it looked at (or where it began, if none): a slice of a
// scan was made and the rest is for the next step.
void suspend(Step& step) {
  if (step.last == nullptr) {
    step.stop = step.cursor.path;
    return;
  }
  step.stop.clear();
  for (const Entry* node = step.last; node != nullptr; node = node->parent()) {
    step.stop.emplace_back(node->name());
  }
  std::reverse(step.stop.begin(), step.stop.end());
}

// One slice of the scan of a wide node's children for the next kReadAhead names after `start`
// (all when null); true when the scan is complete and its names are in `ahead`. The scan starts
// over when the table may have moved a child between slices (Shard::slot_moves).
bool scan_slice(const Kids& kids, const std::string* start, WalkCursor::Ahead& ahead, Step& step) {
  WalkCursor::Ahead::Scan& scan = ahead.scan;
  const bool same = scan.table == &kids && scan.capacity == kids.capacity() &&
                    scan.moves == step.shard->slot_moves() &&
                    scan.has_after == (start != nullptr) && (!start || scan.after == *start);
  if (!same) {
    const int restarts = scan.table != nullptr ? scan.restarts + 1 : 0;
    scan = WalkCursor::Ahead::Scan{};
    scan.has_after = start != nullptr;
    if (start != nullptr) scan.after = *start;
    scan.capacity = kids.capacity();
    scan.table = &kids;
    scan.moves = step.shard->slot_moves();
    scan.restarts = restarts;
  }
  const std::size_t slots = scan.restarts >= kScanRestarts ? scan.capacity : kScanSlots;
  std::vector<std::string>& best = scan.best;
  scan.slot = kids.for_each_in_slots(scan.slot, slots, [&](const Entry* child) {
    if (child->expired(step.now)) return;
    const std::string_view name = child->name();
    if (scan.has_after && name <= scan.after) return;
    if (best.size() < kReadAhead) {
      best.emplace_back(name);
      std::push_heap(best.begin(), best.end());
    } else if (name < best.front()) {
      std::pop_heap(best.begin(), best.end());
      best.back() = name;
      std::push_heap(best.begin(), best.end());
    }
  });
  if (scan.slot < scan.capacity) return false;
  std::sort_heap(best.begin(), best.end());
  ahead.names = std::move(best);
  ahead.next = 0;
  ahead.complete = ahead.names.size() < kReadAhead;
  scan = WalkCursor::Ahead::Scan{};
  return true;
}

bool same_path(const std::vector<std::string>& owned, const Path& path) {
  return owned.size() == path.size() && std::equal(path.begin(), path.end(), owned.begin());
}

// The read-ahead names of the wide node at `full`, positioned after `after` (all when null);
// rescans the node's children when the names held are for another node or have run out.
// nullptr when the step must end first: the scan goes on in the next one.
WalkCursor::Ahead* names_ahead(const Entry& node, const std::string* after, const Path& full,
                               Step& step) {
  std::vector<WalkCursor::Ahead>& slots = step.cursor.ahead;
  if (slots.size() <= full.size()) slots.resize(full.size() + 1);
  WalkCursor::Ahead& ahead = slots[full.size()];
  if (!same_path(ahead.owner, full)) {
    ahead = WalkCursor::Ahead{};
    ahead.owner.assign(full.begin(), full.end());
  }
  while (after != nullptr && ahead.next < ahead.names.size() && ahead.names[ahead.next] <= *after) {
    ++ahead.next;
  }
  if (ahead.next == ahead.names.size() && !ahead.complete) {
    // The next names after the last one known (or after `after`): a scan of the children.
    std::string last = ahead.names.empty() ? std::string() : ahead.names.back();
    const std::string* start = ahead.names.empty() ? after : &last;
    if (after != nullptr && start != nullptr && *after > *start) start = after;
    if (!scan_slice(*node.kids(), start, ahead, step)) return nullptr;
  }
  return &ahead;
}

// Looks at one node (its value, if any); false when the step ends here.
bool look(Entry* node, const Path& full, Step& step) {
  --step.budget;
  step.last = node;
  bool more = true;
  if (node->has_value()) {
    node->set_fetched(true);
    more = step.visit(full, ValueView{node->data(), node->flags(), node->exptime(), node->cas()});
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
    WalkCursor::Ahead* ahead = names_ahead(*node, after, full, step);
    if (ahead == nullptr) {
      suspend(step);
      return false;
    }
    if (ahead->next == ahead->names.size()) return true;  // complete: no more children
    // A copy: walking the child's subtree may read ahead deeper, which can move this slot.
    const std::string name = ahead->names[ahead->next++];
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
  if (const Kids* kids = node->kids(); kids != nullptr && kids->size() > kWide) {
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

bool Tree::children(const Path& path, std::vector<std::string>& names) {
  const int64_t now = clock_.now();
  if (path.empty()) {
    const std::size_t first = names.size();
    for (std::size_t i = 0; i < kShardCount; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mu);
      shard.advance(now);
      shard.roots().for_each([&](Entry* node) {
        if (!node->expired(now)) names.emplace_back(node->name());
      });
    }
    std::sort(names.begin() + static_cast<std::ptrdiff_t>(first), names.end());
    return true;
  }
  return with_node(path, [&](Shard&, Entry* node) {
    if (node == nullptr) return false;
    if (node->has_children()) {
      for (Entry* child : sorted_live(*node, now)) names.emplace_back(child->name());
    }
    return true;
  });
}

bool Tree::children_step(const Path& path, WalkCursor& cursor, std::size_t max_names,
                         absl::FunctionRef<void(std::string_view name)> visit) {
  const int64_t now = clock_.now();
  std::size_t budget = std::max<std::size_t>(max_names, 1);
  bool listed_any = !cursor.path.empty();
  std::string after = listed_any ? cursor.path.back() : std::string();
  auto list = [&](std::string_view name) {
    visit(name);
    --budget;
    after.assign(name);
    listed_any = true;
  };
  bool done = false;
  if (path.empty()) {
    // The top level spans every shard: its names are read ahead, and each is looked up under
    // its own shard's lock when its turn comes.
    while (budget > 0) {
      WalkCursor::Ahead& ahead = top_names_ahead(cursor, listed_any ? &after : nullptr);
      while (listed_any && ahead.next < ahead.names.size() && ahead.names[ahead.next] <= after) {
        ++ahead.next;
      }
      if (ahead.next == ahead.names.size()) {
        done = true;
        break;
      }
      const std::string name = ahead.names[ahead.next++];
      if (with_shard(name, [&](Shard& shard, int64_t at) {
            return shard.live_child(nullptr, name, at) != nullptr;
          })) {
        list(name);
      }
    }
    forget_short_top_level(cursor);
  } else {
    done = with_node(path, [&](Shard& shard, Entry* node) {
      if (node == nullptr || !node->has_children()) return true;
      const std::string* start = listed_any ? &after : nullptr;
      if (const Kids* kids = node->kids(); kids == nullptr || kids->size() <= kWide) {
        for (const Entry* child : next_children(*node, start, budget, now)) list(child->name());
        return budget > 0;
      }
      auto no_values = [](const Path&, const ValueView&) { return true; };  // names only
      Step step{budget, now, no_values, cursor, {}};
      step.shard = &shard;
      for (;;) {
        WalkCursor::Ahead* ahead = names_ahead(*node, listed_any ? &after : nullptr, path, step);
        if (ahead == nullptr) return false;  // a slice of the scan: the names come next step
        if (ahead->next == ahead->names.size()) return true;
        if (budget == 0) return false;
        const std::string name = ahead->names[ahead->next++];
        const Entry* child = node->find_child(name);
        if (child != nullptr && !child->expired(now)) list(name);
      }
    });
  }
  if (!done && listed_any) cursor.path.assign(1, after);
  return done;
}

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
    walk_node(node, full, now, visit);
    return true;
  });
}

std::vector<std::string> Tree::top_names_from(const std::string* from, bool inclusive,
                                              std::size_t limit) {
  const int64_t now = clock_.now();
  std::vector<std::string> names;
  auto keep_smallest = [&] {
    if (names.size() <= limit) return;
    std::nth_element(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(limit),
                     names.end());
    names.resize(limit);
  };
  for (std::size_t i = 0; i < kShardCount; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    shard.advance(now);
    shard.roots().for_each([&](Entry* node) {
      if (node->expired(now)) return;
      if (from != nullptr && (inclusive ? node->name() < *from : node->name() <= *from)) return;
      names.emplace_back(node->name());
      if (names.size() >= 2 * limit) keep_smallest();
    });
  }
  keep_smallest();
  std::sort(names.begin(), names.end());
  return names;
}

WalkCursor::Ahead& Tree::top_names_ahead(WalkCursor& cursor, const std::string* from) {
  if (cursor.ahead.empty()) cursor.ahead.resize(1);
  WalkCursor::Ahead& ahead = cursor.ahead[0];  // the top level: its owner is the empty path
  // Names before the top-level node the walk resumes in are behind the cursor.
  while (from != nullptr && ahead.next < ahead.names.size() && ahead.names[ahead.next] < *from) {
    ++ahead.next;
  }
  if (ahead.next == ahead.names.size() && !ahead.complete) {
    if (ahead.names.empty()) {
      ahead.names = top_names_from(from, /*inclusive=*/true, kReadAhead);
    } else {
      const std::string last = ahead.names.back();
      ahead.names = top_names_from(&last, /*inclusive=*/false, kReadAhead);
    }
    ahead.next = 0;
    ahead.complete = ahead.names.size() < kReadAhead;
  }
  return ahead;
}

bool Tree::walk_step(const Path& path, WalkCursor& cursor, std::size_t max_nodes,
                     absl::FunctionRef<bool(const Path& full, const ValueView&)> visit) {
  Step step{std::max<std::size_t>(max_nodes, 1), clock_.now(), visit, cursor, {}};
  const std::vector<std::string> at_start = cursor.path;
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
    // The top level spans every shard: its names are read ahead (a scan of every shard, one at a
    // time), then walked in order, each under its own shard's lock. The top-level node holding
    // the cursor is resumed inside; the ones after it are walked whole.
    const std::string* from = at_start.empty() ? nullptr : &at_start[0];
    done = false;
    while (step.budget > 0) {
      WalkCursor::Ahead& ahead = top_names_ahead(cursor, from);
      if (ahead.next == ahead.names.size()) {
        done = true;
        break;
      }
      const std::string top = ahead.names[ahead.next];
      const Path one{top};
      if (!subtree(one)) break;  // the step ended inside this top-level node
      ++cursor.ahead[0].next;    // not `ahead`: walking the subtree may have moved the slots
    }
  }
  if (!done) cursor.path = std::move(step.stop);
  forget_short_top_level(cursor);
  return done;
}

}  // namespace nestcache
