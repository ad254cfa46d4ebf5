// Closes the connections of one worker that have waited for a request longer than
// -o idle_timeout, as memcached does: a client that is sending a request or reading its
// replies, or whose requests are still being answered, is not idle (idle-timeout.txt in
// tests/compat/sessions, test_hostile_input.py's IdleTimeoutTest).
//
// One timer per worker, armed for the moment the least recently active connection runs out;
// activity only moves a connection to the back of the idle list. Without -o idle_timeout a
// worker has no IdleTimeout and no timer, and its loop sleeps until there is work.
//
// Lifetime: owned by its worker and used on the worker's loop thread only; the Timers, the loop
// and the counters outlive it. A connection leaves it (forget()) when it closes, and leaves it
// anyway when destroyed.
#pragma once

#include "connection.h"
#include "event_loop.h"
#include "idle_list.h"
#include "nestcache/stats/counters.h"
#include "timers.h"

namespace nestcache {

class IdleTimeout {
 public:
  using Clock = IdleList::Clock;

  // Closes connections idle for `limit` or longer, counting each in counters.idle_kicks.
  IdleTimeout(Timers& timers, EventLoop& loop, Counters& counters, Clock::duration limit);

  // Counts `connection`'s idle time from the loop's now(); arms the timer if it is not armed.
  void watch(Connection& connection);
  // `connection` is closing: it is no longer watched.
  void forget(Connection& connection);
  // Closes every watched connection that has waited for a request since `now - limit` or
  // longer, and re-arms the timer for the next one to run out. A connection found busy (sending
  // replies, or with work queued) counts as active at `now`. The timer calls this with the
  // time it fired.
  void expire(Clock::time_point now);

  // The watched connections, least recently active first.
  const IdleList& watched() const { return list_; }
  bool timer_armed() const { return timer_.armed(); }

 private:
  EventLoop& loop_;
  Counters& counters_;
  const Clock::duration limit_;
  IdleList list_;
  Timers::Timer timer_;
};

}  // namespace nestcache
