#include "server/event_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace nestcache {
namespace {

using namespace std::chrono_literals;

// A connected pair of stream sockets, closed on the way out.
struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0); }
  ~SocketPair() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
};

// Records every call; can ask to run again soon().
struct Recorder : EventLoop::Handler {
  explicit Recorder(EventLoop& l) : loop(l) {}
  void on_ready(uint32_t events) override {
    calls.push_back(events);
    if (again > 0) {
      --again;
      loop.soon(*this);
    }
  }
  EventLoop& loop;
  std::vector<uint32_t> calls;
  int again = 0;
};

TEST(EventLoopTest, ReportsReadableDescriptorsUntilDrained) {
  EventLoop loop;
  SocketPair pair;
  Recorder handler(loop);
  ASSERT_TRUE(loop.watch(pair.fd[0], EPOLLIN, handler));

  loop.run_once(0ms);
  EXPECT_TRUE(handler.calls.empty()) << "nothing was sent yet";

  ASSERT_EQ(::write(pair.fd[1], "x", 1), 1);
  loop.run_once(1000ms);
  ASSERT_EQ(handler.calls.size(), 1u);
  EXPECT_TRUE(handler.calls[0] & EPOLLIN);

  // Level-triggered: unread bytes are reported again, read ones are not.
  loop.run_once(0ms);
  EXPECT_EQ(handler.calls.size(), 2u);
  char byte;
  ASSERT_EQ(::read(pair.fd[0], &byte, 1), 1);
  loop.run_once(0ms);
  EXPECT_EQ(handler.calls.size(), 2u);
}

TEST(EventLoopTest, ChangeSwitchesToWritabilityAndForgetStopsEvents) {
  EventLoop loop;
  SocketPair pair;
  Recorder handler(loop);
  ASSERT_TRUE(loop.watch(pair.fd[0], EPOLLIN, handler));
  ASSERT_TRUE(loop.change(pair.fd[0], EPOLLOUT, handler));
  loop.run_once(1000ms);
  ASSERT_EQ(handler.calls.size(), 1u);
  EXPECT_TRUE(handler.calls[0] & EPOLLOUT);

  loop.forget(pair.fd[0]);
  ASSERT_EQ(::write(pair.fd[1], "x", 1), 1);
  loop.run_once(0ms);
  EXPECT_EQ(handler.calls.size(), 1u);
}

TEST(EventLoopTest, RefusedDescriptorsAreReportedNotThrown) {
  EventLoop loop;
  Recorder handler(loop);
  EXPECT_FALSE(loop.watch(-1, EPOLLIN, handler));
  SocketPair pair;
  EXPECT_FALSE(loop.change(pair.fd[0], EPOLLOUT, handler)) << "never watched";
}

TEST(EventLoopTest, SoonRunsAtTheEndOfTheRoundWithoutWaiting) {
  EventLoop loop;
  Recorder handler(loop);
  handler.again = 2;
  loop.soon(handler);
  const auto start = std::chrono::steady_clock::now();
  loop.run_once(-1ms);  // would wait forever if the soon() handler did not count as work
  EXPECT_EQ(handler.calls, std::vector<uint32_t>{0});
  // Asked again from its soon() turn: runs in the next round, not in this one.
  loop.run_once(-1ms);
  loop.run_once(-1ms);
  EXPECT_EQ(handler.calls, (std::vector<uint32_t>{0, 0, 0}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(EventLoopTest, CancelDropsTheTurnsAskedForWithSoon) {
  EventLoop loop;
  Recorder kept(loop);
  {
    Recorder gone(loop);
    gone.again = 5;
    loop.soon(gone);
    loop.soon(kept);
    loop.run_once(0ms);  // gone asks for another turn in the next round
    EXPECT_EQ(gone.calls.size(), 1u);
    loop.cancel(gone);  // as a handler does before it is destroyed
  }
  loop.soon(kept);
  loop.run_once(0ms);  // ASan: would call the destroyed handler without cancel()
  EXPECT_EQ(kept.calls.size(), 2u);
}

TEST(EventLoopTest, PostedTasksRunOnTheLoopThreadInOrder) {
  EventLoop loop;
  std::vector<int> ran;  // touched by the loop thread only
  std::atomic<bool> done{false};
  std::thread poster([&] {
    for (int i = 0; i < 1000; ++i) loop.post([&ran, i] { ran.push_back(i); });
    loop.post([&done] { done = true; });
  });
  while (!done) loop.run_once(1000ms);
  poster.join();
  ASSERT_EQ(ran.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(ran[i], i);
}

TEST(EventLoopTest, AWaitingLoopWakesForAPost) {
  EventLoop loop;
  std::atomic<bool> ran{false};
  std::thread poster([&] {
    std::this_thread::sleep_for(50ms);
    loop.post([&ran] { ran = true; });
  });
  loop.run_once(-1ms);  // returns only because the post woke it
  poster.join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace nestcache
