#include "nestcache/persistence/journal_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string_view>

#include "directory.h"
#include "nestcache/persistence/file_ops.h"
#include "nestcache/persistence/segment.h"

namespace nestcache::persistence {
namespace {

// A segment file mapped read-only for the scan. Why mmap: records are handed over as views of
// the file's bytes, so a value is never copied on its way to the tree.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      errno_ = errno;
      return;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      errno_ = errno;
    } else if (st.st_size > 0) {
      size_ = static_cast<std::size_t>(st.st_size);
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        errno_ = errno;
        size_ = 0;
      } else {
        data_ = static_cast<const char*>(p);
        ::madvise(p, size_, MADV_SEQUENTIAL);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  int error() const { return errno_; }
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  int errno_ = 0;
};

// Writes zeros over [from, to) of the file at `path` and fdatasyncs it; 0 or an errno.
int zero_range(const std::string& path, uint64_t from, uint64_t to) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  static const std::string zeros(64 * 1024, '\0');
  int rc = 0;
  while (from < to && rc == 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(zeros.size(), to - from));
    rc = write_all(system_file_ops(), fd, std::string_view(zeros.data(), n), from);
    from += n;
  }
  if (rc == 0 && ::fdatasync(fd) != 0) rc = errno;
  ::close(fd);
  return rc;
}

std::string describe_stop(const SegmentScan& scan) {
  switch (scan.stop) {
    case SegmentStop::end:
      return "non-zero bytes after the last record";
    case SegmentStop::short_frame:
      return "a frame cut short";
    case SegmentStop::bad_length:
      return "a bad frame length";
    case SegmentStop::bad_crc:
      return "a frame CRC mismatch";
    case SegmentStop::bad_record:
      return "a record that does not decode (" + std::string(to_string(scan.record_error)) + ")";
    case SegmentStop::bad_header:
      return std::string(to_string(scan.header_error));
  }
  return "damage";
}

// The scan of a whole directory, one segment at a time.
class JournalScan {
 public:
  JournalScan(const ScanOptions& options, const std::function<void(const Record&)>& on_record)
      : options_(options), on_record_(on_record) {}

