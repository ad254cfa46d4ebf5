// nestcache-bench's settings: every option, its default, and the parser that fills them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace nestcache::bench {

enum class WorkloadKind : uint8_t {
  flat,            // set/get of plain keys: what memcached and every plain client do
  nested,          // set/getn of spaced paths of --depth segments (nested mode)
  sep,             // set/get of ':'-joined paths (a server started with --key-separator :)
  getn,            // getn only, at --depth, over the prefilled paths (--ratio is ignored)
  gettree,         // gettree of a depth-1 parent (its children's values) mixed with sets
  subtree_delete,  // flat load while one more connection builds and deletes a subtree
};

enum class Prefill : uint8_t { on, off, only };

struct BenchOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 11211;
  std::size_t threads = 1;  // -T: one io_context each
  std::size_t connections = 50;
  std::size_t pipeline = 1;   // requests in flight per connection
  std::size_t keys = 100000;  // key space
  std::size_t value_size = 100;
  unsigned set_weight = 1;  // --ratio set:get
  unsigned get_weight = 9;
  double duration = 10;  // seconds measured
  double warmup = 1;     // seconds run before measuring
  // --rate: requests per second in all, on a fixed schedule (open loop); 0 sends each request
  // as soon as the window has room (closed loop). With a rate, latency runs from the moment a
  // request was due, so a server that falls behind is charged for the wait it caused.
  double rate = 0;
  WorkloadKind workload = WorkloadKind::flat;
  std::size_t depth = 4;  // segments per path for nested/sep/getn/gettree
  Prefill prefill = Prefill::on;
  std::size_t subtree_nodes = 100000;  // subtree-delete: nodes per built subtree
  double churn_period = 1.0;           // subtree-delete: seconds between the starts of two builds
  bool no_delete = false;              // subtree-delete: rebuild in place instead (the baseline)
  uint64_t seed = 1;
  bool json = false;
};

// What parse_bench_options decided: run, or exit with `exit_code` after printing `message`
// (--help, or a bad option).
struct ParsedBenchOptions {
  BenchOptions options;
  std::optional<int> exit_code;
  std::string message;
};

ParsedBenchOptions parse_bench_options(int argc, const char* const* argv);

const char* workload_name(WorkloadKind kind);

}  // namespace nestcache::bench
