// read_snapshot(): streams a snapshot file through a bounded buffer and checks every frame, the
// trailer and the end of the file (proto-spec/persistence.md section 7).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "byte_order.h"
#include "nestcache/persistence/crc32c.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache::persistence {
namespace {

// The file, read through one buffer. Why pread and not mmap: a disk error while reading is then
// an errno reported as io_error, where a mapped page would raise SIGBUS.
class FileWindow {
 public:
  FileWindow(int fd, uint64_t size, std::size_t buffer_size)
      : fd_(fd), size_(size), read_size_(std::max<std::size_t>(buffer_size, kFrameHeaderSize)) {}

  // Makes bytes [at, at + n) of the file available; `at + n` must not pass the file's size.
  // Empty with errno_ set when the file cannot be read (or shrank meanwhile).
  std::string_view bytes(uint64_t at, std::size_t n) {
    if (at >= start_ && at + n <= start_ + held_) {
      return {buffer_.get() + (at - start_), n};
    }
    std::size_t keep = 0;
    if (at >= start_ && at < start_ + held_) {
      keep = static_cast<std::size_t>(start_ + held_ - at);
      std::memmove(buffer_.get(), buffer_.get() + (at - start_), keep);
    }
    // Never more than the file holds, so a small file gets a small buffer.
    const std::size_t want =
        static_cast<std::size_t>(std::min<uint64_t>(std::max(n, read_size_), size_ - at));
    if (want > capacity_) {
      auto bigger = std::make_unique_for_overwrite<char[]>(want);
      if (keep > 0) std::memcpy(bigger.get(), buffer_.get(), keep);
      buffer_ = std::move(bigger);
      capacity_ = want;
    }
    start_ = at;
    held_ = keep;
    while (held_ < want) {
      const ssize_t r =
          ::pread(fd_, buffer_.get() + held_, want - held_, static_cast<off_t>(start_ + held_));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        errno_ = r < 0 ? errno : EIO;
        return {};
      }
      held_ += static_cast<std::size_t>(r);
    }
    return {buffer_.get(), n};
  }

  int error() const { return errno_; }

 private:
  int fd_;
  uint64_t size_;
  std::size_t read_size_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  uint64_t start_ = 0;  // file offset of buffer_[0]
  std::size_t held_ = 0;
  int errno_ = 0;
};

class SnapshotRead {
 public:
  SnapshotRead(const std::string& path, const RecordLimits& limits,
               const std::function<void(const Record&)>& on_record, std::size_t buffer_size)
      : path_(path), limits_(limits), on_record_(on_record), buffer_size_(buffer_size) {}

