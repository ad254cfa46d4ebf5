// The journal directory: which files are segments, and making a directory change durable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/journal_error.h"

namespace nestcache::persistence {

struct SegmentFileName {
  uint64_t first_revision = 0;
  std::string name;
};

struct DirectoryListing {
  std::vector<SegmentFileName> segments;  // in revision order
  std::vector<std::string> others;        // every other name, sorted
  bool exists = true;
  JournalError error;
};

// Lists `dir`: segment files (by name) in revision order, and the other names.
DirectoryListing list_directory(const std::string& dir);

// `dir` + "/" + `name`.
std::string join_path(const std::string& dir, const std::string& name);

// fsync of the directory itself (after a create, rename or unlink in it); 0 or an errno.
int sync_directory(const std::string& dir, FileOps& ops);

}  // namespace nestcache::persistence
