// Stores every key of the key space once before the load starts, so reads hit.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "keyspace.h"

namespace nestcache::bench {

// Sends `set ... noreply` for every key over one connection, in large writes, then waits for
// the answer to a `version` sent behind them: the server has applied them all when it comes.
// Returns the seconds it took; throws on a connection error or an unexpected answer.
double prefill(const boost::asio::ip::tcp::endpoint& server, const KeySpace& keys);

}  // namespace nestcache::bench
