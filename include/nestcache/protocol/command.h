// A parsed request: plain data, with views into the bytes given to Parser::parse. Valid while
// those bytes are; what must outlive them (a long reply's keys) is copied by the engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <absl/container/inlined_vector.h>

#include "nestcache/common/path.h"
#include "nestcache/protocol/commands.h"
#include "nestcache/protocol/meta_flags.h"

namespace nestcache {

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
  int64_t exptime = 0;          // storage, touch, gat: as sent (relative, absolute or negative)
  uint64_t cas_unique = 0;      // cas; watchtree: the revision to resume after
  uint64_t delta = 0;           // incr, decr
  int64_t delay = 0;            // flush_all, when has_delay
  bool has_delay = false;       // flush_all was given a delay
  uint32_t level = 0;           // verbosity
  uint32_t megabytes = 0;       // cache_memlimit
  std::string_view data;        // storage: the data block, without its \r\n
  std::string_view stats_args;  // stats: the rest of the line after "stats"
  // slabs, lru, lru_crawler: the tokens after the command's name, the subcommand first.
  // mg ms md ma: the flag tokens, in the order sent (replies echo flags in that order).
  KeyTokens args;
  MetaFlags meta;  // mg ms md ma: the flags read (valid for a meta command only)
  // A meta key sent in base64 (b): its bytes, which `path` views. The one thing a Command owns;
  // a Command is not copied or moved while its path is in use.
  std::string decoded_key;

  // Resets every field, keeping the vectors' storage for the next request.
  void clear() {
    verb = Verb::get;
    noreply = has_delay = false;
    path.clear();
    key = {};
    keys.clear();
    args.clear();
    flags = level = megabytes = 0;
    exptime = delay = 0;
    cas_unique = delta = 0;
    data = stats_args = {};
    // meta and decoded_key are reset by the meta parser, their only writer: the other commands
    // never read them, and do not pay for resetting them.
  }
};

}  // namespace nestcache
