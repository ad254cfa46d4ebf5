#include "event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace nestcache {
namespace {

constexpr int kMaxEvents = 256;

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

EventLoop::EventLoop() : events_(kMaxEvents) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    fail("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the wake descriptor is the one without a handler
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    ::close(wake_fd_);
    ::close(epoll_fd_);
    fail("epoll_ctl");
  }
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool EventLoop::watch(int fd, uint32_t events, Handler& handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &handler;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::change(int fd, uint32_t events, Handler& handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &handler;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::forget(int fd) {
  epoll_event ev{};  // ignored, but kernels before 2.6.9 wanted one
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
}

void EventLoop::soon(Handler& handler) { soon_.push_back(&handler); }

void EventLoop::cancel(Handler& handler) { std::erase(soon_, &handler); }

void EventLoop::post(std::function<void()> task) {
  bool was_empty;
  {
    std::lock_guard lock(tasks_mu_);
    was_empty = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  if (was_empty) {
    const uint64_t one = 1;
    // A full counter (2^64 - 2 posts unread) cannot happen; a failed write would only mean the
    // loop is already awake.
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
}

void EventLoop::run_tasks() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
  {
    std::lock_guard lock(tasks_mu_);
    running_tasks_.swap(tasks_);
  }
  for (auto& task : running_tasks_) task();
  running_tasks_.clear();
}

void EventLoop::run_once(std::chrono::milliseconds timeout) {
  const int wait_ms = !soon_.empty() ? 0 : timeout.count() < 0 ? -1 : int(timeout.count());
  int ready = ::epoll_wait(epoll_fd_, events_.data(), int(events_.size()), wait_ms);
  if (ready < 0) {
    if (errno != EINTR) fail("epoll_wait");
    ready = 0;
  }
  now_ = Clock::now();
  for (int i = 0; i < ready; ++i) {
    if (events_[i].data.ptr == nullptr) {
      run_tasks();
    } else {
      static_cast<Handler*>(events_[i].data.ptr)->on_ready(events_[i].events);
    }
  }
  running_.swap(soon_);
  for (Handler* handler : running_) handler->on_ready(0);
  running_.clear();
}

}  // namespace nestcache
