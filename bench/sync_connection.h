// A blocking connection for the helpers that run one step at a time (prefill, subtree churn):
// write a batch, then read a line. The load itself uses the asynchronous Client.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace nestcache::bench {

class SyncConnection {
 public:
  // Connects at once; throws boost::system::system_error on failure.
  explicit SyncConnection(const boost::asio::ip::tcp::endpoint& server);

  void write(std::string_view bytes);
  // The next reply line, without its \r\n. Throws on a closed connection.
  std::string read_line();

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffered_;
};

}  // namespace nestcache::bench
