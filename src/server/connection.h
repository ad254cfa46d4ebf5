// One client: recv -> session (parse, execute, reply) -> one send for the batch.
//
// Lives on one worker thread, which owns it (worker.h) and frees it at the end of the loop
// round in which it closed. Level-triggered: while the replies of a batch are being sent
// nothing more is read, and a long reply (a large multi-get, a gettree) is taken from the
// session a part at a time, each part sent before the next is made, with a turn for the
// thread's other clients in between. That bounds the memory a client that never reads can make
// us hold (kMaxBatchOutput) and the time one client can keep the others waiting.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "event_loop.h"
#include "idle_list.h"
#include "nestcache/engine/engine.h"
#include "nestcache/session/session.h"
#include "nestcache/stats/counters.h"

namespace nestcache {

class Connection final : public EventLoop::Handler {
 public:
  // Takes ownership of `fd`, a connected TCP socket. `on_close` runs once, when it closes.
  // With `held` (--data-dir), replies are not sent when made: the connection adds itself to
  // `held` and waits for release(), which the worker calls once the round's changes are in the
  // journal (the group commit).
  Connection(int fd, EventLoop& loop, Engine& engine, Counters& counters, StatsRegistry& stats,
             std::function<void(Connection*)> on_close, std::vector<Connection*>* held = nullptr);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts watching the socket (false, and closed, if the kernel refuses); `peer` is for -v
  // logs.
  bool start(const std::string& peer);
  void on_ready(uint32_t events) override;
  // Closes the socket at once, dropping unsent replies.
  void close();
  // Sends the replies held for the group commit (nothing if it closed meanwhile).
  void release();

  // Waiting for a request, with nothing of its own to do, since `since` or longer. A client in
  // the middle of a value's data block (the line read, `wanted_` known) is not waiting for a
  // request: memcached kicks only connections waiting for a command line
  // (tests/compat/sessions/idle-timeout-mid-value.txt).
  bool idle_since(EventLoop::Clock::time_point since) const {
    return state_ == State::reading && wanted_ == 0 && idle_link_.last_active() <= since;
  }
  // Its last activity and its place in its worker's idle list (idle_timeout.h).
  IdleList::Link& idle_link() { return idle_link_; }

 private:
  // The one state of a connection. Every transition is in connection.cc.
  enum class State : uint8_t {
    reading,              // waiting for requests: EPOLLIN is watched
    working,              // more replies to make: a turn is asked for with soon()
    committing,           // replies made, held until the round's changes are journaled
    sending,              // replies wait for the client to read them: EPOLLOUT is watched;
    sending_then_work,    //   ... then back to reading, to working,
    sending_then_close,   //   ... or closed
    sending_then_stream,  //   ... or a watch's stream, taken again (streaming_more)
    streaming,            // a watch's stream with nothing to send: woken by the watch (and
                          //   EPOLLIN, read only to see the client hang up)
    streaming_more,       // the watch has more ready: a turn is asked for with soon()
    closed,
  };

  void receive();
  // The session became a watch's stream: wire the watch's wake-ups to this worker.
  void start_stream();
  // Takes the watch's next events and sends them.
  void stream();
  // Streaming: reads what the client sends and drops it, to see it hang up.
  void drain_input();
  // Runs the session over what is buffered, then sends the replies.
  void process();
  // Sends out_; `then` is the state once it is all out (reading, working or closed).
  void send(State then);
  // Enters `next` (reading, working or closed) with nothing left to send.
  void become(State next);
  // Watches the socket for `events` instead; closes the connection if the kernel refuses.
  void watch_for(uint32_t events);

  int fd_;
  EventLoop& loop_;
  Engine& engine_;
  Counters& counters_;
  StatsRegistry& stats_;
  Session session_;
  std::function<void(Connection*)> on_close_;
  std::vector<char> in_;
  std::size_t begin_ = 0;  // first unconsumed byte of in_
  std::size_t end_ = 0;    // one past the last received byte
  std::string out_;
  std::size_t sent_ = 0;      // bytes of out_ the kernel has taken
  std::size_t wanted_ = 0;    // what the request at begin_ needs in all, when known (Fed::wanted)
  IdleList::Link idle_link_;  // last request handled or reply sent
  std::vector<Connection*>* held_;  // the worker's connections awaiting the commit, or nullptr
  State then_ = State::reading;     // committing: the state once the held replies are out
  State state_ = State::reading;
  uint32_t watched_ = EPOLLIN;
};

}  // namespace nestcache
