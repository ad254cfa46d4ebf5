// One worker thread's epoll set: readiness callbacks, tasks posted from other threads, and
// handlers that asked to run again before the next wait.
//
// Why not Asio here (the acceptor, signals and timers are Asio's): Boost 1.74's reactor tries
// every read at once before it waits (a recv that fails with EAGAIN on every request of a
// client that does not pipeline), or re-arms the descriptor with epoll_ctl when asked only to
// wait. Either costs one syscall more per request than memcached's libevent loop, the biggest
// line of the profile on this machine (bench/README.md, "Connections on epoll"). This loop is
// level-triggered, as memcached's is: one recv when the kernel says there are bytes, one send
// per batch of replies, and epoll_ctl only when a client stops reading its replies. Timers are
// kept by Asio and reach this loop as posted tasks (timers.h).
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace nestcache {

class EventLoop {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // `events` holds the ready EPOLL* bits, or is 0 when the handler is run because it called
    // soon().
    virtual void on_ready(uint32_t events) = 0;
  };

  using Clock = std::chrono::steady_clock;

  // Throws std::system_error when the kernel refuses an epoll set or an eventfd.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Loop thread only. `events` are EPOLLIN / EPOLLOUT (level-triggered). A handler must stay
  // alive until the round in which it is forgotten has ended: events of that round may still
  // name it. watch() and change() return false (errno set) when the kernel refuses, which it
  // does only when short of memory: the caller closes that descriptor.
  [[nodiscard]] bool watch(int fd, uint32_t events, Handler& handler);
  [[nodiscard]] bool change(int fd, uint32_t events, Handler& handler);
  void forget(int fd);
  // Runs handler.on_ready(0) at the end of this round (or of the next one, when called from a
  // handler run that way), without waiting for the kernel: how a handler with more work yields
  // to the others.
  void soon(Handler& handler);
  // Drops the turns `handler` asked for with soon() that have not begun: a handler calls this
  // before it is destroyed.
  void cancel(Handler& handler);

  // Any thread. Tasks run on the loop thread, in the order they were posted.
  void post(std::function<void()> task);

  // One round: waits up to `timeout` (forever when negative; not at all when some handler asked
  // to run soon()), dispatches the ready descriptors and posted tasks, then the soon() handlers.
  void run_once(std::chrono::milliseconds timeout);

  // When the last wait returned; a cheap clock for idle checks.
  Clock::time_point now() const { return now_; }

 private:
  void run_tasks();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: a post() to an empty queue writes it
  std::vector<epoll_event> events_;
  std::vector<Handler*> soon_;
  std::vector<Handler*> running_;  // the soon() handlers of the round being run
  Clock::time_point now_ = Clock::now();

  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;
  std::vector<std::function<void()>> running_tasks_;
};

}  // namespace nestcache
