#include "nestcache/tree/reclaimer.h"

namespace nestcache {

Reclaimer::Reclaimer(Tree& tree, std::chrono::milliseconds interval)
    : tree_(tree), interval_(interval), thread_([this] { run(); }) {}

Reclaimer::~Reclaimer() { stop(); }

void Reclaimer::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Reclaimer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Reclaimer::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    const bool more = tree_.collect();
    lock.lock();
    if (more) continue;  // a large subtree is being freed: keep going, a batch at a time
    cv_.wait_for(lock, interval_, [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

}  // namespace nestcache
