#include "nestcache/protocol/path_args.h"

namespace nestcache {

void split_key(std::string_view token, char separator, Path& path) {
  if (separator == '\0') {
    path.push_back(token);
    return;
  }
  for (std::size_t at = token.find(separator); at != std::string_view::npos;
       at = token.find(separator)) {
    path.push_back(token.substr(0, at));
    token.remove_prefix(at + 1);
  }
  path.push_back(token);
}

}  // namespace nestcache
