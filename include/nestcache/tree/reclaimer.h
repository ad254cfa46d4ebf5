// Runs Tree::collect() on a background thread: frees detached subtrees and expires nodes that
// no request touches. Stopping (or destroying) joins the thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "nestcache/tree/tree.h"

namespace nestcache {

class Reclaimer {
 public:
  // Starts the thread; `tree` must outlive the reclaimer.
  explicit Reclaimer(Tree& tree,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(100));
  ~Reclaimer();
  Reclaimer(const Reclaimer&) = delete;
  Reclaimer& operator=(const Reclaimer&) = delete;

  // Asks for a pass now (after a large delete or flush) instead of at the next tick.
  void wake();
  void stop();

 private:
  void run();

  Tree& tree_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace nestcache
