// Reading space-separated tokens out of text the engine holds: `stats <group> ...`'s arguments
// (handed over raw by the parser), a key written with runs of spaces, a multi-get's keys left.
#pragma once

#include <algorithm>
#include <string_view>

namespace nestcache {

// The next space-separated token of `text`, which is advanced past it ("" at the end).
inline std::string_view next_token(std::string_view& text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const std::size_t end = std::min(text.find(' '), text.size());
  const std::string_view token = text.substr(0, end);
  text.remove_prefix(end);
  return token;
}

}  // namespace nestcache
