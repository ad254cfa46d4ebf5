// One client: read -> parse every complete request -> execute -> one write for the batch.
//
// Lifetime: kept alive by shared_from_this() in each pending handler; it dies when the socket
// is closed and the last handler has run. All handlers run on the connection's own io_context
// thread. While a write is in flight nothing more is read, and a long reply (a large multi-get,
// a gettree) is taken from the engine a step at a time between writes, which bounds the memory a
// client that never reads can make us hold (see kMaxBatchOutput).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"

namespace nestcache {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, Engine& engine, const ParseOptions& parse,
             Counters& counters, StatsRegistry& stats, std::function<void(Connection*)> on_close);
  ~Connection();

  void start();
  // Closes the socket; pending handlers complete with an error and release the connection.
  void close();

 private:
  void read();
  void on_read(std::size_t bytes);
  // Parses and executes what is buffered; then writes, or reads for more.
  void process();
  void write();
  void arm_idle_timer();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer idle_timer_;
  Engine& engine_;
  Parser parser_;
  Counters& counters_;
  StatsRegistry& stats_;
  std::function<void(Connection*)> on_close_;
  std::vector<char> in_;
  std::size_t begin_ = 0;  // first unconsumed byte of in_
  std::size_t end_ = 0;    // one past the last received byte
  std::string out_;
  Command command_;
  // The rest of a reply still to come. It may view the request's bytes in in_, which is neither
  // read into nor moved while it is pending: process() resumes it before parsing anything else.
  ReplyCursor more_;
  int id_ = -1;           // the socket's descriptor, as memcached names connections in its logs
  bool closing_ = false;  // flush what is pending, then close
  bool closed_ = false;
};

}  // namespace nestcache
