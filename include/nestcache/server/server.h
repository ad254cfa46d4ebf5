// The network front: acceptor, signal handling and the pool of I/O threads. Owns no cache
// state; every connection hands its bytes to the shared Engine.
#pragma once

#include <cstdint>
#include <memory>

#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/stats/counters.h"

namespace nestcache {

class Durability;

class Server {
 public:
  // Binds at once (throws std::system_error if it cannot); run() serves until stop(). With
  // `durability` (--data-dir, opened), each worker round's replies wait for its group commit.
  Server(const Options& options, Engine& engine, StatsRegistry& stats,
         Durability* durability = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves on options.threads threads until SIGINT/SIGTERM or stop(); returns after every
  // connection is closed and every thread joined.
  void run();
  // Thread-safe; may be called before or during run().
  void stop();
  // The bound port (useful with port 0).
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nestcache
