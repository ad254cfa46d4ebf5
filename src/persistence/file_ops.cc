#include "nestcache/persistence/file_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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

int write_all(FileOps& ops, int fd, std::string_view bytes, uint64_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w =
        ops.pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

}  // namespace nestcache::persistence
