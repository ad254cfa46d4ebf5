// Every setting of the daemon in one struct: its default, and (in options.cc) its memcached
// flag name, its long name and its --config key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace nestcache {

struct Options {
  // network
  std::string listen = "127.0.0.1";    // -l (memcached binds every interface; we default safe)
  uint16_t port = 11211;               // -p
  uint16_t udp_port = 0;               // -U (only 0: UDP is off)
  std::size_t threads = 4;             // -t
  std::size_t max_connections = 1024;  // -c
  uint32_t idle_timeout = 0;           // -o idle_timeout=N seconds, 0 = off
  // memory
  std::size_t memory_limit_mb = 64;         // -m
  bool disable_evictions = false;           // -M
  std::size_t max_item_size = 1024 * 1024;  // -I
  // protocol
  bool compat = false;            // --compat
  char key_separator = '\0';      // --key-separator
  bool strict_parents = false;    // --strict-parents
  std::size_t max_depth = 32;     // --max-depth
  std::size_t max_segment = 250;  // --max-segment-length (memcached's key length, 1..250)
  // A request line with no newline past this many bytes closes the connection. 0 until
  // parse_options resolves it: memcached's 2048 with --compat; in nested mode room for the
  // longest valid line (a --max-depth path of 250-byte segments), so a long path is served
  // however its bytes are split (--max-line-length).
  std::size_t max_line = 0;
  std::size_t max_get_line = 4 * 1024 * 1024;  // the same bound for a get/gets line
  // durability (off without a data dir: a pure cache touches no disk)
  std::string data_dir;                      // --data-dir
  std::string fsync = "everysec";            // --fsync always|everysec|no
  std::vector<std::string> persist;          // --persist NS (repeatable); empty: every namespace
  bool truncate_corrupt_journal = false;     // --truncate-corrupt-journal
  std::size_t snapshot_min_journal_mb = 64;  // --snapshot-min-journal-mb (0: only on request)
  // watches
  std::size_t watch_history_mb = 64;  // --watch-history-mb
  std::size_t watch_queue_kb = 4096;  // --watch-queue-kb
  int watch_progress_interval = 10;   // --watch-progress-interval (0: never)
  // process
  int verbosity = 0;        // -v, -vv
  std::string pid_file;     // -P
  std::string config_file;  // --config
};

// What parse_options decided: run with the options, or exit (after --help, --version or an
// error) with the given code, having printed `message`.
struct ParsedOptions {
  Options options;
  std::optional<int> exit_code;
  std::string message;
};

ParsedOptions parse_options(int argc, const char* const* argv);

// "1m", "512k", "1048576" -> bytes (memcached's -I spellings).
std::optional<std::size_t> parse_size(const std::string& text);

}  // namespace nestcache
