#include "nestcache/client/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nestcache/client/error.h"

namespace nestcache::client {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string where(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

// A non-blocking connect to one address, finished within `timeout`; -1 (errno set) on failure.
int connect_one(const addrinfo& ai, std::chrono::milliseconds timeout) {
  const int fd =
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0) return fd;
  if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t len = sizeof(err);
    if (ready == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      return fd;
    }
    errno = ready == 0 ? ETIMEDOUT : (err != 0 ? err : errno);
  }
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return -1;
}

}  // namespace

Connection::Connection(const std::string& host, uint16_t port, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) {
    throw Error(ErrorKind::connect, "cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  int err = 0;
  for (const addrinfo* ai = list; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
    fd_ = connect_one(*ai, timeout);
    if (fd_ < 0) err = errno;
  }
  ::freeaddrinfo(list);
  if (fd_ < 0) {
    throw Error(err == ETIMEDOUT ? ErrorKind::timeout : ErrorKind::connect,
                "cannot connect to " + where(host, port) + ": " + std::strerror(err));
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Connection::Connection(Connection&& other) noexcept
    : fd_(other.fd_), timeout_(other.timeout_), in_(std::move(other.in_)), start_(other.start_) {
  other.fd_ = -1;
}

bool Connection::wait_for(short events, std::chrono::milliseconds wait) {
  pollfd p{fd_, events, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) throw Error(ErrorKind::closed, std::string("poll: ") + strerror(errno));
  }
}

void Connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(POLLOUT, timeout_)) {
        throw Error(ErrorKind::timeout, "timed out sending to the server");
      }
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      throw Error(ErrorKind::closed,
                  std::string("the server closed the connection (") + std::strerror(errno) + ")");
    }
  }
}

bool Connection::fill_for(std::chrono::milliseconds wait) {
  if (start_ > 0 && start_ * 2 >= in_.size()) {  // keep the buffer from creeping forward
    in_.erase(0, start_);
    start_ = 0;
  }
  for (;;) {
    const std::size_t old = in_.size();
    in_.resize(old + kReadChunk);
    const ssize_t n = ::recv(fd_, in_.data() + old, kReadChunk, 0);
    in_.resize(old + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n > 0) return true;
    if (n == 0) throw Error(ErrorKind::closed, "the server closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw Error(ErrorKind::closed, std::string("connection lost: ") + std::strerror(errno));
    }
    if (!wait_for(POLLIN, wait)) return false;
  }
}

void Connection::fill() {
  if (!fill_for(timeout_)) throw Error(ErrorKind::timeout, "timed out waiting for the server");
}

void Connection::set_keepalive(std::chrono::seconds idle) {
  const int on = 1;
  const int idle_s = static_cast<int>(std::max<int64_t>(1, idle.count()));
  const int interval = std::max(1, idle_s / 3);
  const int probes = 3;
  ::setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s));
  ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  ::setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes));
}

void Connection::consume(std::size_t bytes) {
  start_ += bytes;
  if (start_ == in_.size()) {
    in_.clear();
    start_ = 0;
  }
}

}  // namespace nestcache::client
