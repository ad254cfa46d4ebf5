#include "nestcache/persistence/journal_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "directory.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/segment.h"

namespace nestcache::persistence {
namespace {

bool is_no_space(int err) { return err == ENOSPC || err == EDQUOT; }

// An error from a failed system call: no_space for a full disk (or quota), io otherwise.
JournalError sys_error(int err, std::string file, std::string detail) {
  return {is_no_space(err) ? JournalErrorKind::no_space : JournalErrorKind::io, err,
          std::move(file), 0, std::move(detail)};
}

}  // namespace

SegmentFile::~SegmentFile() {
  if (fd >= 0) ::close(fd);
}

JournalWriter::JournalWriter(JournalOptions options)
    : options_(std::move(options)),
      ops_(options_.file_ops != nullptr ? *options_.file_ops : system_file_ops()) {}

JournalWriter::~JournalWriter() = default;

std::shared_ptr<SegmentFile> JournalWriter::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

JournalError JournalWriter::fail(JournalError error) {
  std::lock_guard lock(mutex_);
  if (!failed_.load(std::memory_order_relaxed)) {
    fatal_ = std::move(error);
    fatal_.kind = JournalErrorKind::failed;
    fatal_.detail += "; the journal refuses everything from now on";
    failed_.store(true, std::memory_order_release);
  }
  return fatal_;
}

JournalError JournalWriter::failed_error() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

JournalError JournalWriter::open(const JournalPosition& end) {
  if (::mkdir(options_.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return sys_error(errno, options_.dir, "cannot create the journal directory");
  }
  const DirectoryListing listing = list_directory(options_.dir);
  if (!listing.error.ok()) return listing.error;
  for (const std::string& name : listing.others) {
    // A cut that a crash interrupted leaves a temp file that was never part of the journal.
    if (name.ends_with(".seg.tmp")) ::unlink(join_path(options_.dir, name).c_str());
  }
  segments_.clear();
  for (const SegmentFileName& segment : listing.segments) {
    segments_.push_back(segment.first_revision);
  }
  counters_.segments.store(segments_.size(), std::memory_order_relaxed);
  last_revision_.store(end.last_revision, std::memory_order_relaxed);
  if (end.segment.empty()) {
    if (!segments_.empty()) {
      return {JournalErrorKind::io, EEXIST, options_.dir, 0,
              "the directory holds segments: open the writer where a scan of them ended"};
    }
    return cut(std::max<uint64_t>(options_.segment_size, kSegmentHeaderSize));
  }
  if (segments_.empty() || segment_name(segments_.back()) != end.segment) {
    // Appending anywhere but at the end of the last segment would bury the segments after it.
    return {JournalErrorKind::io, EINVAL, join_path(options_.dir, end.segment), 0,
            "not the journal's last segment: open the writer where a scan ended"};
  }
  const std::string path = join_path(options_.dir, end.segment);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, path, "cannot open the last segment for writing");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return sys_error(err, path, "cannot stat the last segment");
  }
  auto file = std::make_shared<SegmentFile>();
  file->fd = fd;
  file->path = path;
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(file);
  }
  // A scan that stopped inside a frame's padding ends off the alignment: the next frame starts
  // at the next aligned offset (the repair zeroed the bytes in between).
  offset_ = std::max<uint64_t>(align_frame(end.offset), kSegmentHeaderSize);
  capacity_ = std::max<uint64_t>(static_cast<uint64_t>(st.st_size), offset_);
  return {};
}

JournalError JournalWriter::reserve(uint64_t bytes) { return ensure_room(bytes); }

JournalError JournalWriter::ensure_room(uint64_t bytes) {
  if (failed()) return failed_error();
  if (capacity_ == 0) return {JournalErrorKind::io, EBADF, options_.dir, 0, "journal not open"};
  const uint64_t used = offset_ + pending_.size();
  if (used + bytes <= capacity_) [[likely]] {
    return {};
  }
  if (used == kSegmentHeaderSize) {
    const auto file = current();
    // An empty segment grows in place: a cut would give the next segment the same name.
    const int rc = ops_.fallocate(file->fd, 0, static_cast<off_t>(used + bytes));
    if (rc != 0) return sys_error(rc, file->path, "cannot grow the segment");
    capacity_ = used + bytes;
    return {};
  }
  return cut(std::max<uint64_t>(options_.segment_size, kSegmentHeaderSize + bytes));
}

