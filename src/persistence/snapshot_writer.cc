// SnapshotWriter: a snapshot written to a temp file in large chunks, then synced and renamed into
// place (proto-spec/persistence.md section 7).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "directory.h"
#include "nestcache/persistence/crc32c.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache::persistence {
namespace {

constexpr std::string_view kTmpSuffix = ".tmp";

// An error from a failed system call: no_space for a full disk (or quota), io otherwise.
JournalError sys_error(int err, std::string file, std::string detail) {
  const bool no_space = err == ENOSPC || err == EDQUOT;
  return {no_space ? JournalErrorKind::no_space : JournalErrorKind::io, err, std::move(file), 0,
          std::move(detail)};
}

// Removes the snapshot temp files of `dir`: a crash left them, and they were never snapshots.
void remove_stale_temp_files(const std::string& dir) {
  for (const std::string& name : list_directory(dir).others) {
    if (!name.ends_with(kTmpSuffix)) continue;
    const std::string_view base = std::string_view(name).substr(0, name.size() - kTmpSuffix.size());
    if (parse_snapshot_name(base)) ::unlink(join_path(dir, name).c_str());
  }
}

}  // namespace

SnapshotWriter::SnapshotWriter(SnapshotWriterOptions options)
    : options_(options),
      ops_(options_.file_ops != nullptr ? *options_.file_ops : system_file_ops()) {}

SnapshotWriter::~SnapshotWriter() { abandon(); }

void SnapshotWriter::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (state_ == State::open) ::unlink(tmp_path_.c_str());
  if (state_ != State::finished) state_ = State::closed;
  pending_.clear();
}

JournalError SnapshotWriter::open(const std::string& dir, uint64_t revision, int64_t started_at) {
  abandon();
  state_ = State::closed;
  dir_ = dir;
  revision_ = revision;
  path_ = join_path(dir, snapshot_name(revision));
  tmp_path_ = path_ + std::string(kTmpSuffix);
  offset_ = 0;
  records_ = 0;
  crc_ = 0;
  failure_ = {};
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return sys_error(errno, dir, "cannot create the snapshot directory");
  }
  remove_stale_temp_files(dir);
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return sys_error(errno, tmp_path_, "cannot create the snapshot");
  state_ = State::open;
  pending_.clear();
  pending_.reserve(options_.chunk_size + kSnapshotHeaderSize);
  pending_.append(encode_snapshot_header({kSnapshotFormatVersion, revision, started_at}));
  return {};
}

JournalError SnapshotWriter::give_up(JournalError error) {
  abandon();
  state_ = State::failed;
  failure_ = error;
  failure_.kind = JournalErrorKind::failed;
  failure_.detail += "; the snapshot was given up";
  return error;
}

JournalError SnapshotWriter::write_pending() {
  if (const int err = write_all(ops_, fd_, pending_, offset_); err != 0) {
    return give_up(sys_error(err, tmp_path_, "write failed"));
  }
  offset_ += pending_.size();
  pending_.clear();
  // A big value grew the buffer: give the memory back rather than keep it for the whole run.
  if (pending_.capacity() > 4 * options_.chunk_size) {
    pending_.shrink_to_fit();
    pending_.reserve(options_.chunk_size);
  }
  return {};
}

JournalError SnapshotWriter::add(const Record& record) {
  if (state_ == State::failed) return failure_;
  if (state_ != State::open) {
    return {JournalErrorKind::io, EBADF, path_, 0, "snapshot not open"};
  }
  if (record.kind != RecordKind::store && record.kind != RecordKind::touch &&
      record.kind != RecordKind::memory_limit) {
    return {JournalErrorKind::bad_record, 0, tmp_path_, 0,
            "a snapshot holds store, touch and memory_limit records only"};
  }
  if (const RecordError e = check_record(record, options_.limits); e != RecordError::none) {
    return {JournalErrorKind::bad_record, 0, tmp_path_, 0, std::string(to_string(e))};
  }
  const std::size_t start = pending_.size();
  append_frame(record, pending_);
  crc_ = crc32c(std::string_view(pending_).substr(start), crc_);
  ++records_;
  if (pending_.size() >= options_.chunk_size) return write_pending();
  return {};
}

JournalError SnapshotWriter::add_framed(std::string_view frames, uint64_t count) {
  if (state_ == State::failed) return failure_;
  if (state_ != State::open) {
    return {JournalErrorKind::io, EBADF, path_, 0, "snapshot not open"};
  }
  pending_.append(frames);
  crc_ = crc32c(frames, crc_);
  records_ += count;
  if (pending_.size() >= options_.chunk_size) return write_pending();
  return {};
}

JournalError SnapshotWriter::finish() {
  if (state_ == State::failed) return failure_;
  if (state_ != State::open) {
    return {JournalErrorKind::io, EBADF, path_, 0, "snapshot not open"};
  }
  append_snapshot_trailer({revision_, records_, crc_}, pending_);
  if (JournalError e = write_pending(); !e.ok()) return e;
  if (ops_.fdatasync(fd_) != 0) {
    return give_up(sys_error(errno, tmp_path_, "fdatasync of the snapshot failed"));
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    return give_up(sys_error(errno, tmp_path_, "close of the snapshot failed"));
  }
  fd_ = -1;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return give_up(sys_error(errno, tmp_path_, "cannot name the snapshot"));
  }
  if (const int rc = sync_directory(dir_, ops_); rc != 0) {
    // Whether the name reached the disk is unknown: take it back, so that an error here always
    // means "no snapshot" and the journal is kept.
    ::unlink(path_.c_str());
    return give_up(sys_error(rc, dir_, "cannot fsync the snapshot directory"));
  }
  state_ = State::finished;
  return {};
}

}  // namespace nestcache::persistence
