// One worker thread (memcached's model): an event loop and the connections it owns. A
// connection lives on one worker for its whole life, so nothing of it is shared between
// threads; the acceptor hands sockets over with adopt().
//
// Errors: the loop side reports with bool and errno (a refused descriptor closes its
// connection) and lets no exception out of the thread: an epoll set that fails to wait is a
// bug, and the process aborts with the reason.
//
// Lifetime: the server's io_context and Timers outlive the worker; the worker owns its loop,
// its idle timer and its connections, and frees a connection at the end of the loop round in
// which it closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "event_loop.h"
#include "idle_timeout.h"
#include "nestcache/durability/durability.h"
#include "timers.h"

namespace nestcache {

class Worker {
 public:
  // With an `idle_timeout` (-o idle_timeout; 0 = none), the worker's idle timer runs on `timers`.
  // With `durability` (--data-dir), the replies of each round leave after its group commit.
  Worker(Engine& engine, Counters& counters, StatsRegistry& stats, Timers& timers,
         std::chrono::seconds idle_timeout, Durability* durability = nullptr);
  ~Worker();  // joins the thread
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Any thread. Takes ownership of `fd`, a connected socket, and counts it in curr_connections
  // at once, so that the acceptor's -c check sees it. `peer` is for -v logs.
  void adopt(int fd, std::string peer);
  // Any thread. Runs `task` on the worker's thread between two of its rounds.
  void post(std::function<void()> task);
  // Any thread. Closes every connection and the idle timer; the thread then ends.
  void stop();
  void join();

 private:
  void run();
  void open(int fd, const std::string& peer);

  Engine& engine_;
  Counters& counters_;
  StatsRegistry& stats_;
  EventLoop loop_;
  // Loop thread only, from here down.
  std::optional<IdleTimeout> idle_;  // with -o idle_timeout, until stop()
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> closed_;  // freed at the end of the round that closed them
  Durability* durability_;
  std::vector<Connection*> held_;  // replies made this round, awaiting its commit
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace nestcache
