// The system calls the journal writer makes that a test needs to fail on purpose (a failing
// fdatasync, a full disk), behind one small interface. Production uses system_file_ops().
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nestcache::persistence {

class FileOps {
 public:
  virtual ~FileOps() = default;
  // Each is the POSIX call of that name: -1 with errno set on failure (fallocate returns the
  // error number, as posix_fallocate does).
  virtual ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) = 0;
  virtual int fdatasync(int fd) = 0;
  virtual int fsync(int fd) = 0;
  virtual int fallocate(int fd, off_t offset, off_t length) = 0;
};

// The real system calls (pwrite, fdatasync, fsync, posix_fallocate).
FileOps& system_file_ops();

// Writes all of `bytes` at `offset` of `fd` with ops.pwrite, going on after short writes and
// EINTR: 0, or the errno of the write that failed (EIO for one that wrote nothing).
int write_all(FileOps& ops, int fd, std::string_view bytes, uint64_t offset);

}  // namespace nestcache::persistence
