#include "worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>

namespace nestcache {

Worker::Worker(Engine& engine, Counters& counters, StatsRegistry& stats, Timers& timers,
               std::chrono::seconds idle_timeout, Durability* durability)
    : engine_(engine), counters_(counters), stats_(stats), durability_(durability) {
  if (idle_timeout.count() > 0) idle_.emplace(timers, loop_, counters_, idle_timeout);
}

Worker::~Worker() { join(); }

void Worker::start() {
  thread_ = std::thread([this] {
    try {
      run();
    } catch (const std::exception& e) {
      std::cerr << "nestcached: worker: " << e.what() << '\n';
      std::abort();
    }
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::adopt(int fd, std::string peer) {
  stats_.curr_connections.fetch_add(1, std::memory_order_relaxed);
  loop_.post([this, fd, peer = std::move(peer)] { open(fd, peer); });
}

void Worker::post(std::function<void()> task) { loop_.post(std::move(task)); }

void Worker::stop() {
  loop_.post([this] {
    stopping_ = true;
    for (auto& [raw, connection] : connections_) connection->close();
    idle_.reset();
  });
}

void Worker::open(int fd, const std::string& peer) {
  auto connection = std::make_unique<Connection>(
      fd, loop_, engine_, counters_, stats_,
      [this](Connection* gone) {
        if (idle_) idle_->forget(*gone);
        closed_.push_back(gone);
      },
      durability_ != nullptr ? &held_ : nullptr);
  if (stopping_) {
    connection->close();
  } else {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // start() closes it if the kernel cannot watch it.
    if (connection->start(peer) && idle_) idle_->watch(*connection);
  }
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
}

void Worker::run() {
  while (!stopping_ || !connections_.empty()) {
    loop_.run_once(std::chrono::milliseconds(-1));  // timers arrive as posted tasks
    if (!held_.empty()) {
      // The group commit: the round's changes reach the journal (and, under --fsync always,
      // the disk) before any of its replies leave.
      durability_->commit_round();
      for (Connection* connection : held_) connection->release();
      held_.clear();
    }
    for (Connection* gone : closed_) connections_.erase(gone);
    closed_.clear();
  }
}

}  // namespace nestcache
