// Reading reply lines from the right, shared by the reply and watch readers: a path may be
// several spaced segments, so the numbers after it are taken off the end first.
#pragma once

#include <charconv>
#include <string_view>

namespace nestcache::client {

// Takes the last space-separated token off `line` and parses it as a number of type T
// (decimal, the whole token); false, `line` unchanged, when there is none.
template <typename T>
bool take_number(std::string_view& line, T& value) {
  const std::size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view token = line.substr(space + 1);
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || token.empty()) return false;
  line = line.substr(0, space);
  return true;
}

}  // namespace nestcache::client
