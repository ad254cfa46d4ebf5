#include "io_context_pool.h"

namespace nestcache {

IoContextPool::IoContextPool(std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

void IoContextPool::run() {
  std::vector<std::thread> threads;
  for (auto& context : contexts_) {
    threads.emplace_back([&context] { context->run(); });
  }
  for (auto& thread : threads) thread.join();
}

void IoContextPool::release() {
  for (auto& guard : guards_) guard.reset();
}

void IoContextPool::stop() {
  for (auto& context : contexts_) context->stop();
}

}  // namespace nestcache
