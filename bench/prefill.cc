#include "prefill.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include "sync_connection.h"

namespace nestcache::bench {

double prefill(const boost::asio::ip::tcp::endpoint& server, const KeySpace& keys) {
  constexpr std::size_t kChunk = 256 * 1024;
  const auto start = std::chrono::steady_clock::now();
  SyncConnection connection(server);
  std::string batch;
  batch.reserve(kChunk + 4096);
  for (std::size_t i = 0; i < keys.keys(); ++i) {
    keys.append_set(batch, i, /*noreply=*/true);
    if (batch.size() >= kChunk) {
      connection.write(batch);
      batch.clear();
    }
  }
  batch.append("version\r\n");
  connection.write(batch);
  const std::string answer = connection.read_line();
  if (!answer.starts_with("VERSION ")) {
    throw std::runtime_error("prefill: the server answered '" + answer + "'");
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace nestcache::bench
