// One load connection: keeps `pipeline` requests in flight, refills the window with as many new
// requests as replies arrived (one write per read), and records each reply's latency from the
// moment its request was handed to the socket to the moment its last byte was parsed.
//
// With --rate the connection sends on a schedule instead (rate / connections requests per
// second, at a random phase): a request goes out when it is due and the window has room, and its
// latency counts from when it was due, so the time a slow server kept it waiting is counted
// (no coordinated omission).
//
// Lifetime: owned by its thread's LoadThread and used only on that thread's io_context; the
// owner destroys it after the io_context has stopped running, so no handler outlives it.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "keyspace.h"
#include "options.h"
#include "random.h"
#include "reply_reader.h"
#include "run_stats.h"

namespace nestcache::bench {

class Client {
 public:
  Client(boost::asio::io_context& io, const BenchOptions& options, const KeySpace& keys,
         const Window& window, RunStats& stats, uint64_t seed);

  void start(const boost::asio::ip::tcp::endpoint& server);

 private:
  struct InFlight {
    bool is_set = false;
    BenchClock::time_point sent{};
  };

  // Composes `count` requests after the ones not yet written, and writes if the socket is idle.
  // `due`: when the request was due (--rate), or {} for "when it is written".
  void issue(std::size_t count, BenchClock::time_point due = {});
  // --rate: issues what is due and fits the window, then waits for the next due time.
  void pace();
  void write();
  void read();
  void on_read(std::size_t bytes);
  void record(const Reply& reply, const InFlight& request, BenchClock::time_point now);
  void fail();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer pacer_;    // --rate only
  BenchClock::duration interval_{};    // --rate: time between two requests of this connection
  BenchClock::time_point next_due_{};  // --rate: when the next request is due
  bool pacer_armed_ = false;
  const BenchOptions& options_;
  const KeySpace& keys_;
  const Window& window_;
  RunStats& stats_;
  Random random_;

  std::string pending_;  // composed, not yet handed to the socket
  std::string writing_;  // the write in flight
  bool write_in_flight_ = false;
  std::deque<InFlight> in_flight_;  // oldest first; the last `unsent_` are still in pending_
  std::size_t unsent_ = 0;

  std::vector<char> in_;
  std::size_t begin_ = 0;  // first byte of the reply being parsed
  std::size_t end_ = 0;    // one past the last byte received
  ReplyReader reader_;
  bool failed_ = false;
};

}  // namespace nestcache::bench
