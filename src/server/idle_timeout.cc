#include "idle_timeout.h"

#include <algorithm>

namespace nestcache {
namespace {

// A timer that finds nothing to close re-arms for the next connection's deadline, which can
// be any time later; arming no sooner than this fraction of the limit bounds a worker's
// wake-ups to 64 per idle period whatever its clients do, at the price of closing a connection
// at most limit/64 late.
constexpr int kMaxWakeupsPerLimit = 64;

}  // namespace

IdleTimeout::IdleTimeout(Timers& timers, EventLoop& loop, Counters& counters, Clock::duration limit)
    : loop_(loop),
      counters_(counters),
      limit_(limit),
      timer_(timers, loop, [this] { expire(Clock::now()); }) {}

void IdleTimeout::watch(Connection& connection) {
  list_.push_back(connection.idle_link(), loop_.now());
  if (!timer_.armed()) timer_.arm(loop_.now() + limit_);
}

void IdleTimeout::forget(Connection& connection) { connection.idle_link().leave(); }

void IdleTimeout::expire(Clock::time_point now) {
  const Clock::time_point since = now - limit_;
  while (IdleList::Link* link = list_.front()) {
    if (link->last_active() > since) break;
    Connection& connection = *link->owner();
    if (connection.idle_since(since)) {
      link->leave();
      Counters::add(counters_.idle_kicks);
      connection.close();
    } else {
      link->touch(now);  // busy: active now
    }
  }
  if (const IdleList::Link* next = list_.front()) {
    timer_.arm(std::max(next->last_active() + limit_, now + limit_ / kMaxWakeupsPerLimit));
  }
}

}  // namespace nestcache
