// The command line and --config file -> Options. memcached's short flags, long names for the
// rest; a config file uses the long names as keys ("port = 11211").
#include "nestcache/config/options.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include <boost/program_options.hpp>

#include "nestcache/common/numbers.h"
#include "nestcache/common/path.h"

namespace po = boost::program_options;

namespace nestcache {
namespace {

constexpr std::size_t kMinItemSize = 1024;
constexpr std::size_t kMaxItemSize = std::size_t{1024} * 1024 * 1024;
// The largest -m whose byte count (limit_maxbytes) still fits in a size_t.
constexpr long long kMaxMemoryMb = static_cast<long long>(SIZE_MAX >> 20);
constexpr std::size_t kMinLine = 256;
constexpr std::size_t kMaxLine = 1024 * 1024;

// memcached's cutoff is 2048 bytes: enough for any of its commands. A nested-mode line holds a
// path of up to max_depth segments of max_segment bytes plus a verb and five numbers.
std::size_t default_max_line(bool compat, std::size_t max_depth, std::size_t max_segment) {
  constexpr std::size_t kMemcachedLine = 2048;
  constexpr std::size_t kVerbAndNumbers = 128;
  if (compat) return kMemcachedLine;
  return std::max(kMemcachedLine, max_depth * (max_segment + 1) + kVerbAndNumbers);
}

struct Raw {
  std::string listen, max_item_size, key_separator, extended, config, max_get_line;
  // Signed: an unsigned conversion would turn "-1" into a huge value instead of refusing it.
  long long port = 0, udp_port = 0, threads = 0, max_connections = 0, memory_limit = 0,
            max_depth = 0, max_line = 0, max_segment = 0, snapshot_min_journal_mb = 0,
            watch_history_mb = 0, watch_queue_kb = 0, watch_progress_interval = 0;
};

po::options_description describe(Raw& raw, const Options& defaults) {
  po::options_description desc("nestcached options");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("version,V", "print the version and exit")
    ("port,p", po::value(&raw.port)->default_value(defaults.port), "TCP port to listen on")
    ("listen,l", po::value(&raw.listen)->default_value(defaults.listen),
     "interface to listen on (memcached listens on all; we default to loopback)")
    ("udp-port,U", po::value(&raw.udp_port)->default_value(defaults.udp_port),
     "UDP port: only 0 (off) is supported")
    ("threads,t", po::value(&raw.threads)->default_value(defaults.threads),
     "number of worker threads")
    ("conn-limit,c", po::value(&raw.max_connections)->default_value(defaults.max_connections),
     "maximum simultaneous connections")
    ("memory-limit,m", po::value(&raw.memory_limit)->default_value(defaults.memory_limit_mb),
     "memory budget in megabytes: values, nodes, tables and malloc's overhead")
    ("disable-evictions,M", po::bool_switch(), "return an error when memory is full")
    ("max-item-size,I", po::value(&raw.max_item_size)->default_value("1m"),
     "largest value, e.g. 1m, 512k (1k..1024m)")
    ("extended,o", po::value(&raw.extended), "comma-separated extras: idle_timeout=N")
    ("pidfile,P", po::value<std::string>(), "write the process id to this file")
    ("compat", po::bool_switch(), "plain memcached mode: one key token per command")
    ("key-separator", po::value(&raw.key_separator),
     "split every key on this character into path segments, e.g. :")
    ("strict-parents", po::bool_switch(), "refuse to store below a missing parent")
    ("max-depth", po::value(&raw.max_depth)->default_value(defaults.max_depth),
     "maximum number of segments in a path")
    ("max-segment-length", po::value(&raw.max_segment)->default_value(defaults.max_segment),
     "bytes per path segment (and per key in --compat), 1..250 (memcached's 250)")
    ("max-line-length", po::value(&raw.max_line),
     "bytes of a request line without a newline before the connection is closed (default "
     "2048 with --compat, as memcached; else room for a --max-depth path of "
     "--max-segment-length segments)")
    ("max-get-line-length", po::value(&raw.max_get_line)->default_value("4m"),
     "the same for a get/gets line, e.g. 4m (2k..1024m)")
    ("data-dir", po::value<std::string>(),
     "make the tree durable: journal every change under this directory, and load it at start")
    ("fsync", po::value<std::string>()->default_value(defaults.fsync),
     "with --data-dir: always (fdatasync before replies), everysec (in the background once a "
     "second), no (the kernel decides)")
    ("persist", po::value<std::vector<std::string>>()->composing(),
     "with --data-dir: journal only this top-level namespace (repeatable; default: all)")
    ("snapshot-min-journal-mb", po::value(&raw.snapshot_min_journal_mb)->default_value(64),
     "with --data-dir: take a snapshot when the journal since the last one reaches this many MB "
     "and twice that snapshot's size (0: only when asked with `snapshot`)")
    ("truncate-corrupt-journal", po::bool_switch(),
     "with --data-dir: cut the journal at damage instead of refusing to start (the damaged "
     "part is kept as *.dropped)")
    ("watch-history-mb", po::value(&raw.watch_history_mb)->default_value(64),
     "watchtree: MB of past changes kept for watches that resume from an earlier revision")
    ("watch-queue-kb", po::value(&raw.watch_queue_kb)->default_value(4096),
     "watchtree: KB of events a watch may have unsent before it ends with CANCELED")
    ("watch-progress-interval", po::value(&raw.watch_progress_interval)->default_value(10),
     "watchtree: seconds without events before a watch is sent PROGRESS <rev> (0: never)")
    ("verbose,v", po::value<int>()->implicit_value(1), "verbosity; -vv for more")
    ("config", po::value(&raw.config), "read options from this file (long names as keys)");
  // clang-format on
  return desc;
}

// memcached counts repeated v's (-v, -vv, -vvv); program_options does not, so they are taken
// out of argv first.
int take_verbosity(std::vector<std::string>& args) {
  int level = 0;
  std::vector<std::string> kept;
  for (const std::string& arg : args) {
    if (arg.size() >= 2 && arg[0] == '-' && arg.find_first_not_of('v', 1) == std::string::npos) {
      level += static_cast<int>(arg.size() - 1);
    } else {
      kept.push_back(arg);
    }
  }
  args.swap(kept);
  return level;
}

bool parse_bool(const std::string& text) { return text == "1" || text == "true" || text == "yes"; }

// The --config file: "key = value" lines, '#' comments; a flag key takes true/false. Returns
// the settings as long options ("--key=value").
std::vector<std::string> read_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read config file " + path);
  std::string line;
  std::vector<std::string> from_file;
  while (std::getline(in, line)) {
    const std::size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const std::size_t eq = line.find('=');
    auto trim = [](std::string s) {
      const auto first = s.find_first_not_of(" \t\r");
      const auto last = s.find_last_not_of(" \t\r");
      return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
    };
    const std::string key = trim(eq == std::string::npos ? line : line.substr(0, eq));
    if (key.empty()) continue;
    const std::string value = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
    if (key == "compat" || key == "strict-parents" || key == "disable-evictions" ||
        key == "truncate-corrupt-journal") {
      if (eq == std::string::npos || parse_bool(value)) from_file.push_back("--" + key);
    } else if (key == "verbose") {
      from_file.push_back("--verbose=" + value);
    } else {
      if (eq == std::string::npos) throw std::runtime_error("config key " + key + " needs a value");
      from_file.push_back("--" + key + "=" + value);
    }
  }
  return from_file;
}

void apply_extended(const std::string& list, Options& options) {
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    const std::size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    if (key == "idle_timeout" && eq != std::string::npos) {
      const auto seconds = parse_u32(std::string_view(item).substr(eq + 1));
      if (!seconds) throw std::runtime_error("-o idle_timeout takes a number of seconds: " + item);
      options.idle_timeout = *seconds;
    } else {
      throw std::runtime_error("unknown -o option: " + item);
    }
  }
}

}  // namespace

