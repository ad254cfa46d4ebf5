// The events released to watchers, in revision order, within a byte budget
// (--watch-history-mb): what a watch resumed from an earlier revision reads first.
// Not synchronized: the hub's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "watch_event.h"

namespace nestcache {

class History {
 public:
  // Holds nothing after revision `floor` yet.
  History(std::size_t budget, uint64_t floor) : budget_(budget), floor_(floor) {}

  // Adds `event`, whose revision is above every held one, then drops the oldest while over the
  // budget (the newest is always kept).
  void add(WatchEventRef event);
  // Every event after this revision is held (or was never made): a watch resumed from a
  // revision >= floor() misses nothing.
  uint64_t floor() const { return floor_; }
  // The index of the first event with a revision above `revision` (size() if none).
  std::size_t first_after(uint64_t revision) const;
  std::size_t size() const { return events_.size(); }
  const WatchEventRef& at(std::size_t index) const { return events_[index]; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t budget_;
  uint64_t floor_;
  std::size_t bytes_ = 0;
  std::deque<WatchEventRef> events_;
};

}  // namespace nestcache
