#include "subtree_churner.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>
#include <thread>

#include "keyspace.h"
#include "sync_connection.h"

namespace nestcache::bench {
namespace {

constexpr std::string_view kRoot = "churn";
constexpr std::size_t kChunk = 256 * 1024;

// The subtree: kRoot -> g<j> (about sqrt(N) groups) -> l<i> leaves with values; root and groups
// are valueless inner nodes, so the subtree has exactly N nodes.
class SubtreeShape {
 public:
  SubtreeShape(std::size_t nodes, std::size_t value_size)
      : groups_(static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(nodes))))),
        leaves_(nodes - 1 - groups_),
        set_tail_(" 0 0 " + std::to_string(value_size) + " noreply\r\n" +
                  std::string(value_size, 'v') + "\r\n") {}

  std::size_t leaves() const { return leaves_; }

  void append_set(std::string& out, std::size_t leaf) const {
    out.append("set ");
    out.append(kRoot);
    out.append(" g");
    append_padded(out, leaf % groups_, 1);
    out.append(" l");
    append_padded(out, leaf, 1);
    out.append(set_tail_);
  }

 private:
  std::size_t groups_;
  std::size_t leaves_;
  std::string set_tail_;
};

void build(SyncConnection& connection, const SubtreeShape& shape, std::string& batch) {
  batch.clear();
  for (std::size_t leaf = 0; leaf < shape.leaves(); ++leaf) {
    shape.append_set(batch, leaf);
    if (batch.size() >= kChunk) {
      connection.write(batch);
      batch.clear();
    }
  }
  batch.append("version\r\n");  // answered once every set before it has been applied
  connection.write(batch);
}

uint64_t nanos_since(BenchClock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(BenchClock::now() - start).count());
}

}  // namespace

ChurnStats churn_subtrees(const boost::asio::ip::tcp::endpoint& server, const BenchOptions& options,
                          BenchClock::time_point until) {
  ChurnStats stats;
  const SubtreeShape shape(options.subtree_nodes, options.value_size);
  const auto period = std::chrono::duration_cast<BenchClock::duration>(
      std::chrono::duration<double>(options.churn_period));
  const std::string delete_line = "delete " + std::string(kRoot) + "\r\n";
  std::string batch;
  batch.reserve(kChunk + 4096);
  try {
    SyncConnection connection(server);
    for (auto cycle = BenchClock::now(); cycle < until; cycle += period) {
      build(connection, shape, batch);
      if (!connection.read_line().starts_with("VERSION ")) ++stats.errors;
      stats.build_time.record(nanos_since(cycle));
      ++stats.builds;
      if (!options.no_delete) {
        const auto sent = BenchClock::now();
        connection.write(delete_line);
        const std::string answer = connection.read_line();
        stats.delete_latency.record(nanos_since(sent));
        ++stats.deletes;
        if (answer != "DELETED") ++stats.errors;
      }
      if (BenchClock::now() > cycle + period) {
        ++stats.overruns;
        cycle = BenchClock::now() - period;  // start the next cycle at once, without catching up
      }
      std::this_thread::sleep_until(std::min(cycle + period, until));
    }
  } catch (const std::exception&) {
    ++stats.errors;
  }
  return stats;
}

}  // namespace nestcache::bench
