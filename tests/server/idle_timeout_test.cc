// The idle timeout: the list of a worker's connections in order of last activity, which of them
// expire() closes at a given time (driven with chosen times, so nothing depends on how fast the
// machine is), and the timer that calls it; then a whole server stopped with idle timers armed.
#include "server/idle_timeout.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "loop_clients.h"
#include "nestcache/server/server.h"

namespace nestcache {
namespace {

using namespace std::chrono_literals;
using Clock = IdleList::Clock;
namespace asio = boost::asio;

TEST(IdleListTest, ActivityMovesALinkToTheBack) {
  IdleList list;
  EXPECT_EQ(list.front(), nullptr);
  const Clock::time_point t0 = Clock::now();
  IdleList::Link a(nullptr, t0), b(nullptr, t0), c(nullptr, t0);
  list.push_back(a, t0);
  list.push_back(b, t0 + 1s);
  list.push_back(c, t0 + 2s);
  EXPECT_EQ(list.front(), &a);
  a.touch(t0 + 3s);  // a, b, c -> b, c, a
  EXPECT_EQ(a.last_active(), t0 + 3s);
  EXPECT_EQ(list.front(), &b);
  c.touch(t0 + 4s);  // -> b, a, c
  b.leave();         // -> a, c
  EXPECT_FALSE(b.linked());
  EXPECT_EQ(list.front(), &a);
  {
    IdleList::Link d(nullptr, t0);
    list.push_back(d, t0 + 5s);  // a, c, d
    a.leave();
    c.leave();
    EXPECT_EQ(list.front(), &d);
  }  // a destroyed link leaves its list
  EXPECT_TRUE(list.empty());
  b.touch(t0 + 6s);  // outside a list: only the time
  EXPECT_EQ(b.last_active(), t0 + 6s);
  EXPECT_TRUE(list.empty());
}

TEST(IdleListTest, TheListLetsGoOfItsLinksWhenDestroyed) {
  IdleList::Link a(nullptr, Clock::now());
  {
    IdleList list;
    list.push_back(a, Clock::now());
  }
  EXPECT_FALSE(a.linked());
  a.touch(Clock::now());  // ASan: would write into the destroyed list
}

// One loop with its connections, an idle timeout on it and an io_context for its timer (run
// only by the tests that want the timer to fire).
struct Watched {
  explicit Watched(Clock::duration limit) : idle(timers, served.loop, counters(), limit) {}
  Counters& counters() { return served.harness.counters(); }
  uint64_t kicks() { return counters().idle_kicks.load(); }
  // A loop round that takes a later now() than the last one.
  void next_round() {
    const Clock::time_point before = served.loop.now();
    while (Clock::now() == before) std::this_thread::yield();
    served.loop.run_once(0ms);
  }

