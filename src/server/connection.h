// One client: recv -> parse every complete request -> execute -> one send for the batch.
//
// Lives on one worker thread, which owns it (worker.h) and frees it at the end of the loop
// round in which it closed. Level-triggered: while the replies of a batch are being sent
// nothing more is read, and a long reply (a large multi-get, a gettree) is taken from the engine
// a step at a time, each step sent before the next is made, with a turn for the thread's other
// clients in between. That bounds the memory a client that never reads can make us hold
// (kMaxBatchOutput) and the time one client can keep the others waiting.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "event_loop.h"
#include "idle_list.h"
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"

namespace nestcache {

class Connection final : public EventLoop::Handler {
 public:
  // Takes ownership of `fd`, a connected TCP socket. `on_close` runs once, when it closes.
  Connection(int fd, EventLoop& loop, Engine& engine, const ParseOptions& parse, Counters& counters,
             StatsRegistry& stats, std::function<void(Connection*)> on_close);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts watching the socket (false, and closed, if the kernel refuses); `peer` is for -v
  // logs.
  bool start(const std::string& peer);
  void on_ready(uint32_t events) override;
  // Closes the socket at once, dropping unsent replies.
  void close();

  // Waiting for a request, with nothing of its own to do, since `since` or longer.
  bool idle_since(EventLoop::Clock::time_point since) const {
    return !closed_ && !sending_ && !scheduled_ && idle_link_.last_active() <= since;
  }
  // Its last activity and its place in its worker's idle list (idle_timeout.h).
  IdleList::Link& idle_link() { return idle_link_; }

 private:
  void receive();
  // Parses and executes what is buffered, then sends the replies.
  void process();
  void send();
  // Runs process() again after the thread's other ready connections (once, however often asked).
  void ask_for_turn();
  // Watches the socket for `events` instead; closes the connection if the kernel refuses.
  void watch_for(uint32_t events);

  int fd_;
  EventLoop& loop_;
  Engine& engine_;
  Parser parser_;
  Counters& counters_;
  StatsRegistry& stats_;
  std::function<void(Connection*)> on_close_;
  std::vector<char> in_;
  std::size_t begin_ = 0;  // first unconsumed byte of in_
  std::size_t end_ = 0;    // one past the last received byte
  std::string out_;
  std::size_t sent_ = 0;  // bytes of out_ the kernel has taken
  Command command_;
  // The rest of a reply still to come. It may view the request's bytes in in_, which is neither
  // received into nor moved while it is pending: process() resumes it before parsing anything
  // else.
  ReplyCursor more_;
  IdleList::Link idle_link_;  // last request handled or reply sent
  uint32_t watched_ = EPOLLIN;
  bool sending_ = false;    // replies wait for the client to read: only EPOLLOUT is watched
  bool more_work_ = false;  // process() stopped early; it goes on when the replies are out
  bool scheduled_ = false;  // asked the loop to run it soon()
  bool closing_ = false;    // send what is pending, then close
  bool closed_ = false;
};

}  // namespace nestcache
