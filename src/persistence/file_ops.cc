#include "nestcache/persistence/file_ops.h"

#include <fcntl.h>
#include <unistd.h>

namespace nestcache::persistence {
namespace {

class SystemFileOps final : public FileOps {
 public:
  ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
    return ::pwrite(fd, data, size, offset);
  }
  int fdatasync(int fd) override { return ::fdatasync(fd); }
  int fsync(int fd) override { return ::fsync(fd); }
  int fallocate(int fd, off_t offset, off_t length) override {
    return ::posix_fallocate(fd, offset, length);
  }
};

}  // namespace

FileOps& system_file_ops() {
  static SystemFileOps ops;
  return ops;
}

}  // namespace nestcache::persistence
