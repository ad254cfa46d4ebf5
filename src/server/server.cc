#include "nestcache/server/server.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "nestcache/watch/watch_hub.h"
#include "timers.h"
#include "worker.h"

namespace nestcache {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::chrono::milliseconds kAcceptPause{100};

// The io thread (the one in run()) runs the acceptor, the signals, the accept pause and every
// deadline of timers_ (timers.h); the workers run the connections on their own epoll loops. Asio's
// error codes stay on the io thread: every call here takes the error_code overload or cannot
// fail, and no handler throws.
class Server::Impl {
 public:
  Impl(const Options& options, Engine& engine, StatsRegistry& stats, Durability* durability)
      : options_(options),
        engine_(engine),
        stats_(stats),
        accept_counters_(stats.make_counters()),
        timers_(io_),
        acceptor_(io_),
        accept_pause_(io_),
        signals_(io_, SIGINT, SIGTERM),
        watch_tick_(io_),
        durability_(durability) {
    for (std::size_t i = 0; i < options.threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(engine_, stats.make_counters(), stats_, timers_,
                                                  std::chrono::seconds(options.idle_timeout),
                                                  durability));
    }
    const tcp::endpoint endpoint(asio::ip::make_address(options.listen), options.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(1024);
  }

  // The calling thread accepts and handles signals; each worker serves its connections.
  void run() {
    for (auto& worker : workers_) worker->start();
    if (durability_ != nullptr) {
      // A snapshot reads the tree through the workers, a short step at a time (durability.h).
      durability_->set_step_runner([this](std::function<void()> step) {
        const std::size_t at = next_step_worker_.fetch_add(1, std::memory_order_relaxed);
        workers_[at % workers_.size()]->post(std::move(step));
      });
    }
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) stop();
    });
    accept();
    if (engine_.options().watches != nullptr) tick_watches();
    io_.run();  // until stop(): then the acceptor, signals and timers have no more work
    for (auto& worker : workers_) worker->join();
  }

  void stop() {
    asio::post(io_, [this] {
      if (stopping_) return;
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      accept_pause_.cancel();
      watch_tick_.cancel();
      signals_.cancel(ignored);
      timers_.stop();
      // While the workers still run a step posted to them (it is waited for).
      if (durability_ != nullptr) durability_->set_step_runner(nullptr);
      for (auto& worker : workers_) worker->stop();  // after the last adopt(): tasks keep order
    });
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) return;
        if (out_of_resources(ec)) {
          pause_accepting();
        } else {
          accept();
        }
        return;
      }
      if (stats_.curr_connections.load(std::memory_order_relaxed) >= options_.max_connections) {
        reject(std::move(socket));
      } else {
        hand_over(std::move(socket));
      }
      accept();
    });
  }

  // Out of descriptors (or kernel memory), accept fails at once for as long as the shortage
  // lasts: retrying at once would spin a core. memcached stops accepting until a connection
  // closes; we retry after a pause (test_hostile_input.py, test_out_of_descriptors_does_not_spin).
  static bool out_of_resources(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors ||
           ec == boost::system::errc::too_many_files_open_in_system ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
  }

  void pause_accepting() {
    accept_pause_.expires_after(kAcceptPause);
    accept_pause_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopping_) accept();
    });
  }

  // Once a second: PROGRESS for the watches that have been quiet (WatchHub::tick).
  void tick_watches() {
    watch_tick_.expires_after(std::chrono::seconds(1));
    watch_tick_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopping_) return;
      engine_.options().watches->tick();
      tick_watches();
    });
  }

  // Round robin over the workers, as memcached's dispatcher does.
  void hand_over(tcp::socket socket) {
    boost::system::error_code ec;
    std::string peer;
    if (engine_.verbosity() >= 1) {
      std::ostringstream text;
      text << socket.remote_endpoint(ec);
      peer = text.str();
    }
    socket.non_blocking(true, ec);
    const int fd = socket.release(ec);
    if (ec) return;  // the socket closes with `socket`
    workers_[next_worker_++ % workers_.size()]->adopt(fd, std::move(peer));
  }

  // memcached answers the connection over -c with this line and hangs up.
  void reject(tcp::socket socket) {
    Counters::add(accept_counters_.rejected_connections);
    auto held = std::make_shared<tcp::socket>(std::move(socket));
    static constexpr std::string_view kTooMany = "ERROR Too many open connections\r\n";
    asio::async_write(*held, asio::buffer(kTooMany.data(), kTooMany.size()),
                      [held](boost::system::error_code, std::size_t) {
                        boost::system::error_code ignored;
                        held->shutdown(tcp::socket::shutdown_both, ignored);
                        held->close(ignored);
                      });
  }

  const Options& options_;
  Engine& engine_;
  StatsRegistry& stats_;
  Counters& accept_counters_;  // written by the accepting thread only
  // Declared in the order they depend on each other, so destroyed workers first, io_ last.
  asio::io_context io_{1};
  Timers timers_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_pause_;
  asio::signal_set signals_;
  asio::steady_timer watch_tick_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t next_worker_ = 0;
  bool stopping_ = false;  // touched only on the accepting thread
  Durability* durability_;
  std::atomic<std::size_t> next_step_worker_{0};  // the snapshot thread's round robin
};

Server::Server(const Options& options, Engine& engine, StatsRegistry& stats, Durability* durability)
    : impl_(std::make_unique<Impl>(options, engine, stats, durability)) {}

Server::~Server() = default;

void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
uint16_t Server::port() const { return impl_->port(); }

}  // namespace nestcache
