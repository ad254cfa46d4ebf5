#include "report.h"

#include <cstdio>
#include <ostream>
#include <string>

namespace nestcache::bench {
namespace {

double micros(uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string server_text(const BenchOptions& o) { return o.host + ":" + std::to_string(o.port); }

// {"p50":..,"p99":..,"p999":..,"max":..,"mean":..,"count":..} in microseconds.
std::string latency_json(const Histogram& h) {
  return "{\"count\":" + std::to_string(h.count()) +
         ",\"mean\":" + fixed(micros(static_cast<uint64_t>(h.mean())), 2) +
         ",\"p50\":" + fixed(micros(h.percentile(0.50)), 2) +
         ",\"p99\":" + fixed(micros(h.percentile(0.99)), 2) +
         ",\"p999\":" + fixed(micros(h.percentile(0.999)), 2) +
         ",\"max\":" + fixed(micros(h.max()), 2) + "}";
}

std::string latency_text(const Histogram& h) {
  return "p50 " + fixed(micros(h.percentile(0.50)), 1) + "  p99 " +
         fixed(micros(h.percentile(0.99)), 1) + "  p99.9 " + fixed(micros(h.percentile(0.999)), 1) +
         "  max " + fixed(micros(h.max()), 1) + "  mean " +
         fixed(micros(static_cast<uint64_t>(h.mean())), 1) + " us";
}

double per_second(uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

}  // namespace

void print_text(std::ostream& out, const BenchOptions& o, const Results& r) {
  const RunStats& s = r.load;
  out << "nestcache-bench " << workload_name(o.workload) << " -> " << server_text(o) << "  threads "
      << o.threads << "  connections " << o.connections << "  pipeline " << o.pipeline
      << (o.rate > 0 ? "  rate " + fixed(o.rate, 0) + "/s" : std::string()) << "\n  keys " << o.keys
      << "  value " << o.value_size << " B  ratio " << o.set_weight << ':' << o.get_weight;
  if (o.workload != WorkloadKind::flat) out << "  depth " << o.depth;
  out << '\n';
  if (r.prefill_seconds >= 0) {
    out << "prefill   " << o.keys << " keys in " << fixed(r.prefill_seconds, 2) << " s\n";
  }
  if (o.prefill == Prefill::only) return;
  out << "measured  " << fixed(r.seconds, 2) << " s after " << fixed(o.warmup, 2) << " s warm-up\n"
      << "ops/s     " << fixed(per_second(s.ops(), r.seconds), 0) << "  (" << s.ops()
      << " ops: " << s.sets << " sets, " << s.reads << " reads)\n"
      << "reads     " << s.hits << " hits, " << s.misses << " misses, " << s.values << " values\n"
      << "errors    " << s.errors << "  not stored " << s.not_stored << "  disconnects "
      << s.disconnects << '\n'
      << "latency   " << latency_text(s.latency) << '\n';
  if (r.churn) {
    const ChurnStats& c = *r.churn;
    out << "subtree   " << o.subtree_nodes << " nodes, " << c.builds << " builds ("
        << latency_text(c.build_time) << "), " << c.overruns << " overruns, " << c.errors
        << " errors\n";
    if (o.no_delete) {
      out << "deletes   none (--no-delete)\n";
    } else {
      out << "deletes   " << c.deletes << "  " << latency_text(c.delete_latency) << '\n';
    }
  }
}

void print_json(std::ostream& out, const BenchOptions& o, const Results& r) {
  const RunStats& s = r.load;
  out << "{\"workload\":\"" << workload_name(o.workload) << "\",\"server\":\"" << server_text(o)
      << "\",\"threads\":" << o.threads << ",\"connections\":" << o.connections
      << ",\"pipeline\":" << o.pipeline << ",\"rate\":" << fixed(o.rate, 1)
      << ",\"keys\":" << o.keys << ",\"value_size\":" << o.value_size << ",\"ratio\":\""
      << o.set_weight << ':' << o.get_weight << "\",\"depth\":" << o.depth
      << ",\"prefill_seconds\":" << fixed(r.prefill_seconds, 3)
      << ",\"seconds\":" << fixed(r.seconds, 3)
      << ",\"ops_per_sec\":" << fixed(per_second(s.ops(), r.seconds), 1) << ",\"ops\":" << s.ops()
      << ",\"sets\":" << s.sets << ",\"reads\":" << s.reads << ",\"hits\":" << s.hits
      << ",\"misses\":" << s.misses << ",\"values\":" << s.values << ",\"errors\":" << s.errors
      << ",\"not_stored\":" << s.not_stored << ",\"disconnects\":" << s.disconnects
      << ",\"replies_all\":" << s.replies_all << ",\"latency_us\":" << latency_json(s.latency);
  if (r.churn) {
    const ChurnStats& c = *r.churn;
    out << ",\"subtree\":{\"nodes\":" << o.subtree_nodes
        << ",\"no_delete\":" << (o.no_delete ? "true" : "false") << ",\"builds\":" << c.builds
        << ",\"deletes\":" << c.deletes << ",\"errors\":" << c.errors
        << ",\"overruns\":" << c.overruns << ",\"build_us\":" << latency_json(c.build_time)
        << ",\"delete_us\":" << latency_json(c.delete_latency) << '}';
  }
  out << "}\n";
}

}  // namespace nestcache::bench
