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

}  // namespace

std::optional<Verb> find_verb(std::string_view name) {
  for (const auto& [text, verb] : kVerbs) {
    if (text == name) return verb;
  }
  return std::nullopt;
}

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
