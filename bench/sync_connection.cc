#include "sync_connection.h"

#include <array>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace nestcache::bench {

SyncConnection::SyncConnection(const boost::asio::ip::tcp::endpoint& server) : socket_(io_) {
  socket_.connect(server);
  socket_.set_option(boost::asio::ip::tcp::no_delay(true));
}

void SyncConnection::write(std::string_view bytes) {
  boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
}

std::string SyncConnection::read_line() {
  for (;;) {
    const std::size_t newline = buffered_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    std::array<char, 4096> chunk;
    const std::size_t got = socket_.read_some(boost::asio::buffer(chunk));
    buffered_.append(chunk.data(), got);
  }
}

}  // namespace nestcache::bench
