// The background connection of the subtree-delete workload: once per period it stores a subtree
// of N nodes under one top-level node and deletes it with a single `delete`, timing the reply.
// With no_delete it rebuilds the same subtree in place instead: the same load minus the deletes,
// which is the baseline the deletes are judged against.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "options.h"
#include "run_stats.h"

namespace nestcache::bench {

// Runs cycles until `until`; a cycle under way then is finished. Errors are counted, and a lost
// connection ends the churn early (counted too).
ChurnStats churn_subtrees(const boost::asio::ip::tcp::endpoint& server, const BenchOptions& options,
                          BenchClock::time_point until);

}  // namespace nestcache::bench
