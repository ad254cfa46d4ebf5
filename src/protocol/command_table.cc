#include "command_table.h"

namespace nestcache {
namespace {

// The lookup: by length, then the names of that length (GCC inlines each compare as a few word
// compares), the frequent names first: ~130 instructions per request less than a scan of
// kCommands. A new row needs its line here too; the static_assert below fails until it has one.
constexpr std::optional<Verb> lookup(std::string_view name) {
  switch (name.size()) {
    case 2:
      if (name == "mg") return Verb::mg;
      if (name == "ms") return Verb::ms;
      if (name == "md") return Verb::md;
      if (name == "ma") return Verb::ma;
      if (name == "mn") return Verb::mn;
      if (name == "me") return Verb::me;
      break;
    case 3:
      if (name == "get") return Verb::get;
      if (name == "set") return Verb::set;
      if (name == "gat") return Verb::gat;
      if (name == "add") return Verb::add;
      if (name == "cas") return Verb::cas;
      if (name == "lru") return Verb::lru;
      break;
    case 4:
      if (name == "getn") return Verb::getn;
      if (name == "gets") return Verb::gets;
      if (name == "gats") return Verb::gats;
      if (name == "incr") return Verb::incr;
      if (name == "decr") return Verb::decr;
      if (name == "quit") return Verb::quit;
      if (name == "swap") return Verb::swap;
      if (name == "help") return Verb::help;
      break;
    case 5:
      if (name == "getns") return Verb::getns;
      if (name == "getch") return Verb::getch;
      if (name == "touch") return Verb::touch;
      if (name == "stats") return Verb::stats;
      if (name == "slabs") return Verb::slabs;
      if (name == "stage") return Verb::stage;
      break;
    case 6:
      if (name == "delete") return Verb::del;
      if (name == "append") return Verb::append;
      break;
    case 7:
      if (name == "gettree") return Verb::gettree;
      if (name == "replace") return Verb::replace;
      if (name == "prepend") return Verb::prepend;
      if (name == "version") return Verb::version;
      break;
    case 8:
      if (name == "snapshot") return Verb::snapshot;
      if (name == "dumptree") return Verb::dumptree;
      break;
    case 9:
      if (name == "flush_all") return Verb::flush_all;
      if (name == "verbosity") return Verb::verbosity;
      if (name == "watchtree") return Verb::watchtree;
      break;
    case 11:
      if (name == "lru_crawler") return Verb::lru_crawler;
      break;
    case 14:
      if (name == "cache_memlimit") return Verb::cache_memlimit;
      break;
    default:
      break;
  }
  return std::nullopt;
}

constexpr bool lookup_matches_table() {
  for (const CommandInfo& row : kCommands) {
    if (lookup(row.name) != row.verb) return false;
  }
  return true;
}
static_assert(lookup_matches_table(), "a row of commands.h is missing from lookup() above");

constexpr bool table_in_verb_order() {
  for (std::size_t i = 0; i < kCommandCount; ++i) {
    if (std::size_t(kCommands[i].verb) != i || kCommands[i].help.empty()) return false;
  }
  return true;
}
static_assert(table_in_verb_order(), "rows in Verb order, each with a help line");

}  // namespace

std::optional<Verb> find_verb(std::string_view name) { return lookup(name); }

}  // namespace nestcache
