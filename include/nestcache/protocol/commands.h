// The one table of commands. Each row names a command and gives its argument shape (how the
// parser reads the rest of its line), the modes it exists in, the engine function that runs it
// and its help line. The Verb enum, the parser's dispatch, the engine's dispatch and `help` are
// all made from this table; adding a command is one row here, one handler in src/engine/ and one
// transcript in proto-spec/transcripts/ (tests/README.md has the checklist, and
// tests/spec/command_table_test.cc fails when a row has no transcript).
//
// X(verb, name, shape, modes, handler, help)
//   verb     the Verb enumerator            shape    a Shape enumerator (below)
//   name     the command's name on the wire modes    any: every mode; nested: not in --compat
//   handler  a function of src/engine/handlers.h    help   the `help` line, "syntax  meaning"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// clang-format off
#define NESTCACHE_COMMANDS(X)                                                                     \
  X(set, "set", storage, any, store,                                                              \
    "set <seg>+ <flags> <exptime> <bytes> [noreply]      stores a value")                         \
  X(add, "add", storage, any, store,                                                              \
    "add <seg>+ <flags> <exptime> <bytes> [noreply]      stores where no value is")               \
  X(replace, "replace", storage, any, store,                                                      \
    "replace <seg>+ <flags> <exptime> <bytes> [noreply]  stores where a value is")                \
  X(append, "append", storage, any, store,                                                        \
    "append <seg>+ <flags> <exptime> <bytes> [noreply]   adds bytes after a value")               \
  X(prepend, "prepend", storage, any, store,                                                      \
    "prepend <seg>+ <flags> <exptime> <bytes> [noreply]  adds bytes before a value")              \
  X(cas, "cas", cas_storage, any, store,                                                          \
    "cas <seg>+ <flags> <exptime> <bytes> <cas unique> [noreply]  stores if unchanged")           \
  X(get, "get", keys, any, get_values,                                                            \
    "get <key>+                values of top-level keys")                                         \
  X(gets, "gets", keys, any, get_values,                                                          \
    "gets <key>+               the same with cas uniques")                                        \
  X(gat, "gat", exptime_keys, any, get_values,                                                    \
    "gat <exptime> <key>+      get and touch")                                                    \
  X(gats, "gats", exptime_keys, any, get_values,                                                  \
    "gats <exptime> <key>+     get and touch, with cas uniques")                                  \
  X(getn, "getn", path, any, get_node,                                                            \
    "getn <seg>+               the value at a path")                                              \
  X(getns, "getns", path, any, get_node,                                                          \
    "getns <seg>+              the value at a path, with its cas unique")                         \
  X(getch, "getch", optional_path, any, get_children,                                             \
    "getch [<seg>*]            the children of a node, sorted")                                   \
  X(gettree, "gettree", optional_path, any, get_tree,                                             \
    "gettree [<seg>*]          a node and every value below it")                                  \
  X(dumptree, "dumptree", optional_path, any, dump_tree,                                          \
    "dumptree [<seg>*]         gettree with each value's exptime and cas unique")                 \
  X(stage, "stage", path, any, stage,                                                             \
    "stage <seg>+              a sibling name to build a replacement for the node under")        \
  X(swap, "swap", path_exptime, any, swap,                                                        \
    "swap <seg>+ <staged> <exptime>  replaces the node with its staged sibling, at once")         \
  X(incr, "incr", path_delta, any, arith,                                                         \
    "incr <seg>+ <delta> [noreply]")                                                              \
  X(decr, "decr", path_delta, any, arith,                                                         \
    "decr <seg>+ <delta> [noreply]")                                                              \
  X(touch, "touch", path_exptime, any, touch,                                                     \
    "touch <seg>+ <exptime> [noreply]")                                                           \
  X(del, "delete", delete_path, any, remove,                                                      \
    "delete <seg>+ [noreply]   removes the node and its whole subtree")                           \
  X(flush_all, "flush_all", flush_delay, any, flush_all,                                          \
    "flush_all [delay] [noreply]")                                                                \
  X(cache_memlimit, "cache_memlimit", memlimit_megabytes, any, cache_memlimit,                    \
    "cache_memlimit <megabytes> [noreply]  the -m budget, changed at run time")                   \
  X(stats, "stats", stats_group, any, stats,                                                      \
    "stats [settings|items|slabs|sizes|reset|cachedump <class> <limit>]")                         \
  X(slabs, "slabs", subcommand, any, slabs,                                                       \
    "slabs automove <0|1|2> | reassign <src> <dst>  accepted (no slabs to move)")                 \
  X(lru, "lru", subcommand, any, lru,                                                             \
    "lru tune <hot%> <warm%> <hf> <wf> | mode <m> | temp_ttl <s>  accepted")                      \
  X(lru_crawler, "lru_crawler", subcommand, any, lru_crawler,                                     \
    "lru_crawler metadump <all|hash|ids>  keys; also crawl, enable, disable, sleep, tocrawl")     \
  X(mg, "mg", meta, any, meta_get,                                                                \
    "mg <key> <flag>*          meta get: VA/HD/EN, flags b c f h k l O q s t u v N R T")         \
  X(ms, "ms", meta_storage, any, meta_set,                                                        \
    "ms <key> <datalen> <flag>*  meta set, then a data block: HD/NS/EX/NF")                      \
  X(md, "md", meta, any, meta_delete,                                                             \
    "md <key> <flag>*          meta delete: HD/NF/EX, flags b C I k O q T")                       \
  X(ma, "ma", meta, any, meta_arith,                                                              \
    "ma <key> <flag>*          meta arithmetic: HD/VA/NF/NS/EX, flags b C N J D T M q t c v k O")  \
  X(mn, "mn", none, any, meta_noop,                                                               \
    "mn                        meta no-op: MN")                                                   \
  X(me, "me", meta_debug, any, meta_debug,                                                        \
    "me <key> [b]              meta debug: an item's expiry, access, cas and size")               \
  X(watchtree, "watchtree", revision_path, any, watch_tree,                                       \
    "watchtree <rev> [<seg>*]  streams the changes below a node after <rev> (0: from now)")       \
  X(version, "version", none, any, version,                                                       \
    "version")                                                                                    \
  X(verbosity, "verbosity", verbosity_level, any, verbosity,                                      \
    "verbosity <level> [noreply]")                                                                \
  X(snapshot, "snapshot", none, any, snapshot,                                                    \
    "snapshot                  with --data-dir: write a snapshot now, in the background")        \
  X(quit, "quit", none, any, quit,                                                                \
    "quit")                                                                                       \
  X(help, "help", none, nested, help,                                                             \
    "help                      this list")
