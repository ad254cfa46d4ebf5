#include "nestcache/protocol/path_args.h"

namespace nestcache {

void split_key(std::string_view token, char separator, Path& path) {
  for_each_segment(token, separator, [&path](std::string_view segment) {
    path.push_back(segment);
    return true;
  });
}

}  // namespace nestcache
