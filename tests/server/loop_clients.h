// Connections on one event loop over socket pairs, driven round by round from the test: the
// helpers the server tests share.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "harness.h"
#include "nestcache/config/options.h"
#include "server/connection.h"

namespace nestcache {

// The daemon's defaults, as the command line resolves them.
inline Options daemon_defaults() {
  const char* argv[] = {"nestcached"};
  return parse_options(1, argv).options;
}

// The engine test harness's engine, with the daemon's defaults, and one event loop.
struct Served {
  Harness harness{daemon_defaults()};
  EventLoop loop;
};

// One client: the server's end is a Connection on the loop, the test holds the other end.
class Client {
 public:
  explicit Client(Served& served) {
    int fd[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
    peer_ = fd[1];
    Harness& h = served.harness;
    h.registry().curr_connections.fetch_add(1);  // as Worker::adopt counts it
    connection_ =
        std::make_unique<Connection>(fd[0], served.loop, h.engine(), h.counters(), h.registry(),
                                     [this](Connection*) { closed_ = true; });
    EXPECT_TRUE(connection_->start("test"));
  }
  ~Client() { ::close(peer_); }

  // Writes `bytes`, running loop rounds whenever the socket pair's buffer is full.
  void send(std::string_view bytes, Served& served) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(peer_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(std::size_t(n));
      } else {
        ASSERT_EQ(errno, EAGAIN) << "the server closed; it sent: " << receive().substr(0, 200);
        served.loop.run_once(std::chrono::milliseconds(0));
      }
    }
  }
  // Everything the server has sent so far, appended to received().
  const std::string& receive() {
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(peer_, buf, sizeof buf)) > 0) received_.append(buf, std::size_t(n));
    return received_;
  }
  bool ends_with(std::string_view tail) {
    const std::string& got = receive();
    return got.size() >= tail.size() &&
           got.compare(got.size() - tail.size(), tail.size(), tail) == 0;
  }
  bool closed() const { return closed_; }
  Connection& connection() { return *connection_; }

 private:
  int peer_ = -1;
  std::unique_ptr<Connection> connection_;
  std::string received_;
  bool closed_ = false;
};

// Runs rounds until `done` or `max_rounds`; returns the rounds run.
template <typename Done>
int run_until(Served& served, Done done, int max_rounds = 100000) {
  int rounds = 0;
  while (!done() && rounds < max_rounds) {
    served.loop.run_once(std::chrono::milliseconds(0));
    ++rounds;
  }
  return rounds;
}

}  // namespace nestcache