  SnapshotReport run() {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io(errno, 0, "cannot open the snapshot");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return io(err, 0, "cannot stat the snapshot");
    }
    FileWindow window(fd, static_cast<uint64_t>(st.st_size), buffer_size_);
    read_all(window, static_cast<uint64_t>(st.st_size));
    ::close(fd);
    return report_;
  }

 private:
  SnapshotReport& io(int err, uint64_t at, std::string detail) {
    report_.outcome = SnapshotOutcome::io_error;
    report_.error = {JournalErrorKind::io, err, path_, at, std::move(detail)};
    return report_;
  }

  void damage(uint64_t at, std::string detail) {
    report_.outcome = SnapshotOutcome::damaged;
    report_.error = {JournalErrorKind::damaged, 0, path_, at, std::move(detail)};
  }

  void read_all(FileWindow& window, uint64_t size) {
    if (size < kSnapshotHeaderSize) return damage(0, "snapshot header missing or cut short");
    const std::string_view header_bytes = window.bytes(0, kSnapshotHeaderSize);
    if (header_bytes.empty()) return (void)io(window.error(), 0, "cannot read the snapshot");
    SnapshotHeader header;
    if (const std::string_view e = decode_snapshot_header(header_bytes, header); !e.empty()) {
      return damage(0, std::string(e));
    }
    report_.revision = header.revision;
    report_.started_at = header.started_at;
    const std::size_t slash = path_.rfind('/');
    const auto named = parse_snapshot_name(
        std::string_view(path_).substr(slash == std::string::npos ? 0 : slash + 1));
    if (named && *named != header.revision) {
      return damage(0, "the header's revision " + std::to_string(header.revision) +
                           " is not the file name's");
    }
    const std::size_t max_body = max_body_size(limits_);
    uint32_t crc = 0;
    for (uint64_t at = kSnapshotHeaderSize;;) {
      if (at == size) {
        return damage(at, "no trailer after " + std::to_string(report_.records) +
                              " records: the snapshot is cut short");
      }
      if (size - at < kFrameHeaderSize) return damage(at, "a frame cut short");
      const std::string_view word = window.bytes(at, kFrameHeaderSize);
      if (word.empty()) return (void)io(window.error(), at, "cannot read the snapshot");
      const uint32_t length = load_le<uint32_t>(word.data());
      // Checked before the buffer grows for it: a flipped length allocates nothing.
      if (length == 0 || length > max_body) return damage(at, "a bad frame length");
      const std::size_t framed = kFrameHeaderSize + align_frame(length);
      if (framed > size - at) return damage(at, "a frame cut short");
      const std::string_view bytes = window.bytes(at, framed);
      if (bytes.empty()) return (void)io(window.error(), at, "cannot read the snapshot");
      const Frame frame = read_frame(bytes, max_body);
      if (frame.status != FrameStatus::ok) return damage(at, "a frame CRC mismatch");
      if (bytes.find_first_not_of('\0', kFrameHeaderSize + length) != std::string_view::npos) {
        return damage(at, "non-zero padding after a frame");
      }
      if (static_cast<uint8_t>(frame.body[0]) == kSnapshotEndKind) {
        return check_trailer(frame.body, at, framed, size, header.revision, crc);
      }
      const DecodedRecord decoded = decode_record(frame.body, limits_);
      if (decoded.error != RecordError::none) {
        return damage(
            at, "a record that does not decode (" + std::string(to_string(decoded.error)) + ")");
      }
      const RecordKind kind = decoded.record.kind;
      if (kind != RecordKind::store && kind != RecordKind::touch &&
          kind != RecordKind::memory_limit) {
        return damage(at, "a record of kind " + std::to_string(static_cast<int>(kind)) +
                              ", which a snapshot does not hold");
      }
      crc = crc32c(bytes, crc);
      ++report_.records;
      on_record_(decoded.record);
      at += framed;
    }
  }

  void check_trailer(std::string_view body, uint64_t at, std::size_t framed, uint64_t size,
                     uint64_t revision, uint32_t crc) {
    SnapshotTrailer trailer;
    if (!decode_snapshot_trailer(body, trailer)) return damage(at, "a bad trailer");
    if (trailer.revision != revision) {
      return damage(at, "the trailer's revision is not the header's");
    }
    if (trailer.records != report_.records) {
      return damage(at, "the trailer counts " + std::to_string(trailer.records) +
                            " records, the file holds " + std::to_string(report_.records));
    }
    if (trailer.crc != crc) return damage(at, "the records do not match the trailer's CRC");
    if (at + framed != size) return damage(at + framed, "bytes after the trailer");
  }

  const std::string& path_;
  const RecordLimits& limits_;
  const std::function<void(const Record&)>& on_record_;
  std::size_t buffer_size_;
  SnapshotReport report_;
};

}  // namespace

std::string SnapshotReport::log_line() const {
  if (outcome != SnapshotOutcome::ok) return error.message();
  return "snapshot: " + std::to_string(records) + " records at revision " +
         std::to_string(revision);
}

SnapshotReport read_snapshot(const std::string& path, const RecordLimits& limits,
                             const std::function<void(const Record&)>& on_record,
                             std::size_t buffer_size) {
  return SnapshotRead(path, limits, on_record, buffer_size).run();
}

}  // namespace nestcache::persistence
