// One load thread: its own io_context (run with a concurrency hint of 1, so Asio takes no
// locks), its share of the connections, and a timer that stops it when the window ends.
#pragma once

#include <cstddef>

#include <boost/asio/ip/tcp.hpp>

#include "keyspace.h"
#include "options.h"
#include "run_stats.h"

namespace nestcache::bench {

// Runs `connections` clients against `server` until window.until and returns what they counted.
// Blocks; call it on the thread that is to carry the load.
RunStats run_load_thread(const boost::asio::ip::tcp::endpoint& server, const BenchOptions& options,
                         const KeySpace& keys, const Window& window, std::size_t connections,
                         std::size_t thread_index);

}  // namespace nestcache::bench
