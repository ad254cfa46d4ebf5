#include "nestcache/watch/watch.h"

#include "nestcache/watch/watch_hub.h"
#include "watch_event.h"

namespace nestcache {

Watch::Watch(WatchHub& hub, std::vector<std::string> path, uint64_t after)
    : hub_(hub), path_(std::move(path)), after_(after) {}

// A watch dropped without close() (an owner that forgot) must not stay in the hub's index.
Watch::~Watch() { close(); }

Watch::Step Watch::take(std::string& out, std::size_t max) { return hub_.take(*this, out, max); }

void Watch::set_waker(std::function<void()> wake) {
  std::lock_guard lock(hub_.mu_);
  waker_ = std::move(wake);
  // What arrived before the waker was set would otherwise wait for the next event.
  if (queue_head_ < queue_.size() || state_ == State::canceled) {
    wake_pending_ = false;
    wake();
  }
}

void Watch::close() { hub_.close(*this); }

bool Watch::push(std::shared_ptr<const WatchEvent> event, std::size_t limit) {
  // One event always fits (a value may be larger than the bound): only a backlog cancels.
  const bool backlog = queue_head_ < queue_.size();
  queued_bytes_ += event->wire.size();
  if (backlog && queued_bytes_ > limit) {
    // The client is not reading: stop here, and say where to resume (never a silent skip).
    state_ = State::canceled;
    std::vector<std::shared_ptr<const WatchEvent>>().swap(queue_);
    queue_head_ = 0;
    queued_bytes_ = 0;
    return false;
  }
  queue_.push_back(std::move(event));
  return true;
}

void Watch::wake() {
  if (wake_pending_ || !waker_) return;
  wake_pending_ = true;
  waker_();
}

}  // namespace nestcache
