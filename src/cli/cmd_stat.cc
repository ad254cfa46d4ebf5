// stat: the server's figures, a subtree's, a live view (redis-cli --stat) and round-trip
// latency (redis-cli --latency).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <thread>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "export_writer.h"
#include "json_text.h"

namespace nestcache::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::map<std::string, std::string> stats_map(Context& c) {
  std::map<std::string, std::string> m;
  for (auto& [k, v] : c.client().stats()) m[k] = v;
  return m;
}

double num(const std::map<std::string, std::string>& m, const std::string& name) {
  const auto it = m.find(name);
  return it == m.end() ? 0.0 : std::strtod(it->second.c_str(), nullptr);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.1f%s", bytes, units[u]);
  return buf;
}

int server_stats(Context& c) {
  const auto stats = c.client().stats();
  if (c.json()) {
    c.out() << "{";
    for (std::size_t i = 0; i < stats.size(); ++i) {
      c.out() << (i ? "," : "") << json_quote(stats[i].first) << ":" << json_quote(stats[i].second);
    }
    c.out() << "}\n";
  } else {
    for (const auto& [k, v] : stats) c.out() << k << " " << v << "\n";
  }
  return kExitOk;
}

int subtree_stats(Context& c, const client::Segments& root) {
  uint64_t items = 0, bytes = 0, depth = 0, revision = 0;
  std::set<client::Segments> nodes;  // valued nodes and the ancestors that hold them
  const client::Reply end = walk_values(c, root, [&](const client::Item& item) {
    ++items;
    bytes += item.data.size();
    revision = std::max(revision, item.cas);
    depth = std::max<uint64_t>(depth, item.path.size() - root.size());
    client::Segments p = item.path;
    while (p.size() > root.size() && nodes.insert(p).second) p.pop_back();
  });
  if (end.is_error()) throw Failure{kExitServerError, "server: " + end.line};
  if (items == 0 && !root.empty()) throw Failure{kExitNotFound, "not found: " + c.show(root)};
  const uint64_t node_count = nodes.size() + (root.empty() ? 0 : nodes.count(root) ? 0 : 1);
  const std::pair<const char*, uint64_t> figures[] = {{"items", items},
                                                      {"nodes", node_count},
                                                      {"bytes", bytes},
                                                      {"depth", depth},
                                                      {"revision", revision}};
  if (c.json()) {
    c.out() << "{\"path\":" << json_quote(c.show(root));
    for (const auto& [k, v] : figures) c.out() << ",\"" << k << "\":" << v;
    c.out() << "}\n";
  } else {
    c.out() << "path " << c.show(root) << "\n";
    for (const auto& [k, v] : figures) c.out() << k << " " << v << "\n";
  }
  return kExitOk;
}

int live(Context& c) {
  const auto interval = std::chrono::milliseconds(flag_number(c.options(), "interval", 1) * 1000);
  const int64_t count = flag_number(c.options(), "count", 0);
  auto before = stats_map(c);
  auto at = Clock::now();
  c.out() << "------- ops/s  hit% ------- items ---- memory --- conns -- evict/s\n";
  for (int64_t i = 0; count == 0 || i < count; ++i) {
    std::this_thread::sleep_for(interval);
    const auto now_stats = stats_map(c);
    const auto now = Clock::now();
    const double secs = std::chrono::duration<double>(now - at).count();
    auto delta = [&](const char* name) { return num(now_stats, name) - num(before, name); };
    const double ops = delta("cmd_get") + delta("cmd_set") + delta("cmd_touch") +
                       delta("delete_hits") + delta("delete_misses") + delta("incr_hits") +
                       delta("incr_misses") + delta("decr_hits") + delta("decr_misses");
    const double hits = delta("get_hits"), misses = delta("get_misses");
    char line[160];
    std::snprintf(line, sizeof line, "%13.0f %5s %13.0f %13s %7.0f %9.0f\n", ops / secs,
                  hits + misses > 0
                      ? (std::to_string(int(100 * hits / (hits + misses) + 0.5)) + "%").c_str()
                      : "-",
                  num(now_stats, "curr_items"), human_bytes(num(now_stats, "bytes")).c_str(),
                  num(now_stats, "curr_connections"), delta("evictions") / secs);
    c.out() << line << std::flush;
    before = now_stats;
    at = now;
  }
  return kExitOk;
}

int latency(Context& c) {
  const int64_t count = flag_number(c.options(), "count", 0);
  const bool tty = ::isatty(STDOUT_FILENO);
  std::vector<double> samples;
  double sum = 0;
  auto report = [&](bool final_line) {
    std::vector<double> sorted = samples;
    std::sort(sorted.begin(), sorted.end());
    const double p99 = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
    char line[160];
    std::snprintf(line, sizeof line, "min: %.3f, max: %.3f, avg: %.3f, p99: %.3f (%zu samples) ms",
                  sorted.front(), sorted.back(), sum / sorted.size(), p99, sorted.size());
    if (tty && !final_line) {
      c.out() << "\r" << line << std::flush;
    } else if (final_line) {
      c.out() << (tty ? "\r" : "") << line << "\n";
    }
  };
  auto last_report = Clock::now();
  c.client().mode();
  for (int64_t i = 0; count == 0 || i < count; ++i) {
    const auto start = Clock::now();
    const client::Reply reply = c.client().call("version");
    const auto stop = Clock::now();
    if (reply.is_error()) throw Failure{kExitServerError, "server: " + reply.line};
    const double ms = std::chrono::duration<double, std::milli>(stop - start).count();
    samples.push_back(ms);
    sum += ms;
    if (stop - last_report > std::chrono::milliseconds(250)) {
      report(false);
      last_report = stop;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!samples.empty()) report(true);
  return kExitOk;
}

}  // namespace

int cmd_stat(Context& c) {
  const auto& args = c.options().args;
  if (args.size() > 1) throw Failure{kExitUsage, "stat: expected [PATH] (see --help)"};
  if (c.options().has("live")) return live(c);
  if (c.options().has("latency")) return latency(c);
  if (args.empty()) return server_stats(c);
  return subtree_stats(c, c.path(args[0]));
}

}  // namespace nestcache::cli
