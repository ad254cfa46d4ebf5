// A real nestcached on an ephemeral port for the client's tests: started in the constructor,
// stopped (SIGTERM, then waited for) in the destructor. The binary is NESTCACHED_BINARY.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nestcache/client/connection.h"
#include "nestcache/client/error.h"

extern char** environ;

namespace nestcache::testing {

class Daemon {
 public:
  explicit Daemon(std::vector<std::string> args = {}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      std::vector<std::string> argv = {NESTCACHED_BINARY,     "-l", "127.0.0.1", "-p",
                                       std::to_string(port_), "-t", "2"};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> raw;
      for (std::string& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      if (posix_spawn(&pid_, raw[0], nullptr, nullptr, raw.data(), environ) != 0) {
        throw std::runtime_error("cannot start nestcached");
      }
      if (wait_ready()) return;
      stop();
    }
    throw std::runtime_error("nestcached did not start");
  }
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  uint16_t port() const { return port_; }
  client::Connection connect() const {
    return client::Connection("127.0.0.1", port_, std::chrono::seconds(10));
  }
  // Stops the daemon now (SIGTERM, then waits); the destructor does nothing more.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  static uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }
  bool wait_ready() {
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      try {
        connect();
        return true;
      } catch (const client::Error&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
    return false;
  }

  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace nestcache::testing
