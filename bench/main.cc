// nestcache-bench: options -> prefill -> load threads (+ subtree churn) -> report.
#include <exception>
#include <future>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "keyspace.h"
#include "load_thread.h"
#include "options.h"
#include "prefill.h"
#include "report.h"
#include "run_stats.h"
#include "subtree_churner.h"

namespace nb = nestcache::bench;

namespace {

nb::Results run(const nb::BenchOptions& options, const boost::asio::ip::tcp::endpoint& server,
                const nb::KeySpace& keys) {
  nb::Results results;
  if (options.prefill != nb::Prefill::off) results.prefill_seconds = nb::prefill(server, keys);
  if (options.prefill == nb::Prefill::only) return results;

  const auto start = nb::BenchClock::now();
  const auto to_duration = [](double seconds) {
    return std::chrono::duration_cast<nb::BenchClock::duration>(
        std::chrono::duration<double>(seconds));
  };
  const nb::Window window{start + to_duration(options.warmup),
                          start + to_duration(options.warmup + options.duration)};

  std::optional<std::future<nb::ChurnStats>> churn;
  if (options.workload == nb::WorkloadKind::subtree_delete) {
    churn = std::async(std::launch::async, nb::churn_subtrees, server, std::cref(options),
                       window.until);
  }
  std::vector<std::future<nb::RunStats>> threads;
  for (std::size_t t = 0; t < options.threads; ++t) {
    // Connections are dealt out as evenly as they go: the first threads take the remainder.
    const std::size_t share =
        options.connections / options.threads + (t < options.connections % options.threads);
    threads.push_back(std::async(std::launch::async, nb::run_load_thread, server,
                                 std::cref(options), std::cref(keys), std::cref(window), share, t));
  }
  for (auto& thread : threads) results.load.merge(thread.get());
  if (churn) results.churn = churn->get();
  results.seconds = options.duration;
  return results;
}

}  // namespace

int main(int argc, char** argv) {
  const nb::ParsedBenchOptions parsed = nb::parse_bench_options(argc, argv);
  if (parsed.exit_code) {
    (*parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message << '\n';
    return *parsed.exit_code;
  }
  const nb::BenchOptions& options = parsed.options;
  const boost::asio::ip::tcp::endpoint server(boost::asio::ip::make_address_v4(options.host),
                                              options.port);
  const nb::KeySpace keys(options);
  try {
    const nb::Results results = run(options, server, keys);
    if (options.json) {
      nb::print_json(std::cout, options, results);
    } else {
      nb::print_text(std::cout, options, results);
    }
    // A run that measured nothing (server gone, every request refused) is a failure.
    const bool measured = options.prefill == nb::Prefill::only || results.load.ops() > 0;
    return measured ? 0 : 1;
  } catch (const std::exception& error) {
    std::cerr << "nestcache-bench: " << error.what() << '\n';
    return 1;
  }
}
