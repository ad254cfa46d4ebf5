#include "directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "nestcache/persistence/segment.h"

namespace nestcache::persistence {

DirectoryListing list_directory(const std::string& dir) {
  DirectoryListing listing;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      listing.exists = false;
    } else {
      listing.error = {JournalErrorKind::io, errno, dir, 0, "cannot list the journal directory"};
    }
    return listing;
  }
  while (const dirent* entry = ::readdir(d)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (const auto revision = parse_segment_name(name)) {
      listing.segments.push_back({*revision, name});
    } else {
      listing.others.push_back(name);
    }
  }
  ::closedir(d);
  std::sort(listing.segments.begin(), listing.segments.end(),
            [](const SegmentFileName& a, const SegmentFileName& b) {
              return a.first_revision < b.first_revision;
            });
  std::sort(listing.others.begin(), listing.others.end());
  return listing;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

int sync_directory(const std::string& dir, FileOps& ops) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = ops.fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace nestcache::persistence