  asio::io_context io;
  Timers timers{io};
  Served served;
  IdleTimeout idle;
};

// A client that does not read: a 900 kB reply fills the socket pair and its connection waits
// to send the rest.
void make_sending(Client& client, Served& served) {
  client.send("set big 0 0 900000\r\n" + std::string(900000, 'v') + "\r\n", served);
  run_until(served, [&] { return client.receive().find("STORED\r\n") != std::string::npos; });
  client.send("get big\r\n", served);
  run_until(
      served, [&] { return !client.connection().idle_since(Clock::time_point::max()); }, 10);
}

TEST(IdleTimeoutTest, ClosesWhatWaitedForARequestTooLongAndCountsIt) {
  Watched w(10s);
  Client idle(w.served), sending(w.served), active(w.served);
  w.next_round();
  w.idle.watch(idle.connection());
  w.idle.watch(sending.connection());
  w.idle.watch(active.connection());
  EXPECT_TRUE(w.idle.timer_armed());
  EXPECT_EQ(w.idle.watched().front(), &idle.connection().idle_link());

  w.next_round();
  make_sending(sending, w.served);
  ASSERT_FALSE(sending.connection().idle_since(Clock::time_point::max())) << "not sending";
  w.next_round();
  active.send("version\r\n", w.served);
  run_until(w.served, [&] { return active.ends_with("\r\n"); });
  // Activity moved them to the back, in the order it came: idle, sending, active.
  const Clock::time_point active_at = active.connection().idle_link().last_active();
  EXPECT_LT(sending.connection().idle_link().last_active(), active_at);
  EXPECT_EQ(w.idle.watched().front(), &idle.connection().idle_link());

  // Just before the active one's time runs out: the idle one goes; the sending one is busy,
  // so it counts as active now.
  const Clock::time_point now = active_at + 10s - 1ns;
  w.idle.expire(now);
  EXPECT_TRUE(idle.closed());
  EXPECT_FALSE(sending.closed());
  EXPECT_FALSE(active.closed());
  EXPECT_EQ(w.kicks(), 1u);
  EXPECT_EQ(w.idle.watched().front(), &active.connection().idle_link());
  EXPECT_EQ(sending.connection().idle_link().last_active(), now);
  EXPECT_TRUE(w.idle.timer_armed()) << "not armed for the next one";

  // Once its replies are taken the sending one waits for a request, like the active one.
  run_until(w.served, [&] { return sending.ends_with("END\r\n"); });
  ASSERT_TRUE(sending.ends_with("END\r\n"));
  w.idle.expire(Clock::now() + 1h);
  EXPECT_TRUE(sending.closed());
  EXPECT_TRUE(active.closed());
  EXPECT_EQ(w.kicks(), 3u);
  EXPECT_TRUE(w.idle.watched().empty());
}

TEST(IdleTimeoutTest, APartialRequestIsNoActivity) {
  Watched w(10s);
  Client partial(w.served);
  w.next_round();
  w.idle.watch(partial.connection());
  const Clock::time_point watched_at = partial.connection().idle_link().last_active();
  w.next_round();
  partial.send("get some", w.served);  // a line that never ends
  w.next_round();
  EXPECT_EQ(partial.connection().idle_link().last_active(), watched_at);
  w.idle.expire(watched_at + 10s);
  EXPECT_TRUE(partial.closed());
  EXPECT_EQ(w.kicks(), 1u);
}

// memcached kicks only a connection waiting for a command: one in the middle of a value's data
// block is uploading, however slowly (tests/compat/sessions/idle-timeout-mid-value.txt).
TEST(IdleTimeoutTest, AValueHalfReceivedIsNotIdle) {
  Watched w(10s);
  Client uploading(w.served);
  w.next_round();
  w.idle.watch(uploading.connection());
  w.next_round();
  uploading.send("set k 0 0 10\r\nabcde", w.served);  // the line whole, half the block
  w.next_round();
  w.idle.expire(uploading.connection().idle_link().last_active() + 1h);
  EXPECT_FALSE(uploading.closed());
  EXPECT_EQ(w.kicks(), 0u);
  uploading.send("fghij\r\n", w.served);
  run_until(w.served, [&] { return uploading.ends_with("STORED\r\n"); });
  EXPECT_TRUE(uploading.ends_with("STORED\r\n"));
}

TEST(IdleTimeoutTest, AForgottenConnectionIsNotKicked) {
  Watched w(10s);
  Client client(w.served);
  w.idle.watch(client.connection());
  w.idle.forget(client.connection());
  w.idle.expire(Clock::now() + 1h);
  EXPECT_FALSE(client.closed());
  EXPECT_EQ(w.kicks(), 0u);
}

// The real timer, on an io_context of its own thread: an idle connection is closed once its
// time has run out, not before; a busy one stays.
TEST(IdleTimeoutTest, TheTimerClosesAnIdleConnectionOnTime) {
  Watched w(50ms);
  Client idle(w.served), sending(w.served);
  make_sending(sending, w.served);
  w.next_round();
  w.idle.watch(idle.connection());
  w.idle.watch(sending.connection());
  const Clock::time_point watched_at = w.served.loop.now();
  auto work = asio::make_work_guard(w.io);
  std::thread io_thread([&] { w.io.run(); });
  const Clock::time_point give_up = Clock::now() + 10s;
  while (!idle.closed() && Clock::now() < give_up) w.served.loop.run_once(100ms);
  const Clock::time_point closed_at = Clock::now();
  work.reset();
  w.io.stop();
  io_thread.join();
  ASSERT_TRUE(idle.closed()) << "the timer never closed the idle connection";
  EXPECT_GE(closed_at - watched_at, 50ms) << "closed before its time";
  EXPECT_FALSE(sending.closed());
  EXPECT_EQ(w.kicks(), 1u);
}

// A server whose workers have idle timers armed far ahead stops at once, and its workers go
// with no timer call left to reach them (ASan, TSan).
TEST(IdleTimeoutTest, AServerStopsWithIdleTimersArmed) {
  Options options = daemon_defaults();
  options.port = 0;
  options.threads = 2;
  options.idle_timeout = 600;
  Harness harness(options);
  Server server(options, harness.engine(), harness.registry());
  std::future<void> ran = std::async(std::launch::async, [&server] { server.run(); });
  struct StopOnExit {  // an assertion that returns early must not leave run() waiting
    Server& server;
    ~StopOnExit() { server.stop(); }
  } stop_on_exit{server};
  std::vector<int> clients;
  for (int i = 0; i < 2; ++i) {  // one connection per worker, left open
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
    const timeval guard{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::send(fd, "version\r\n", 9, MSG_NOSIGNAL), 9);
    char reply[64];
    EXPECT_GT(::recv(fd, reply, sizeof reply, 0), 0) << "no reply";
  }
  server.stop();
  EXPECT_EQ(ran.wait_for(60s), std::future_status::ready)
      << "an armed idle timer kept the server running after stop()";
  for (int fd : clients) ::close(fd);
}

}  // namespace
}  // namespace nestcache