JournalError JournalWriter::create_segment(uint64_t capacity, int& fd, std::string& path) {
  const uint64_t prev = last_revision_.load(std::memory_order_relaxed);
  path = join_path(options_.dir, segment_name(prev + 1));
  const std::string tmp = path + ".tmp";
  fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error(errno, tmp, "cannot create a segment");
  // Undoes the temp file after a failure with `err`.
  auto give_up = [&](int err, const char* what) {
    ::close(fd);
    fd = -1;
    ::unlink(tmp.c_str());
    return sys_error(err, tmp, what);
  };
  if (const int rc = ops_.fallocate(fd, 0, static_cast<off_t>(capacity)); rc != 0) {
    return give_up(rc, "cannot preallocate a segment");
  }
  const std::string header = encode_segment_header({kFormatVersion, prev + 1, prev});
  const ssize_t w = ops_.pwrite(fd, header.data(), header.size(), 0);
  if (w != static_cast<ssize_t>(header.size())) {
    return give_up(w < 0 ? errno : EIO, "cannot write a segment header");
  }
  if (ops_.fsync(fd) != 0) return give_up(errno, "cannot fsync a new segment");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return give_up(errno, "cannot name a segment");
  if (const int rc = sync_directory(options_.dir, ops_); rc != 0) {
    ::close(fd);
    fd = -1;
    return fail(sys_error(rc, options_.dir, "cannot fsync the journal directory"));
  }
  return {};
}

void JournalWriter::wait_for_batch() {
  std::unique_lock lock(mutex_);
  batch_done_.wait(lock, [this] { return !in_flight_; });
}

JournalError JournalWriter::cut(uint64_t capacity) {
  wait_for_batch();
  if (!pending_.empty()) {
    if (JournalError e = write(); !e.ok()) return e;
  }
  if (const auto old = current()) {
    if (ops_.fdatasync(old->fd) != 0) {
      return fail(sys_error(errno, old->path, "fdatasync of a full segment failed"));
    }
    counters_.syncs.fetch_add(1, std::memory_order_relaxed);
  }
  int fd = -1;
  std::string path;
  if (JournalError e = create_segment(capacity, fd, path); !e.ok()) return e;
  auto file = std::make_shared<SegmentFile>();
  file->fd = fd;
  file->path = std::move(path);
  {
    std::lock_guard lock(mutex_);
    current_ = std::move(file);
  }
  segments_.push_back(last_revision_.load(std::memory_order_relaxed) + 1);
  capacity_ = capacity;
  offset_ = kSegmentHeaderSize;
  counters_.segments_cut.fetch_add(1, std::memory_order_relaxed);
  counters_.segments.store(segments_.size(), std::memory_order_relaxed);
  return {};
}

JournalError JournalWriter::append(const Record& record) {
  if (failed()) return failed_error();
  if (const RecordError e = check_record(record, options_.limits); e != RecordError::none) {
    return {JournalErrorKind::bad_record, 0, {}, 0, std::string(to_string(e))};
  }
  if (JournalError e = ensure_room(framed_size(record)); !e.ok()) return e;
  append_frame(record, pending_);
  appended(record.revision);
  return {};
}

JournalError JournalWriter::append_framed(std::string_view framed, uint64_t revision,
                                          uint64_t records) {
  if (failed()) return failed_error();
  if (JournalError e = ensure_room(framed.size()); !e.ok()) return e;
  pending_.append(framed);
  appended(revision, records);
  return {};
}

void JournalWriter::appended(uint64_t revision, uint64_t records) {
  // A segment with records counts its own first revision as handed out, so the next cut is
  // named above it even when the records came out of revision order (the reader does the same).
  const uint64_t last = std::max({last_revision_.load(std::memory_order_relaxed), revision,
                                  segments_.empty() ? 0 : segments_.back()});
  last_revision_.store(last, std::memory_order_relaxed);
  counters_.records.fetch_add(records, std::memory_order_relaxed);
}

