#include "timers.h"

#include <cstdint>
#include <mutex>
#include <unordered_set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "event_loop.h"

namespace nestcache {

namespace asio = boost::asio;

struct Timers::Shared {
  explicit Shared(asio::io_context& context) : io(context) {}

  asio::io_context& io;
  // io thread only.
  std::unordered_set<Deadline*> pending;  // each kept alive by its wait in progress
  bool stopped = false;
};

// Three threads meet here, each on its own fields: the loop's thread arms and cancels, the io
// thread waits, and `loop` (under `mu`) is how the io thread reaches the loop.
struct Timers::Deadline : std::enable_shared_from_this<Deadline> {
  Deadline(std::shared_ptr<Shared> owner, EventLoop& target, std::function<void()> call)
      : shared(std::move(owner)), timer(shared->io), loop(&target), callback(std::move(call)) {}

  // Loop thread: a call at `at` (a new generation, so any call queued before is dropped).
  void schedule(Clock::time_point when) {
    at = when;
    armed = true;
    const uint64_t current = ++generation;
    asio::post(shared->io,
               [self = shared_from_this(), when, current] { self->start(when, current); });
  }

  // Loop thread: drops what was armed, and the wait that would keep the io_context busy.
  void cancel() {
    ++generation;
    if (!armed) return;  // nothing pending on the io thread
    armed = false;
    asio::post(shared->io, [self = shared_from_this()] { self->timer.cancel(); });
  }

  // io thread.
  void start(Clock::time_point when, uint64_t current) {
    if (shared->stopped) return;
    timer.expires_at(when);  // an earlier wait of this timer completes as cancelled
    if (waits++ == 0) shared->pending.insert(this);
    timer.async_wait([self = shared_from_this(), current](const boost::system::error_code& ec) {
      self->finish(ec, current);
    });
  }

  // io thread: the wait for generation `current` completed.
  void finish(const boost::system::error_code& ec, uint64_t current) {
    if (--waits == 0) shared->pending.erase(this);
    if (ec) return;  // cancelled
    std::lock_guard lock(mu);
    if (loop != nullptr) loop->post([self = shared_from_this(), current] { self->fire(current); });
  }

  // Loop thread: runs the callback unless it was re-armed, cancelled or destroyed since.
  void fire(uint64_t current) {
    if (current != generation) return;
    if (period > Clock::duration::zero()) {
      const Clock::time_point now = Clock::now();
      schedule(at + period > now ? at + period : now + period);
    } else {
      armed = false;
    }
    callback();  // may destroy the Timer: `this` lives on in the queued task
  }

  const std::shared_ptr<Shared> shared;
  // io thread only.
  asio::steady_timer timer;
  int waits = 0;  // started and not completed (a re-armed wait completes as cancelled)
  // The loop to post into, null once the Timer is destroyed.
  std::mutex mu;
  EventLoop* loop;
  // Loop thread only.
  const std::function<void()> callback;
  uint64_t generation = 0;  // a queued call of an older generation is dropped
  bool armed = false;
  Clock::time_point at;
  Clock::duration period{};
};

Timers::Timers(asio::io_context& io) : shared_(std::make_shared<Shared>(io)) {}

Timers::~Timers() = default;

void Timers::stop() {
  asio::post(shared_->io, [shared = shared_] {
    shared->stopped = true;
    for (Deadline* deadline : shared->pending) deadline->timer.cancel();
  });
}

Timers::Timer::Timer(Timers& timers, EventLoop& loop, std::function<void()> callback)
    : deadline_(std::make_shared<Deadline>(timers.shared_, loop, std::move(callback))) {}

Timers::Timer::~Timer() {
  deadline_->cancel();
  std::lock_guard lock(deadline_->mu);
  deadline_->loop = nullptr;
}

void Timers::Timer::arm(Clock::time_point at) {
  deadline_->period = Clock::duration::zero();
  deadline_->schedule(at);
}

void Timers::Timer::arm_every(Clock::duration period) {
  deadline_->period = period;
  deadline_->schedule(Clock::now() + period);
}

void Timers::Timer::cancel() { deadline_->cancel(); }

bool Timers::Timer::armed() const { return deadline_->armed; }

}  // namespace nestcache