// clang-format on

namespace nestcache {

enum class Verb : uint8_t {
#define NESTCACHE_VERB(verb, name, shape, modes, handler, help) verb,
  NESTCACHE_COMMANDS(NESTCACHE_VERB)
#undef NESTCACHE_VERB
};

// How the parser reads the arguments after a command's name (parser.cc has one function each).
enum class Shape : uint8_t {
  keys,                // <key>+ : top-level keys (or --key-separator paths), one token each
  exptime_keys,        // <exptime> <key>+
  path,                // <seg>+ [noreply]
  optional_path,       // [<seg>*] [noreply] : none names the root
  revision_path,       // <revision> [<seg>*] [noreply] : the revision in cas_unique
  storage,             // <seg>+ <flags> <exptime> <bytes> [noreply], then a data block
  cas_storage,         // <seg>+ <flags> <exptime> <bytes> <cas unique> [noreply], then a block
  path_delta,          // <seg>+ <delta> [noreply]
  path_exptime,        // <seg>+ <exptime> [noreply]
  delete_path,         // <seg>+ [noreply]; in --compat memcached's <key> [0] [noreply]
  flush_delay,         // [delay] [noreply]
  memlimit_megabytes,  // <megabytes> [noreply]
  verbosity_level,     // <level> [noreply]
  stats_group,         // the rest of the line, read by the engine
  subcommand,          // <subcommand> <arg>*: tokens for the engine; noreply as memcached reads it
  meta,                // <key> <flag>*: one key token (meta_parser.h)
  meta_storage,        // <key> <datalen> <flag>*, then a data block
  meta_debug,          // <key> [b]
  none,                // nothing (more tokens are ignored, as memcached does)
};

// The modes a command exists in.
enum class Modes : uint8_t { any, nested };

struct CommandInfo {
  Verb verb;
  std::string_view name;
  Shape shape;
  Modes modes;
  std::string_view help;
};

inline constexpr CommandInfo kCommands[] = {
#define NESTCACHE_INFO(verb, name, shape, modes, handler, help) \
  {Verb::verb, name, Shape::shape, Modes::modes, help},
    NESTCACHE_COMMANDS(NESTCACHE_INFO)
#undef NESTCACHE_INFO
};
inline constexpr std::size_t kCommandCount = std::size(kCommands);

// The row of `verb` (the table is in Verb order).
constexpr const CommandInfo& command_info(Verb verb) { return kCommands[std::size_t(verb)]; }

// Whether a data block follows the command line.
constexpr bool is_storage(Verb verb) {
  const Shape shape = command_info(verb).shape;
  return shape == Shape::storage || shape == Shape::cas_storage || shape == Shape::meta_storage;
}

}  // namespace nestcache
