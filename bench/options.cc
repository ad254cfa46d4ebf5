#include "options.h"

#include <array>
#include <charconv>
#include <sstream>
#include <string_view>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

namespace nestcache::bench {
namespace {

namespace po = boost::program_options;

constexpr std::array<std::pair<std::string_view, WorkloadKind>, 6> kWorkloads{{
    {"flat", WorkloadKind::flat},
    {"nested", WorkloadKind::nested},
    {"sep", WorkloadKind::sep},
    {"getn", WorkloadKind::getn},
    {"gettree", WorkloadKind::gettree},
    {"subtree-delete", WorkloadKind::subtree_delete},
}};

constexpr double kMaxDuration = 3600;  // a run always ends by itself

std::optional<unsigned> parse_unsigned(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Only loopback targets: this tool generates load, and is not to be aimed at other machines.
std::string check_server(const std::string& server, BenchOptions& options) {
  const std::size_t colon = server.rfind(':');
  if (colon == std::string::npos) return "--server wants host:port";
  std::string host = server.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(host, ec);
  if (ec || !address.is_loopback()) return "--server: only 127.0.0.0/8 targets are allowed";
  const auto port = parse_unsigned(std::string_view(server).substr(colon + 1));
  if (!port || *port == 0 || *port > 65535) return "--server: bad port";
  options.host = address.to_string();
  options.port = static_cast<uint16_t>(*port);
  return {};
}

std::string check_ratio(const std::string& ratio, BenchOptions& options) {
  const std::size_t colon = ratio.find(':');
  if (colon == std::string::npos) return "--ratio wants set:get, e.g. 1:9";
  const auto sets = parse_unsigned(std::string_view(ratio).substr(0, colon));
  const auto gets = parse_unsigned(std::string_view(ratio).substr(colon + 1));
  if (!sets || !gets || *sets + *gets == 0) return "--ratio wants set:get, e.g. 1:9";
  options.set_weight = *sets;
  options.get_weight = *gets;
  return {};
}

std::string check_workload(const std::string& name, BenchOptions& options) {
  for (const auto& [text, kind] : kWorkloads) {
    if (name == text) {
      options.workload = kind;
      return {};
    }
  }
  return "--workload: one of flat nested sep getn gettree subtree-delete";
}

std::string check_prefill(const std::string& name, BenchOptions& options) {
  if (name == "on") {
    options.prefill = Prefill::on;
  } else if (name == "off") {
    options.prefill = Prefill::off;
  } else if (name == "only") {
    options.prefill = Prefill::only;
  } else {
    return "--prefill: on, off or only";
  }
  return {};
}

std::string check_ranges(const BenchOptions& o) {
  if (o.threads == 0 || o.threads > 64) return "--threads: 1..64";
  if (o.connections < o.threads) return "--connections: at least one per thread";
  if (o.connections > 10000) return "--connections: at most 10000";
  if (o.pipeline == 0 || o.pipeline > 4096) return "--pipeline: 1..4096";
  if (o.keys == 0 || o.keys > 100'000'000) return "--keys: 1..100000000";
  if (o.value_size > 1024 * 1024) return "--value-size: at most 1m";
  if (!(o.duration > 0 && o.duration <= kMaxDuration)) return "--duration: (0, 3600] seconds";
  if (!(o.warmup >= 0 && o.warmup <= 60)) return "--warmup: [0, 60] seconds";
  if (!(o.rate >= 0 && o.rate <= 1e8)) return "--rate: [0, 1e8] requests per second";
  if (o.depth == 0 || o.depth > 32) return "--depth: 1..32";
  if (o.workload == WorkloadKind::gettree && o.depth < 2) return "--depth: gettree needs 2+";
  if (o.subtree_nodes < 3) return "--subtree-nodes: at least 3";
  if (!(o.churn_period > 0 && o.churn_period <= 60)) return "--churn-period: (0, 60] seconds";
  return {};
}

}  // namespace

const char* workload_name(WorkloadKind kind) {
  for (const auto& [text, value] : kWorkloads) {
    if (value == kind) return text.data();
  }
  return "?";
}

ParsedBenchOptions parse_bench_options(int argc, const char* const* argv) {
  ParsedBenchOptions parsed;
  BenchOptions& o = parsed.options;
  std::string server = "127.0.0.1:11211";
  std::string ratio = "1:9";
  std::string workload = "flat";
  std::string prefill = "on";

  po::options_description desc(
      "nestcache-bench: memcache text protocol load against one 127.0.0.1 server\nOptions");
  desc.add_options()("help,h", "show this help")(
      "server,s", po::value(&server)->default_value(server), "host:port (loopback only)")(
      "threads,T", po::value(&o.threads)->default_value(o.threads), "threads, one io_context each")(
      "connections,c", po::value(&o.connections)->default_value(o.connections),
      "connections in all, spread over the threads")(
      "pipeline,P", po::value(&o.pipeline)->default_value(o.pipeline),
      "requests in flight per connection")("keys,k", po::value(&o.keys)->default_value(o.keys),
                                           "key space")(
      "value-size,V", po::value(&o.value_size)->default_value(o.value_size), "bytes per value")(
      "ratio,r", po::value(&ratio)->default_value(ratio), "set:get, e.g. 1:9 or 0:1")(
      "duration,d", po::value(&o.duration)->default_value(o.duration),
      "seconds measured (the run stops by itself)")(
      "warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds run before measuring")(
      "rate", po::value(&o.rate)->default_value(o.rate),
      "requests per second in all, sent on a fixed schedule; latency counts from when each "
      "was due (0: as fast as replies come)")(
      "workload,w", po::value(&workload)->default_value(workload),
      "flat | nested | sep | getn | gettree | subtree-delete")(
      "depth", po::value(&o.depth)->default_value(o.depth),
      "segments per path (nested, sep, getn, gettree)")(
      "prefill", po::value(&prefill)->default_value(prefill),
      "on: store every key first; off; only: store them and exit")(
      "subtree-nodes", po::value(&o.subtree_nodes)->default_value(o.subtree_nodes),
      "subtree-delete: nodes in each subtree built and deleted")(
      "churn-period", po::value(&o.churn_period)->default_value(o.churn_period),
      "subtree-delete: seconds from one build's start to the next")(
      "no-delete", po::bool_switch(&o.no_delete),
      "subtree-delete: rebuild the subtree in place, never delete it (the baseline)")(
      "seed", po::value(&o.seed)->default_value(o.seed), "random seed")(
      "json", po::bool_switch(&o.json), "print one JSON object instead of text");

  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help") != 0) {
      std::ostringstream text;
      text << desc;
      parsed.message = text.str();
      parsed.exit_code = 0;
      return parsed;
    }
  } catch (const po::error& error) {
    parsed.message = std::string("nestcache-bench: ") + error.what();
    parsed.exit_code = 2;
    return parsed;
  }
  // A braced list is evaluated left to right: check_ranges sees the workload already set.
  for (const std::string& problem :
       {check_server(server, o), check_ratio(ratio, o), check_workload(workload, o),
        check_prefill(prefill, o), check_ranges(o)}) {
    if (!problem.empty()) {
      parsed.message = "nestcache-bench: " + problem;
      parsed.exit_code = 2;
      return parsed;
    }
  }
  return parsed;
}

}  // namespace nestcache::bench
