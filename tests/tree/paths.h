// Test helpers for paths.
#pragma once

#include <string>
#include <string_view>

#include "nestcache/common/path.h"

namespace nestcache {

// The path's segments joined by single spaces, as the protocol writes a path.
inline std::string joined(const Path& path) {
  std::string text;
  for (std::string_view segment : path) {
    if (!text.empty()) text.push_back(' ');
    text.append(segment);
  }
  return text;
}

}  // namespace nestcache
