#include "command_table.h"

#include <array>
#include <utility>

namespace nestcache {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 25> kVerbs{{
    {"get", Verb::get},
    {"gets", Verb::gets},
    {"gat", Verb::gat},
    {"gats", Verb::gats},
    {"getn", Verb::getn},
    {"getns", Verb::getns},
    {"getch", Verb::getch},
    {"gettree", Verb::gettree},
    {"set", Verb::set},
    {"add", Verb::add},
    {"replace", Verb::replace},
    {"append", Verb::append},
    {"prepend", Verb::prepend},
    {"cas", Verb::cas},
    {"incr", Verb::incr},
    {"decr", Verb::decr},
    {"touch", Verb::touch},
    {"delete", Verb::del},
    {"flush_all", Verb::flush_all},
    {"version", Verb::version},
    {"verbosity", Verb::verbosity},
    {"cache_memlimit", Verb::cache_memlimit},
    {"quit", Verb::quit},
    {"stats", Verb::stats},
    {"help", Verb::help},
}};

// The lookup: by length, then at most five compares of that length (GCC inlines them as a few
// word compares), the frequent names first. A linear scan of kVerbs cost ~130 instructions per
// request; the static_assert below checks it finds every name of kVerbs.
constexpr std::optional<Verb> lookup(std::string_view name) {
  switch (name.size()) {
    case 3:
      if (name == "get") return Verb::get;
      if (name == "set") return Verb::set;
      if (name == "gat") return Verb::gat;
      if (name == "add") return Verb::add;
      if (name == "cas") return Verb::cas;
      break;
    case 4:
      if (name == "getn") return Verb::getn;
      if (name == "gets") return Verb::gets;
      if (name == "gats") return Verb::gats;
      if (name == "incr") return Verb::incr;
      if (name == "decr") return Verb::decr;
      if (name == "quit") return Verb::quit;
      if (name == "help") return Verb::help;
      break;
    case 5:
      if (name == "getns") return Verb::getns;
      if (name == "getch") return Verb::getch;
      if (name == "touch") return Verb::touch;
      if (name == "stats") return Verb::stats;
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
    case 9:
      if (name == "flush_all") return Verb::flush_all;
      if (name == "verbosity") return Verb::verbosity;
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
  for (const auto& [text, verb] : kVerbs) {
    if (lookup(text) != verb) return false;
  }
  return true;
}
static_assert(lookup_matches_table());

}  // namespace

std::optional<Verb> find_verb(std::string_view name) { return lookup(name); }

bool is_storage(Verb verb) {
  switch (verb) {
    case Verb::set:
    case Verb::add:
    case Verb::replace:
    case Verb::append:
    case Verb::prepend:
    case Verb::cas:
      return true;
    default:
      return false;
  }
}

}  // namespace nestcache
