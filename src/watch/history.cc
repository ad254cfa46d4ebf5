#include "history.h"

#include <algorithm>

namespace nestcache {

void History::add(WatchEventRef event) {
  bytes_ += event->bytes();
  events_.push_back(std::move(event));
  while (bytes_ > budget_ && events_.size() > 1) {
    const WatchEventRef& oldest = events_.front();
    bytes_ -= oldest->bytes();
    floor_ = oldest->revision;
    events_.pop_front();
  }
}

std::size_t History::first_after(uint64_t revision) const {
  const auto it = std::upper_bound(
      events_.begin(), events_.end(), revision,
      [](uint64_t rev, const WatchEventRef& event) { return rev < event->revision; });
  return static_cast<std::size_t>(it - events_.begin());
}

}  // namespace nestcache
