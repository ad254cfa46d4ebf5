// A parsed request: plain data, views into the connection's read buffer. Valid until the
// connection consumes the bytes it was parsed from.
#pragma once

#include <cstdint>
#include <string_view>

#include <absl/container/inlined_vector.h>

#include "nestcache/common/path.h"

namespace nestcache {

enum class Verb : uint8_t {
  // reads
  get,
  gets,
  gat,
  gats,
  getn,
  getns,
  getch,
  gettree,
  // storage (a data block follows the line)
  set,
  add,
  replace,
  append,
  prepend,
  cas,
  // updates
  incr,
  decr,
  touch,
  del,
  // admin
  flush_all,
  version,
  verbosity,
  cache_memlimit,
  quit,
  stats,
  help,
};

// The tokens of a key as the client sent them, so replies can echo them.
using KeyTokens = absl::InlinedVector<std::string_view, 8>;

struct Command {
  Verb verb = Verb::get;
  bool noreply = false;
  // Single-key commands: the node's segments (after --key-separator splitting), and the key as
  // written, from its first token to its last (replies echo it with one space between tokens).
  Path path;
  std::string_view key;
  // get/gets/gat/gats: one raw token per key, each already checked against the key rules (see
  // split_key); each names a top-level node (or, with --key-separator, a path).
  KeyTokens keys;
  uint32_t flags = 0;
  int64_t exptime = 0;  // as sent: relative, absolute or negative (memcached's rules)
  uint64_t cas_unique = 0;
  uint64_t delta = 0;
  bool has_delay = false;  // flush_all with a delay argument (in exptime)
  std::string_view data;   // storage: the data block, without its \r\n
  std::string_view args;   // stats: the rest of the line after "stats"

  // Resets every field, keeping the vectors' storage for the next request.
  void clear() {
    verb = Verb::get;
    noreply = has_delay = false;
    path.clear();
    key = {};
    keys.clear();
    flags = 0;
    exptime = 0;
    cas_unique = delta = 0;
    data = args = {};
  }
};

bool is_storage(Verb verb);

}  // namespace nestcache
