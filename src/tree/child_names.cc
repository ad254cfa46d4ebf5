#include "child_names.h"

#include <algorithm>
#include <utility>

namespace nestcache {

void ChildNames::own(const Path& owner) {
  if (owner_.size() == owner.size() && std::equal(owner.begin(), owner.end(), owner_.begin())) {
    return;
  }
  *this = ChildNames{};
  owner_.assign(owner.begin(), owner.end());
}

void ChildNames::skip_to(const std::string* after, bool inclusive) {
  if (after == nullptr) return;
  while (next_ < names_.size() && (inclusive ? names_[next_] < *after : names_[next_] <= *after)) {
    ++next_;
  }
}

const std::string* ChildNames::next_start(const std::string* after, bool& inclusive,
                                          std::string& last) {
  if (names_.empty() || (after != nullptr && *after > names_.back())) return after;
  last = names_.back();
  inclusive = false;
  return &last;
}

ChildNames::Ready ChildNames::accept(std::vector<std::string> names) {
  names_ = std::move(names);
  next_ = 0;
  complete_ = names_.size() < kReadAhead;
  return names_.empty() ? Ready::end : Ready::name;
}

ChildNames::Ready ChildNames::ready_in_table(const Kids& kids, const std::string* after,
                                             uint64_t slot_moves, int64_t now) {
  skip_to(after, /*inclusive=*/false);
  if (next_ < names_.size()) return Ready::name;
  if (complete_) return Ready::end;
  bool inclusive = false;
  std::string last;
  const std::string* start = next_start(after, inclusive, last);
  if (!scan_slice(kids, start, slot_moves, now)) return Ready::pause;
  return next_ < names_.size() ? Ready::name : Ready::end;
}

ChildNames::Ready ChildNames::ready_from(const std::string* after, bool inclusive, Gather gather) {
  skip_to(after, inclusive);
  if (next_ < names_.size()) return Ready::name;
  if (complete_) return Ready::end;
  std::string last;
  const std::string* start = next_start(after, inclusive, last);
  return accept(gather(start, inclusive, kReadAhead));
}

bool ChildNames::scan_slice(const Kids& kids, const std::string* start, uint64_t slot_moves,
                            int64_t now) {
  TableScan& scan = scan_;
  const bool same = scan.table == &kids && scan.capacity == kids.capacity() &&
                    scan.moves == slot_moves && scan.has_after == (start != nullptr) &&
                    (!start || scan.after == *start);
  if (!same) {
    const int restarts = scan.table != nullptr ? scan.restarts + 1 : 0;
    scan = TableScan{};
    scan.has_after = start != nullptr;
    if (start != nullptr) scan.after = *start;
    scan.capacity = kids.capacity();
    scan.table = &kids;
    scan.moves = slot_moves;
    scan.restarts = restarts;
  }
  const std::size_t slots = scan.restarts >= kScanRestarts ? scan.capacity : kScanSlots;
  std::vector<std::string>& best = scan.best;
  scan.slot = kids.for_each_in_slots(scan.slot, slots, [&](const Entry* child) {
    if (child->expired(now)) return;
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
  std::vector<std::string> names = std::move(best);
  scan = TableScan{};
  accept(std::move(names));
  return true;
}

}  // namespace nestcache
