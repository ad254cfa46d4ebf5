#include "load_thread.h"

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client.h"

namespace nestcache::bench {

RunStats run_load_thread(const boost::asio::ip::tcp::endpoint& server, const BenchOptions& options,
                         const KeySpace& keys, const Window& window, std::size_t connections,
                         std::size_t thread_index) {
  RunStats stats;
  boost::asio::io_context io(1);
  boost::asio::steady_timer stop_at(io, window.until);
  stop_at.async_wait([&io](boost::system::error_code) { io.stop(); });
  {
    // Destroyed before `io`: their pending handlers are dropped by the stopped io_context,
    // never run.
    std::vector<std::unique_ptr<Client>> clients;
    clients.reserve(connections);
    for (std::size_t i = 0; i < connections; ++i) {
      const uint64_t seed = options.seed * 1'000'003 + thread_index * 10'007 + i;
      clients.push_back(std::make_unique<Client>(io, options, keys, window, stats, seed));
      clients.back()->start(server);
    }
    io.run();
  }
  return stats;
}

}  // namespace nestcache::bench
