#include "nestcache/server/server.h"

#include <chrono>
#include <csignal>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "connection.h"
#include "io_context_pool.h"

namespace nestcache {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::chrono::milliseconds kAcceptPause{100};

class Server::Impl {
 public:
  Impl(const Options& options, Engine& engine, StatsRegistry& stats)
      : options_(options),
        engine_(engine),
        stats_(stats),
        pool_(options.threads),
        acceptor_(pool_.at(0)),
        accept_pause_(pool_.at(0)),
        signals_(pool_.at(0), SIGINT, SIGTERM) {
    parse_ = parser_options(options);
    for (std::size_t i = 0; i < pool_.size(); ++i) counters_.push_back(&stats_.make_counters());

    const tcp::endpoint endpoint(asio::ip::make_address(options.listen), options.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(1024);
  }

  void run() {
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) stop();
    });
    accept();
    pool_.run();
  }

  void stop() {
    asio::post(pool_.at(0), [this] {
      if (stopping_) return;
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      accept_pause_.cancel();
      signals_.cancel(ignored);
      // Owners are taken out under the lock and used after it: the last owner of a connection
      // may be one of these, and ~Connection takes mu_ to unregister itself.
      std::vector<std::pair<std::shared_ptr<Connection>, asio::io_context*>> open;
      {
        std::lock_guard lock(mu_);
        for (auto& [raw, live] : live_) {
          if (auto connection = live.connection.lock()) open.emplace_back(connection, live.context);
        }
      }
      for (auto& [connection, context] : open) {
        asio::post(*context, [connection] { connection->close(); });
      }
      open.clear();
      pool_.release();  // each thread ends once its connections are gone
    });
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  // A connection and the thread it lives on, so stop() can close it there.
  struct Live {
    std::weak_ptr<Connection> connection;
    asio::io_context* context;
  };

  void accept() {
    const std::size_t worker = pool_.next();
    acceptor_.async_accept(
        pool_.at(worker), [this, worker](boost::system::error_code ec, tcp::socket socket) {
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
            reject(std::move(socket), worker);
          } else {
            open(std::move(socket), worker);
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

  void open(tcp::socket socket, std::size_t worker) {
    auto connection = std::make_shared<Connection>(
        std::move(socket), engine_, parse_, *counters_[worker], stats_, [this](Connection* gone) {
          std::lock_guard lock(mu_);
          live_.erase(gone);
        });
    {
      std::lock_guard lock(mu_);
      live_.emplace(connection.get(), Live{connection, &pool_.at(worker)});
    }
    asio::post(pool_.at(worker), [connection] { connection->start(); });
  }

  // memcached answers the connection over -c with this line and hangs up.
  void reject(tcp::socket socket, std::size_t worker) {
    Counters::add(counters_[worker]->rejected_connections);
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
  ParseOptions parse_;
  // Declared before the pool: a connection released while the pool is destroyed still reaches
  // parse_, mu_ and live_.
  std::mutex mu_;
  std::unordered_map<Connection*, Live> live_;
  IoContextPool pool_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_pause_;  // on acceptor_'s thread, like stopping_
  asio::signal_set signals_;
  std::vector<Counters*> counters_;
  bool stopping_ = false;  // touched only on pool_.at(0)'s thread
};

Server::Server(const Options& options, Engine& engine, StatsRegistry& stats)
    : impl_(std::make_unique<Impl>(options, engine, stats)) {}

Server::~Server() = default;

void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
uint16_t Server::port() const { return impl_->port(); }

}  // namespace nestcache
