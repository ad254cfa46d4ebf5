// One worker thread (memcached's model): an event loop and the connections it owns. A
// connection lives on one worker for its whole life, so nothing of it is shared between
// threads; the acceptor hands sockets over with adopt().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "event_loop.h"

namespace nestcache {

class Worker {
 public:
  Worker(Engine& engine, Counters& counters, StatsRegistry& stats);
  ~Worker();  // joins the thread
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Any thread. Takes ownership of `fd`, a connected socket, and counts it in curr_connections
  // at once, so that the acceptor's -c check sees it. `peer` is for -v logs.
  void adopt(int fd, std::string peer);
  // Any thread. Closes every connection; the thread then ends.
  void stop();
  void join();

 private:
  void run();
  void open(int fd, const std::string& peer);
  // Closes the connections that waited for a request longer than -o idle_timeout.
  void kick_idle();

  Engine& engine_;
  Counters& counters_;
  StatsRegistry& stats_;
  EventLoop loop_;
  // Loop thread only, from here down.
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> closed_;  // freed at the end of the round that closed them
  EventLoop::Clock::time_point next_idle_check_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace nestcache
