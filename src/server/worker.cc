#include "worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace nestcache {

using namespace std::chrono_literals;

Worker::Worker(Engine& engine, Counters& counters, StatsRegistry& stats)
    : engine_(engine), counters_(counters), stats_(stats) {}

Worker::~Worker() { join(); }

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::adopt(int fd, std::string peer) {
  stats_.curr_connections.fetch_add(1, std::memory_order_relaxed);
  loop_.post([this, fd, peer = std::move(peer)] { open(fd, peer); });
}

void Worker::stop() {
  loop_.post([this] {
    stopping_ = true;
    for (auto& [raw, connection] : connections_) connection->close();
  });
}

void Worker::open(int fd, const std::string& peer) {
  auto connection = std::make_unique<Connection>(
      fd, loop_, engine_, counters_, stats_, [this](Connection* gone) { closed_.push_back(gone); });
  if (stopping_) {
    connection->close();
  } else {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connection->start(peer);  // closes it if the kernel cannot watch it
  }
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
}

void Worker::kick_idle() {
  const uint32_t idle = engine_.options().server.idle_timeout;
  if (idle == 0 || loop_.now() < next_idle_check_) return;
  next_idle_check_ = loop_.now() + 1s;
  const auto since = loop_.now() - std::chrono::seconds(idle);
  for (auto& [raw, connection] : connections_) {
    if (connection->idle_since(since)) {
      Counters::add(counters_.idle_kicks);
      connection->close();
    }
  }
}

void Worker::run() {
  // With -o idle_timeout the loop wakes at least once a second to look for idle clients, as
  // memcached's idle thread does; without it the loop sleeps until there is work.
  const auto tick = engine_.options().server.idle_timeout > 0 ? std::chrono::milliseconds(1000)
                                                              : std::chrono::milliseconds(-1);
  while (!stopping_ || !connections_.empty()) {
    loop_.run_once(tick);
    kick_idle();
    for (Connection* gone : closed_) connections_.erase(gone);
    closed_.clear();
  }
}

}  // namespace nestcache
