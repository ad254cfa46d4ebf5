// One blocking TCP connection to a server, with a timeout on every wait. Owns the bytes read
// and not yet consumed; the reply reader looks at them in place.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace nestcache::client {

class Connection {
 public:
  // Connects to host:port (a name or an address) within `timeout`; client::Error (connect or
  // timeout) when it cannot.
  Connection(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;

  // Sends all of `bytes`; client::Error (timeout, closed) when it cannot.
  void send(std::string_view bytes);
  // Reads what the server has sent (at least one byte, waiting up to the timeout) and appends it
  // to buffered(); client::Error closed at end of stream, timeout when nothing came.
  void fill();
  // The same, but waits at most `wait` and returns false when nothing came by then.
  bool fill_for(std::chrono::milliseconds wait);
  std::string_view buffered() const { return std::string_view(in_).substr(start_); }
  // Drops the first `bytes` of buffered().
  void consume(std::size_t bytes);

  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // TCP keepalive: after `idle` without traffic, probes every `idle`/3; three unanswered end
  // the connection (fill_for then throws closed). For long silent streams (watchtree), where a
  // vanished server would otherwise go unnoticed.
  void set_keepalive(std::chrono::seconds idle);
  std::chrono::milliseconds timeout() const { return timeout_; }
  int fd() const { return fd_; }

 private:
  // Waits until the socket is ready for `events` (POLLIN/POLLOUT) or `wait` passes.
  bool wait_for(short events, std::chrono::milliseconds wait);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string in_;
  std::size_t start_ = 0;
};

}  // namespace nestcache::client
