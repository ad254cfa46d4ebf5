// The seam between the server's Asio io_context and the threads that run an EventLoop (the
// workers): deadlines are kept by Asio, on the thread that runs the io_context, and a deadline
// that passes is posted into its owner's EventLoop, so that its callback runs on that loop's
// thread between two of its handlers, never concurrently with them.
//
// Why the split: the workers' loops must not pay for timers on their hot path (one recv per
// request, event_loop.h), and Asio already keeps the listener's timers; a worker arms a timer
// with one post to the io_context, not with a descriptor or a syscall of its own.
//
// Errors: nothing here fails or throws once constructed. Asio's error codes stay on the io
// thread (a cancelled wait is dropped there); the loop side sees only callbacks that run or do
// not.
//
// Lifetime: the io_context outlives the Timers, which outlives every Timer made from it; the
// io_context is not run after the Timers is destroyed. A Timer's Asio half is shared by the
// Timer, its pending wait and its queued call (never a raw pointer to either side), and the
// Timer's destructor clears the Asio half's way to the loop, so the loop may be destroyed
// after its Timers while the io_context still runs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace nestcache {

class EventLoop;

class Timers {
 public:
  using Clock = std::chrono::steady_clock;
  class Timer;

  // Deadlines run on `io`, on whichever thread runs it.
  explicit Timers(boost::asio::io_context& io);
  ~Timers();
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // Any thread. Cancels every pending deadline and ignores every later arm, so that io.run()
  // can return; a call already queued on a loop still runs unless its Timer is cancelled or
  // destroyed first.
  void stop();

 private:
  struct Shared;    // the io thread's side: pending deadlines, stopped
  struct Deadline;  // one Timer's state, shared with its pending wait and its queued calls

  std::shared_ptr<Shared> shared_;
};

// A deadline (or a period) whose callback runs on one EventLoop's thread.
//
// Lifetime: armed, cancelled and destroyed on the loop's thread (or when no thread runs the
// loop); the Timers and the loop outlive it. Once cancel() has returned or the Timer is
// destroyed, its callback does not run, even when the deadline has passed and the call is
// already queued on the loop.
class Timers::Timer {
 public:
  // `callback` runs on `loop`'s thread and must not throw.
  Timer(Timers& timers, EventLoop& loop, std::function<void()> callback);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Runs the callback once, at `at` or later; replaces whatever was armed before.
  void arm(Clock::time_point at);
  // Runs the callback every `period`, first `period` from now; a loop that was too busy for
  // some ticks gets one call for them, and the next tick a period after that call.
  void arm_every(Clock::duration period);
  // The callback does not run for anything armed before.
  void cancel();
  // Armed and not yet run; a repeating timer stays armed until cancel().
  bool armed() const;

 private:
  std::shared_ptr<Deadline> deadline_;
};

}  // namespace nestcache