  ScanReport run() {
    DirectoryListing listing = list_directory(options_.dir);
    report_.ignored = listing.others;
    if (!listing.error.ok()) return fail_io(listing.error);
    auto& segments = listing.segments;
    std::erase_if(segments, [&](const SegmentFileName& segment) {
      return segment.first_revision < options_.first_revision;
    });
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const bool last = i + 1 == segments.size();
      if (!scan_one(segments, i, last)) break;
    }
    return report_;
  }

 private:
  ScanReport fail_io(JournalError error) {
    report_.outcome = ScanOutcome::io_error;
    report_.error = std::move(error);
    return report_;
  }

  // Scans segments[i]; false when the scan stops there (damage, a cut, an I/O error).
  bool scan_one(const std::vector<SegmentFileName>& segments, std::size_t i, bool last) {
    const std::string& name = segments[i].name;
    const std::string path = join_path(options_.dir, name);
    MappedFile file(path);
    if (file.error() != 0) {
      fail_io({JournalErrorKind::io, file.error(), path, 0, "cannot read the segment"});
      return false;
    }
    // The header and the continuity are checked before any record is handed over.
    SegmentHeader header;
    const HeaderError header_error = decode_segment_header(file.bytes(), header);
    if (header_error != HeaderError::none) {
      return damage(
          segments, i,
          {JournalErrorKind::bad_header, 0, path, 0, std::string(to_string(header_error))}, 0, 0);
    }
    if (header.first_revision != segments[i].first_revision) {
      return damage(segments, i,
                    {JournalErrorKind::bad_header, 0, path, 0,
                     "the header's first revision " + std::to_string(header.first_revision) +
                         " is not the file name's"},
                    0, 0);
    }
    if (i == 0) {
      report_.start_revision = header.prev_last_revision;
      report_.end.last_revision = header.prev_last_revision;
    } else if (header.prev_last_revision != report_.end.last_revision) {
      return damage(
          segments, i,
          {JournalErrorKind::missing_segment, 0, path, 0,
           "the segment follows revision " + std::to_string(header.prev_last_revision) +
               " but the journal before it ends at " + std::to_string(report_.end.last_revision)},
          0, 0);
    }
    const SegmentScan scan = scan_segment(file.bytes(), options_.limits, on_record_);
    report_.records += scan.records;
    ++report_.segments;
    uint64_t highest = std::max(report_.end.last_revision, scan.max_revision);
    if (scan.records > 0)
      highest = std::max(highest, header.first_revision);  // as the writer counts
    report_.end = {name, scan.end, highest};
    if (scan.clean()) return true;
    const bool torn = last && !scan.valid_after && scan.stop != SegmentStop::bad_record;
    if (!torn) {
      std::string detail = describe_stop(scan);
      if (scan.valid_after)
        detail += ", valid records after it at " + std::to_string(*scan.valid_after);
      if (!last) detail += ", more segments after it";
      return damage(segments, i, {JournalErrorKind::damaged, 0, path, scan.end, detail}, scan.end,
                    scan.dirty_end);
    }
    report_.outcome = ScanOutcome::torn_tail;
    report_.torn_bytes = scan.dirty_end - scan.end;
    if (options_.repair_tail && scan.dirty_end > scan.end) {
      if (const int rc = zero_range(path, scan.end, scan.dirty_end); rc != 0) {
        fail_io({JournalErrorKind::io, rc, path, scan.end, "cannot zero the torn tail"});
        return false;
      }
    }
    report_.tail_repaired = options_.repair_tail;
    return false;
  }

  // Damage found in segments[i] at `at` (0: the whole segment is unusable, header included):
  // stops the scan there, and cuts on purpose when asked. `dirty_end`: last non-zero byte.
  bool damage(const std::vector<SegmentFileName>& segments, std::size_t i, JournalError error,
              uint64_t at, uint64_t dirty_end) {
    report_.error = std::move(error);
    if (!options_.truncate_corrupt) {
      report_.outcome = ScanOutcome::damaged;
      return false;
    }
    report_.outcome = ScanOutcome::cut;
    const std::string path = join_path(options_.dir, segments[i].name);
    std::size_t first_renamed = i + 1;
    if (at == 0) {
      first_renamed = i;  // nothing of this segment is kept; the position stays where it was
    } else {
      // Keep the damaged bytes for the operator, then zero them in place.
      const std::string copy = path + ".dropped";
      if (!copy_file(path, copy)) {
        fail_io(
            {JournalErrorKind::io, errno, copy, 0, "cannot keep a copy of the damaged segment"});
        return false;
      }
      report_.dropped.push_back(segments[i].name + ".dropped");
      report_.torn_bytes = dirty_end - at;
      if (const int rc = zero_range(path, at, dirty_end); rc != 0) {
        fail_io({JournalErrorKind::io, rc, path, at, "cannot zero the damaged part"});
        return false;
      }
      report_.tail_repaired = true;
    }
    for (std::size_t k = first_renamed; k < segments.size(); ++k) {
      const std::string from = join_path(options_.dir, segments[k].name);
      if (::rename(from.c_str(), (from + ".dropped").c_str()) != 0) {
        fail_io({JournalErrorKind::io, errno, from, 0, "cannot set the segment aside"});
        return false;
      }
      report_.dropped.push_back(segments[k].name + ".dropped");
      // Revisions up to the dropped segment's name were handed out: never reuse them.
      if (segments[k].first_revision > 0) {
        report_.end.last_revision =
            std::max(report_.end.last_revision, segments[k].first_revision - 1);
      }
    }
    if (const int rc = sync_directory(options_.dir, system_file_ops()); rc != 0) {
      fail_io({JournalErrorKind::io, rc, options_.dir, 0, "cannot sync the directory"});
    }
    return false;
  }

  // Copies the file at `from` to `to` (replacing it) and fdatasyncs the copy; false with errno.
  static bool copy_file(const std::string& from, const std::string& to) {
    MappedFile source(from);
    if (source.error() != 0) {
      errno = source.error();
      return false;
    }
    const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    std::string_view rest = source.bytes();
    while (!rest.empty()) {
      const ssize_t w = ::write(fd, rest.data(), rest.size());
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        const int e = w < 0 ? errno : EIO;
        ::close(fd);
        errno = e;
        return false;
      }
      rest.remove_prefix(static_cast<std::size_t>(w));
    }
    const bool ok = ::fdatasync(fd) == 0;
    const int e = errno;
    ::close(fd);
    errno = e;
    return ok;
  }

  const ScanOptions& options_;
  const std::function<void(const Record&)>& on_record_;
  ScanReport report_;
};

}  // namespace

std::string ScanReport::log_line() const {
  const std::string where = end.segment + " offset " + std::to_string(end.offset);
  switch (outcome) {
    case ScanOutcome::clean:
      return "journal: " + std::to_string(records) + " records in " + std::to_string(segments) +
             " segments, last revision " + std::to_string(end.last_revision);
    case ScanOutcome::torn_tail:
      return "journal: torn tail at " + where + " (" + std::to_string(torn_bytes) +
             " bytes of an incomplete record " + (tail_repaired ? "zeroed" : "ignored") + "); " +
             std::to_string(records) + " records kept";
    case ScanOutcome::damaged:
      return error.message() +
             "; refusing to start (--truncate-corrupt-journal cuts the journal there)";
    case ScanOutcome::cut:
      return error.message() + "; cut there on purpose, " + std::to_string(records) +
             " records kept, " + std::to_string(dropped.size()) + " file(s) set aside as *.dropped";
    case ScanOutcome::io_error:
      return error.message();
  }
  return error.message();
}

ScanReport scan_journal(const ScanOptions& options,
                        const std::function<void(const Record&)>& on_record) {
  return JournalScan(options, on_record).run();
}

}  // namespace nestcache::persistence
