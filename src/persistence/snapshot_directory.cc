// The snapshot files of a directory: listing them and letting the old ones go.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "directory.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache::persistence {

SnapshotList list_snapshots(const std::string& dir) {
  SnapshotList list;
  DirectoryListing listing = list_directory(dir);
  if (!listing.error.ok()) {
    list.error = std::move(listing.error);
    return list;
  }
  for (std::string& name : listing.others) {
    if (const auto revision = parse_snapshot_name(name)) {
      list.files.push_back({*revision, std::move(name)});
    }
  }
  std::sort(list.files.begin(), list.files.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.revision > b.revision; });
  return list;
}

JournalError remove_snapshots_before(const std::string& dir, uint64_t revision, FileOps* file_ops) {
  SnapshotList list = list_snapshots(dir);
  if (!list.error.ok()) return list.error;
  bool removed = false;
  // files[0] is the newest: kept even when it is older than `revision`, as the last one there is.
  for (std::size_t i = 1; i < list.files.size(); ++i) {
    if (list.files[i].revision >= revision) continue;
    const std::string path = join_path(dir, list.files[i].name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return {JournalErrorKind::io, errno, path, 0, "cannot remove an old snapshot"};
    }
    removed = true;
  }
  if (!removed) return {};
  FileOps& ops = file_ops != nullptr ? *file_ops : system_file_ops();
  if (const int rc = sync_directory(dir, ops); rc != 0) {
    return {JournalErrorKind::io, rc, dir, 0, "cannot fsync the snapshot directory"};
  }
  return {};
}

}  // namespace nestcache::persistence