std::optional<std::size_t> parse_size(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  int shift = -1;
  if (unit.empty()) shift = 0;
  if (unit == "k" || unit == "K") shift = 10;
  if (unit == "m" || unit == "M") shift = 20;
  if (unit == "g" || unit == "G") shift = 30;
  // A size that does not fit is refused, not wrapped into a small one.
  if (shift < 0 || value > (std::numeric_limits<std::size_t>::max() >> shift)) return std::nullopt;
  return static_cast<std::size_t>(value) << shift;
}

ParsedOptions parse_options(int argc, const char* const* argv) {
  ParsedOptions parsed;
  Options& options = parsed.options;
  Raw raw;
  const po::options_description desc = describe(raw, options);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    const int verbosity = take_verbosity(args);
    // The command line wins over the file: it is stored first, and program_options keeps the
    // first stored value of an option (a later store only fills in what is still defaulted).
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("config")) {
      const std::vector<std::string> from_file = read_config(vm["config"].as<std::string>());
      po::store(po::command_line_parser(from_file).options(desc).run(), vm);
    }
    po::notify(vm);
    if (vm.count("help")) {
      std::ostringstream text;
      text << "Usage: nestcached [options]\n" << desc;
      parsed.message = text.str();
      parsed.exit_code = 0;
      return parsed;
    }
    if (vm.count("version")) {
      parsed.message = "nestcached 0.1.0\n";
      parsed.exit_code = 0;
      return parsed;
    }
    auto require = [](bool ok, const std::string& why) {
      if (!ok) throw std::runtime_error(why);
    };
    require(raw.port >= 0 && raw.port <= 65535, "-p: port must be 0..65535");
    require(raw.udp_port == 0, "-U: UDP is not supported; only -U 0 is accepted");
    require(raw.threads >= 1 && raw.threads <= 256, "-t: threads must be 1..256");
    require(raw.max_connections >= 1, "-c: the connection limit must be at least 1");
    require(raw.memory_limit >= 1 && raw.memory_limit <= kMaxMemoryMb,
            "-m: the memory limit must be 1.." + std::to_string(kMaxMemoryMb) + " MB");
    require(raw.max_depth >= 1 && raw.max_depth <= static_cast<long long>(kMaxDepthLimit),
            "--max-depth must be 1.." + std::to_string(kMaxDepthLimit));
    const auto item_size = parse_size(raw.max_item_size);
    require(item_size && *item_size >= kMinItemSize && *item_size <= kMaxItemSize,
            "-I: item size must be 1k..1024m");
    if (!raw.key_separator.empty()) {
      const char c = raw.key_separator[0];
      require(raw.key_separator.size() == 1 && c > ' ' && c != 0x7f,
              "--key-separator takes one printable character");
      options.key_separator = c;
    }
    options.listen = raw.listen;
    options.port = static_cast<uint16_t>(raw.port);
    options.udp_port = 0;
    options.threads = static_cast<std::size_t>(raw.threads);
    options.max_connections = static_cast<std::size_t>(raw.max_connections);
    options.memory_limit_mb = static_cast<std::size_t>(raw.memory_limit);
    options.max_item_size = *item_size;
    options.max_depth = static_cast<std::size_t>(raw.max_depth);
    require(raw.max_segment >= 1 && raw.max_segment <= static_cast<long long>(kMaxSegmentLength),
            "--max-segment-length must be 1.." + std::to_string(kMaxSegmentLength));
    options.max_segment = static_cast<std::size_t>(raw.max_segment);
    options.compat = vm["compat"].as<bool>();
    options.max_line = raw.max_line != 0 ? static_cast<std::size_t>(raw.max_line)
                                         : default_max_line(options.compat, options.max_depth,
                                                            options.max_segment);
    require(
        raw.max_line >= 0 && options.max_line >= kMinLine && options.max_line <= kMaxLine,
        "--max-line-length must be " + std::to_string(kMinLine) + ".." + std::to_string(kMaxLine));
    const auto get_line = parse_size(raw.max_get_line);
    require(get_line && *get_line >= 2048 && *get_line <= kMaxItemSize,
            "--max-get-line-length must be 2k..1024m");
    options.max_get_line = *get_line;
    options.disable_evictions = vm["disable-evictions"].as<bool>();
    options.strict_parents = vm["strict-parents"].as<bool>();
    options.verbosity = verbosity + (vm.count("verbose") ? vm["verbose"].as<int>() : 0);
    if (vm.count("pidfile")) options.pid_file = vm["pidfile"].as<std::string>();
    options.config_file = raw.config;
    if (vm.count("data-dir")) options.data_dir = vm["data-dir"].as<std::string>();
    require(vm.count("data-dir") == 0 || !options.data_dir.empty(), "--data-dir needs a directory");
    options.fsync = vm["fsync"].as<std::string>();
    require(options.fsync == "always" || options.fsync == "everysec" || options.fsync == "no",
            "--fsync takes always, everysec or no");
    if (vm.count("persist")) options.persist = vm["persist"].as<std::vector<std::string>>();
    for (const std::string& name : options.persist) {
      require(!name.empty() && name.size() <= options.max_segment &&
                  name.find_first_of(" \t\r\n") == std::string::npos,
              "--persist takes a top-level name (one segment): " + name);
    }
    options.truncate_corrupt_journal = vm["truncate-corrupt-journal"].as<bool>();
    require(raw.snapshot_min_journal_mb >= 0 && raw.snapshot_min_journal_mb <= (1 << 20),
            "--snapshot-min-journal-mb must be 0..1048576");
    options.snapshot_min_journal_mb = static_cast<std::size_t>(raw.snapshot_min_journal_mb);
    require(raw.watch_history_mb >= 1 && raw.watch_history_mb <= (1 << 20),
            "--watch-history-mb must be 1..1048576");
    options.watch_history_mb = static_cast<std::size_t>(raw.watch_history_mb);
    require(raw.watch_queue_kb >= 1 && raw.watch_queue_kb <= (1 << 30),
            "--watch-queue-kb must be 1..1073741824");
    options.watch_queue_kb = static_cast<std::size_t>(raw.watch_queue_kb);
    require(raw.watch_progress_interval >= 0 && raw.watch_progress_interval <= 86400,
            "--watch-progress-interval must be 0..86400");
    options.watch_progress_interval = static_cast<int>(raw.watch_progress_interval);
    const bool durability_asked = !options.persist.empty() || !vm["fsync"].defaulted() ||
                                  options.truncate_corrupt_journal ||
                                  !vm["snapshot-min-journal-mb"].defaulted();
    require(!options.data_dir.empty() || !durability_asked,
            "--fsync, --persist, --snapshot-min-journal-mb and --truncate-corrupt-journal need "
            "--data-dir");
    if (!raw.extended.empty()) apply_extended(raw.extended, options);
  } catch (const std::exception& e) {
    parsed.message = std::string("nestcached: ") + e.what() + "\n";
    parsed.exit_code = 64;  // EX_USAGE
  }
  return parsed;
}

}  // namespace nestcache
