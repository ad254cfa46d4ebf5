// The seam between Asio and the loops: deadlines kept by an io_context, callbacks run on a
// loop's thread. Most tests run the io_context and the loop in turn on the test thread (the
// io_context runs until it has no more work, which is when a passed deadline has been posted
// to the loop), so that what is queued where is known; the others run the io_context on a
// thread of its own, as the server does.
#include "server/timers.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "server/event_loop.h"

namespace nestcache {
namespace {

using namespace std::chrono_literals;
using Clock = Timers::Clock;
namespace asio = boost::asio;

// Runs `io` on another thread until it has no more work; false (and stopped) if it still had
// some after `guard`.
bool run_until_idle(asio::io_context& io, std::chrono::seconds guard = 10s) {
  io.restart();
  std::future<void> ran = std::async(std::launch::async, [&io] { io.run(); });
  if (ran.wait_for(guard) == std::future_status::ready) return true;
  io.stop();
  return false;
}

// The io_context on a thread of its own, kept running until destroyed.
class IoThread {
 public:
  explicit IoThread(asio::io_context& io)
      : io_(io), work_(asio::make_work_guard(io)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Runs loop rounds until `done`, for at most `guard`.
template <typename Done>
void run_loop_until(EventLoop& loop, Done done, std::chrono::seconds guard = 10s) {
  const auto give_up = Clock::now() + guard;
  while (!done() && Clock::now() < give_up) loop.run_once(100ms);
}

// An io_context, its Timers and a loop: what each test arms timers between.
class TimersTest : public ::testing::Test {
 protected:
  asio::io_context io;
  Timers timers{io};
  EventLoop loop;
};

TEST_F(TimersTest, FiresOnTheLoopThreadNotBeforeItsTime) {
  std::thread::id ran_on;
  Clock::time_point ran_at;
  int calls = 0;
  Timers::Timer timer(timers, loop, [&] {
    ran_on = std::this_thread::get_id();
    ran_at = Clock::now();
    ++calls;
  });
  IoThread io_thread(io);
  const Clock::time_point at = Clock::now() + 30ms;
  timer.arm(at);
  EXPECT_TRUE(timer.armed());
  run_loop_until(loop, [&] { return calls > 0; });
  ASSERT_EQ(calls, 1);
  EXPECT_EQ(ran_on, std::this_thread::get_id()) << "the callback ran off the loop's thread";
  EXPECT_NE(ran_on, io_thread.id());
  EXPECT_GE(ran_at, at) << "the callback ran before its time";
  EXPECT_FALSE(timer.armed());
}

TEST_F(TimersTest, CancelBeforeItFiresReleasesTheIoContext) {
  int calls = 0;
  Timers::Timer timer(timers, loop, [&] { ++calls; });
  timer.arm(Clock::now() + 1h);
  timer.cancel();
  EXPECT_FALSE(timer.armed());
  EXPECT_TRUE(run_until_idle(io)) << "a cancelled deadline still kept the io_context busy";
  loop.run_once(0ms);
  EXPECT_EQ(calls, 0);
}

TEST_F(TimersTest, CancelAfterItFiredAndWasQueuedDropsTheCall) {
  int calls = 0;
  Timers::Timer timer(timers, loop, [&] { ++calls; });
  timer.arm(Clock::now());
  ASSERT_TRUE(run_until_idle(io));  // the deadline has passed and the call is queued on the loop
  timer.cancel();
  loop.run_once(0ms);
  EXPECT_EQ(calls, 0) << "a call queued before cancel() ran";

  timer.arm(Clock::now());  // still usable: a new arm is a new generation
  ASSERT_TRUE(run_until_idle(io));
  loop.run_once(0ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(TimersTest, DestroyedAfterItFiredRunsNothing) {
  int calls = 0;
  {
    Timers::Timer timer(timers, loop, [&] { ++calls; });
    timer.arm(Clock::now());
    ASSERT_TRUE(run_until_idle(io));
  }
  loop.run_once(0ms);  // ASan: the queued call outlives its Timer and must not use it
  EXPECT_EQ(calls, 0);
}

TEST_F(TimersTest, ArmReplacesTheEarlierDeadline) {
  int calls = 0;
  Timers::Timer timer(timers, loop, [&] { ++calls; });
  timer.arm(Clock::now() + 1h);
  timer.arm(Clock::now());
  EXPECT_TRUE(run_until_idle(io)) << "the replaced deadline still kept the io_context busy";
  loop.run_once(0ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(TimersTest, RepeatsEveryPeriodUntilCancelled) {
  std::vector<Clock::time_point> ran_at;
  Timers::Timer timer(timers, loop, [&] { ran_at.push_back(Clock::now()); });
  IoThread io_thread(io);
  const Clock::time_point start = Clock::now();
  timer.arm_every(5ms);
  run_loop_until(loop, [&] { return ran_at.size() >= 3; });
  ASSERT_EQ(ran_at.size(), 3u);
  for (std::size_t i = 0; i < ran_at.size(); ++i) {
    EXPECT_GE(ran_at[i], start + (i + 1) * 5ms) << "tick " << i << " came early";
  }
  EXPECT_TRUE(timer.armed());
  timer.cancel();
  EXPECT_FALSE(timer.armed());
  std::this_thread::sleep_for(20ms);  // a tick that passes now is dropped on the loop
  loop.run_once(0ms);
  EXPECT_EQ(ran_at.size(), 3u);
}

TEST_F(TimersTest, StopCancelsPendingDeadlinesAndIgnoresLaterOnes) {
  int calls = 0;
  Timers::Timer timer(timers, loop, [&] { ++calls; });
  Timers::Timer repeating(timers, loop, [&] { ++calls; });
  timer.arm(Clock::now() + 1h);
  repeating.arm_every(1h);
  timers.stop();
  EXPECT_TRUE(run_until_idle(io)) << "pending deadlines kept the io_context running after stop()";
  timer.arm(Clock::now());
  EXPECT_TRUE(run_until_idle(io));
  loop.run_once(0ms);
  EXPECT_EQ(calls, 0);
}

// The loop's thread arms and cancels while the io thread fires: no call comes after a cancel
// (and ThreadSanitizer sees the two threads meet only through the seam).
TEST_F(TimersTest, ArmAndCancelRaceWithTheIoThread) {
  bool cancelled = false;
  int late = 0;
  int calls = 0;
  Timers::Timer timer(timers, loop, [&] {
    ++calls;
    if (cancelled) ++late;
  });
  IoThread io_thread(io);
  for (int i = 0; i < 1000; ++i) {
    cancelled = false;
    timer.arm(Clock::now());
    if (i % 2 == 0) loop.run_once(0ms);  // its call may have come, or not yet
    timer.cancel();
    cancelled = true;
    loop.run_once(0ms);
  }
  std::this_thread::sleep_for(20ms);
  loop.run_once(0ms);
  EXPECT_EQ(late, 0) << "a call came after cancel()";
  calls = 0;
  cancelled = false;
  timer.arm(Clock::now());
  run_loop_until(loop, [&] { return calls > 0; });
  EXPECT_EQ(calls, 1);
}

// A loop destroyed after its Timer, while the io_context runs on: the io side no longer names
// it (ASan, TSan).
TEST(TimersLifetimeTest, ALoopMayGoBeforeTheIoContextStops) {
  asio::io_context io;
  Timers timers(io);
  IoThread io_thread(io);
  for (int i = 0; i < 200; ++i) {
    EventLoop loop;
    std::atomic<int> calls{0};
    Timers::Timer timer(timers, loop, [&] { ++calls; });
    timer.arm(Clock::now());
    if (i % 2 == 0) std::this_thread::sleep_for(100us);  // sometimes fired, sometimes not yet
  }
}

}  // namespace
}  // namespace nestcache
