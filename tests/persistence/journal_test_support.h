// Helpers for the journal tests: a temporary directory removed afterwards, whole-file reads and
// writes, and records built the way the tree would describe its changes.
#pragma once

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/journal_reader.h"
#include "nestcache/persistence/record.h"

namespace nestcache::persistence::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it, mounts first.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/nestcache-journal-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Mounts a tmpfs of `bytes` (read-only when asked) at `name` inside this directory; false when
  // the kernel refuses (not root). Unmounted when the TempDir goes.
  bool mount_tmpfs(const std::string& name, std::size_t bytes, bool read_only) {
    const std::string where = file(name);
    std::filesystem::create_directory(where);
    const std::string data = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", where.c_str(), "tmpfs", read_only ? MS_RDONLY : 0, data.c_str()) != 0) {
      return false;
    }
    mounts_.push_back(where);
    return true;
  }

 private:
  std::string path_;
  std::vector<std::string> mounts_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A record that owns the bytes its views point at.
struct OwnedRecord {
  std::vector<std::string> segments;
  std::string data;
  Record record;

  OwnedRecord() = default;
  explicit OwnedRecord(const Record& r) : segments(r.path.begin(), r.path.end()), data(r.data) {
    record = r;
    rebind();
  }
  OwnedRecord(const OwnedRecord& other)
      : segments(other.segments), data(other.data), record(other.record) {
    rebind();
  }
  OwnedRecord& operator=(const OwnedRecord&) = delete;

  void rebind() {
    record.path.clear();
    for (const std::string& s : segments) record.path.push_back(s);
    record.data = data;
  }
};

// The i-th record of a test journal: every kind in turn, values of varying sizes.
inline OwnedRecord make_record(uint64_t i) {
  OwnedRecord o;
  Record& r = o.record;
  r.revision = i + 1;
  r.kind = static_cast<RecordKind>(1 + i % 7);
  if (r.kind == RecordKind::store || i % 3 == 0) r.kind = RecordKind::store;
  o.segments = {"ns" + std::to_string(i % 3), "key" + std::to_string(i)};
  switch (r.kind) {
    case RecordKind::store:
      o.data = std::string(i * 7 % 90, static_cast<char>('a' + i % 26));
      r.flags = static_cast<uint32_t>(i * 13);
      r.exptime = i % 2 == 0 ? 0 : 1'700'000'000 + static_cast<int64_t>(i);
      break;
    case RecordKind::touch:
      r.exptime = 1'700'000'100 + static_cast<int64_t>(i);
      break;
    case RecordKind::flush:
      o.segments.clear();
      r.flush_at = 1'700'000'200;
      break;
    case RecordKind::memory_limit:
      o.segments.clear();
      r.memory_limit = (i + 1) << 20;
      break;
    default:
      break;
  }
  o.rebind();
  return o;
}

// Scans `dir` and keeps a copy of every record read.
struct Scanned {
  ScanReport report;
  std::vector<OwnedRecord> records;
};

inline Scanned scan(const std::string& dir, bool truncate_corrupt = false,
                    bool repair_tail = true) {
  Scanned out;
  ScanOptions options;
  options.dir = dir;
  options.truncate_corrupt = truncate_corrupt;
  options.repair_tail = repair_tail;
  out.report = scan_journal(options, [&](const Record& r) { out.records.emplace_back(r); });
  return out;
}

// The real calls, with failures switched on by the test.
class FaultyFileOps final : public FileOps {
 public:
  std::atomic<int> fdatasync_errno{0};
  std::atomic<int> fallocate_errno{0};
  std::atomic<int> pwrite_errno{0};

  ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
    if (const int e = pwrite_errno.load()) {
      errno = e;
      return -1;
    }
    return system_file_ops().pwrite(fd, data, size, offset);
  }
  int fdatasync(int fd) override {
    if (const int e = fdatasync_errno.load()) {
      errno = e;
      return -1;
    }
    return system_file_ops().fdatasync(fd);
  }
  int fsync(int fd) override { return system_file_ops().fsync(fd); }
  int fallocate(int fd, off_t offset, off_t length) override {
    if (const int e = fallocate_errno.load()) return e;
    return system_file_ops().fallocate(fd, offset, length);
  }
};

}  // namespace nestcache::persistence::testing