uint64_t JournalWriter::room() const {
  const uint64_t used = offset_ + pending_.size();
  return capacity_ > used ? capacity_ - used : 0;
}

JournalError JournalWriter::write() {
  if (failed()) return failed_error();
  if (pending_.empty()) return {};
  const auto file = current();
  if (const int err = write_all(ops_, file->fd, pending_, offset_); err != 0) {
    // Kept whole on a full disk: the next write() puts the batch at the same offset again.
    if (is_no_space(err)) return sys_error(err, file->path, "write of the journal batch");
    return fail(sys_error(err, file->path, "write failed"));
  }
  offset_ += pending_.size();
  counters_.bytes_written.fetch_add(pending_.size(), std::memory_order_relaxed);
  counters_.writes.fetch_add(1, std::memory_order_relaxed);
  pending_.clear();
  return {};
}

JournalError JournalWriter::take_batch(Batch& batch) {
  if (failed()) return failed_error();
  if (pending_.empty()) return {};
  batch.file_ = current();
  batch.offset_ = offset_;
  batch.bytes_.clear();
  batch.bytes_.swap(pending_);
  offset_ += batch.bytes_.size();
  std::lock_guard lock(mutex_);
  in_flight_ = true;
  return {};
}

JournalError JournalWriter::write_batch(Batch& batch) {
  if (batch.bytes_.empty()) return {};
  JournalError error;
  if (const int err = write_all(ops_, batch.file_->fd, batch.bytes_, batch.offset_); err != 0) {
    error = fail(sys_error(err, batch.file_->path, "write failed"));
  } else {
    counters_.bytes_written.fetch_add(batch.bytes_.size(), std::memory_order_relaxed);
    counters_.writes.fetch_add(1, std::memory_order_relaxed);
  }
  batch.bytes_.clear();
  batch.file_.reset();
  {
    std::lock_guard lock(mutex_);
    in_flight_ = false;
  }
  batch_done_.notify_all();
  return error;
}

JournalError JournalWriter::sync() {
  if (failed()) return failed_error();
  const auto file = current();
  if (file == nullptr) return {};
  if (ops_.fdatasync(file->fd) != 0) {
    return fail(sys_error(errno, file->path, "fdatasync failed"));
  }
  counters_.syncs.fetch_add(1, std::memory_order_relaxed);
  return {};
}

JournalError JournalWriter::commit() {
  if (JournalError e = write(); !e.ok()) return e;
  return sync();
}

JournalError JournalWriter::start_segment(uint64_t& first_revision) {
  if (failed()) return failed_error();
  if (current() == nullptr)
    return {JournalErrorKind::io, EBADF, options_.dir, 0, "journal not open"};
  if (offset_ + pending_.size() > kSegmentHeaderSize) {
    if (JournalError e = cut(std::max<uint64_t>(options_.segment_size, kSegmentHeaderSize));
        !e.ok()) {
      return e;
    }
  }
  first_revision = segments_.back();
  return {};
}

JournalError JournalWriter::drop_segments_before(uint64_t revision) {
  if (failed()) return failed_error();
  std::size_t dropped = 0;
  // Segment k holds revisions below segments_[k + 1]; the last one is being written.
  while (segments_.size() >= 2 && segments_[1] <= revision) {
    const std::string path = join_path(options_.dir, segment_name(segments_[0]));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return sys_error(errno, path, "cannot remove an old segment");
    }
    segments_.erase(segments_.begin());
    ++dropped;
  }
  if (dropped == 0) return {};
  counters_.segments_dropped.fetch_add(dropped, std::memory_order_relaxed);
  counters_.segments.store(segments_.size(), std::memory_order_relaxed);
  if (const int rc = sync_directory(options_.dir, ops_); rc != 0) {
    return sys_error(rc, options_.dir, "cannot fsync the journal directory");
  }
  return {};
}

JournalStats JournalWriter::stats() const {
  const auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return {get(counters_.records), get(counters_.bytes_written), get(counters_.writes),
          get(counters_.syncs),   get(counters_.segments_cut),  get(counters_.segments_dropped),
          get(counters_.segments)};
}

}  // namespace nestcache::persistence
