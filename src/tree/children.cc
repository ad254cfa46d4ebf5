// Listings of a node's children: children() in one go, and children_step() a bounded step at a
// time (getch). The top level spans every shard, so it is gathered shard by shard (each under
// its own lock) and then sorted.
#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "child_names.h"
#include "live_children.h"
#include "nestcache/tree/tree.h"
#include "shard.h"
#include "walk_state.h"

namespace nestcache {

bool Tree::children(const Path& path, std::vector<std::string>& names) {
  const int64_t now = clock_.now();
  if (path.empty()) {
    // Every top-level name: a limit that top_names_from can double without overflow.
    constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max() / 2;
    std::vector<std::string> top = top_names_from(nullptr, /*inclusive=*/false, kAll);
    names.insert(names.end(), std::make_move_iterator(top.begin()),
                 std::make_move_iterator(top.end()));
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
  const WalkCursor::State* held = cursor.state();
  bool listed_any = held != nullptr && held->last_listed.has_value();
  std::string after = listed_any ? *held->last_listed : std::string();
  auto list = [&](std::string_view name) {
    visit(name);
    --budget;
    after.assign(name);
    listed_any = true;
  };
  bool done = false;
  if (path.empty()) {
    // Each top-level name is looked up under its own shard's lock when its turn comes.
    WalkCursor::State& state = cursor.make_state();
    done = for_each_top_name(state, listed_any ? &after : nullptr, /*inclusive=*/false,
                             [&](const std::string& name) {
                               if (with_shard(name, [&](Shard& shard, int64_t at) {
                                     return shard.live_child(nullptr, name, at) != nullptr;
                                   })) {
                                 list(name);
                               }
                               return budget > 0 ? NameTurn::taken : NameTurn::taken_last;
                             });
    state.forget_short_top_level();
  } else {
    done = with_node(path, [&](Shard& shard, Entry* node) {
      if (node == nullptr || !node->has_children()) return true;
      const std::string* start = listed_any ? &after : nullptr;
      if (const Kids* kids = node->kids(); kids == nullptr || kids->size() <= ChildNames::kWide) {
        for (const Entry* child : next_children(*node, start, budget, now)) list(child->name());
        return budget > 0;
      }
      ChildNames& names = cursor.make_state().names_at(path.size());
      names.own(path);
      for (;;) {
        switch (names.ready_in_table(*node->kids(), listed_any ? &after : nullptr,
                                     shard.slot_moves(), now)) {
          case ChildNames::Ready::pause:
            return false;  // a slice of the scan: the names come next step
          case ChildNames::Ready::end:
            return true;
          case ChildNames::Ready::name:
            break;
        }
        if (budget == 0) return false;
        const std::string name = names.take();
        const Entry* child = node->find_child(name);
        if (child != nullptr && !child->expired(now)) list(name);
      }
    });
  }
  if (!done && listed_any) cursor.make_state().last_listed = after;
  return done;
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

void Tree::scan_top_names(std::size_t index, TopNameScan& scan, std::size_t slots) {
  if (scan.done_) return;
  Shard& shard = shards_[index];
  const int64_t now = clock_.now();
  catch_up(now);
  {
    // In slices of the roots table, as ChildNames scans a wide node.
    std::lock_guard lock(shard.mu);
    shard.advance(now);
    const Kids& roots = shard.roots();
    if (scan.table_ != &roots || scan.capacity_ != roots.capacity() ||
        scan.moves_ != shard.slot_moves()) {
      if (scan.table_ != nullptr) ++scan.restarts_;
      scan.table_ = &roots;
      scan.capacity_ = roots.capacity();
      scan.moves_ = shard.slot_moves();
      scan.slot_ = 0;
    }
    const std::size_t count = scan.restarts_ >= ChildNames::kScanRestarts
                                  ? scan.capacity_
                                  : std::max<std::size_t>(slots, 1);
    scan.slot_ = roots.for_each_in_slots(scan.slot_, count, [&](const Entry* node) {
      if (!node->expired(now)) scan.names_.emplace_back(node->name());
    });
    if (scan.slot_ < scan.capacity_) return;
  }
  scan.done_ = true;
  // A scan started over lists again the names it had: once each.
  if (scan.restarts_ > 0) {
    std::sort(scan.names_.begin(), scan.names_.end());
    scan.names_.erase(std::unique(scan.names_.begin(), scan.names_.end()), scan.names_.end());
  }
}

bool Tree::for_each_top_name(WalkCursor::State& cursor, const std::string* after, bool inclusive,
                             absl::FunctionRef<NameTurn(const std::string& name)> fn) {
  auto gather = [this](const std::string* start, bool start_inclusive, std::size_t limit) {
    return top_names_from(start, start_inclusive, limit);
  };
  for (;;) {
    // Looked up again each time: fn may read ahead deeper, which can move this stream.
    ChildNames& names = cursor.names_at(0);
    if (names.ready_from(after, inclusive, gather) == ChildNames::Ready::end) return true;
    const std::string name = names.peek();  // a copy, for the same reason
    switch (fn(name)) {
      case NameTurn::taken:
        cursor.names_at(0).skip();
        break;
      case NameTurn::taken_last:
        cursor.names_at(0).skip();
        return false;
      case NameTurn::left:
        return false;
    }
  }
}

}  // namespace nestcache
