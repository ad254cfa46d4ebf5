// Finding a command by its name on the wire (the table itself is commands.h).
#pragma once

#include <optional>
#include <string_view>

#include "nestcache/protocol/command.h"

namespace nestcache {

std::optional<Verb> find_verb(std::string_view name);

}  // namespace nestcache
