// One io_context per worker thread (memcached's model): a connection lives on one thread for
// its whole life, so its handlers never race and need no strand.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace nestcache {

class IoContextPool {
 public:
  explicit IoContextPool(std::size_t size);

  // Runs every context on its own thread; returns once all have stopped.
  void run();
  // Lets the contexts finish when they run out of work.
  void release();
  // Stops every context at once.
  void stop();

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  // Round robin; called from the accepting thread only.
  std::size_t next() { return next_++ % contexts_.size(); }

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::size_t next_ = 0;
};

}  // namespace nestcache
