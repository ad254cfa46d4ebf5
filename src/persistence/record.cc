#include "nestcache/persistence/record.h"

#include <algorithm>

#include "byte_order.h"

namespace nestcache::persistence {
namespace {

bool has_path(RecordKind kind) {
  switch (kind) {
    case RecordKind::store:
    case RecordKind::touch:
    case RecordKind::remove:
    case RecordKind::remove_value:
    case RecordKind::expire:
    case RecordKind::graft:
      return true;
    case RecordKind::flush:
    case RecordKind::memory_limit:
    case RecordKind::flush_pending:
      return false;
  }
  return false;
}

// 9 is the snapshot trailer (snapshot_format.h), never a record.
bool known_kind(uint8_t byte) { return (byte >= 1 && byte <= 8) || byte == 10; }

std::size_t path_size(const Path& path) {
  std::size_t n = 1;  // depth byte
  for (std::string_view segment : path) n += 1 + segment.size();
  return n;
}

// Writes fields through a cursor into bytes already sized (encoded_size): one resize per
// record instead of a capacity check per field (the journal frames ~1M records a second).
class FieldWriter {
 public:
  explicit FieldWriter(char* at) : at_(at) {}
  void byte(uint8_t b) { *at_++ = static_cast<char>(b); }
  template <typename T>
  void le(T value) {
    store_le<T>(value, at_);
    at_ += sizeof(T);
  }
  void bytes(std::string_view b) {
    if (!b.empty()) std::memcpy(at_, b.data(), b.size());
    at_ += b.size();
  }
  void path(const Path& path) {
    byte(static_cast<uint8_t>(path.size()));
    for (std::string_view segment : path) {
      byte(static_cast<uint8_t>(segment.size()));
      bytes(segment);
    }
  }

 private:
  char* at_;
};

// Reads fields off the front of the input, remembering the first error and where it was seen.
class FieldReader {
 public:
  explicit FieldReader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return error_ == RecordError::none; }
  RecordError error() const { return error_; }
  std::size_t error_at() const { return error_at_; }
  std::size_t remaining() const { return bytes_.size() - at_; }
  std::size_t at() const { return at_; }

  void fail(RecordError error) {
    if (!ok()) return;
    error_ = error;
    error_at_ = at_;
  }

  template <typename T>
  T fixed() {
    if (!ok()) return T{};
    if (remaining() < sizeof(T)) {
      fail(RecordError::truncated);
      return T{};
    }
    const T value = load_le<T>(bytes_.data() + at_);
    at_ += sizeof(T);
    return value;
  }

  std::string_view span(std::size_t n) {
    if (!ok()) return {};
    if (remaining() < n) {
      fail(RecordError::truncated);
      return {};
    }
    const std::string_view s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }

  void path(const RecordLimits& limits, Path& out) {
    const std::size_t depth = fixed<uint8_t>();
    if (!ok()) return;
    if (depth > limits.max_depth) return fail(RecordError::path_too_deep);
    // Each segment takes at least two bytes: checked before any view is reserved.
    if (remaining() < 2 * depth) return fail(RecordError::truncated);
    out.reserve(depth);
    for (std::size_t i = 0; i < depth && ok(); ++i) {
      const std::size_t length = fixed<uint8_t>();
      if (length == 0 || length > limits.max_segment_length) {
        at_ -= 1;  // the error is at the length byte
        return fail(RecordError::bad_segment);
      }
      const std::string_view segment = span(length);
      if (ok()) out.push_back(segment);
    }
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
  RecordError error_ = RecordError::none;
  std::size_t error_at_ = 0;
};

}  // namespace

bool operator==(const Record& a, const Record& b) {
  return a.kind == b.kind && a.revision == b.revision &&
         std::equal(a.path.begin(), a.path.end(), b.path.begin(), b.path.end()) &&
         a.data == b.data && a.flags == b.flags && a.exptime == b.exptime &&
         a.flush_at == b.flush_at && a.memory_limit == b.memory_limit;
}

std::string_view to_string(RecordError error) {
  switch (error) {
    case RecordError::none:
      return "no error";
    case RecordError::truncated:
      return "truncated record";
    case RecordError::bad_kind:
      return "unknown record kind";
    case RecordError::path_too_deep:
      return "path too deep";
    case RecordError::bad_segment:
      return "bad path segment length";
    case RecordError::value_too_large:
      return "value too large";
    case RecordError::trailing_bytes:
      return "bytes after the record";
    case RecordError::empty_path:
      return "empty path";
  }
  return "unknown error";
}

std::size_t encoded_size(const Record& r) {
  std::size_t n = 1 + 8;  // kind, revision
  switch (r.kind) {
    case RecordKind::store:
      return n + 4 + 8 + path_size(r.path) + 4 + r.data.size();
    case RecordKind::touch:
      return n + 8 + path_size(r.path);
    case RecordKind::graft:
      return n + 8 + path_size(r.path) + 1 + r.data.size();
    case RecordKind::remove:
    case RecordKind::remove_value:
    case RecordKind::expire:
      return n + path_size(r.path);
    case RecordKind::flush:
    case RecordKind::memory_limit:
    case RecordKind::flush_pending:
      return n + 8;
  }
  return n;
}

void encode_record(const Record& r, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + encoded_size(r));
  write_record(r, out.data() + start);
}

void write_record(const Record& r, char* out) {
  FieldWriter w(out);
  w.byte(static_cast<uint8_t>(r.kind));
  w.le<uint64_t>(r.revision);
  switch (r.kind) {
    case RecordKind::store:
      w.le<uint32_t>(r.flags);
      w.le<int64_t>(r.exptime);
      w.path(r.path);
      w.le<uint32_t>(static_cast<uint32_t>(r.data.size()));
      w.bytes(r.data);
      break;
    case RecordKind::touch:
      w.le<int64_t>(r.exptime);
      w.path(r.path);
      break;
    case RecordKind::graft:
      w.le<int64_t>(r.exptime);
      w.path(r.path);
      w.byte(static_cast<uint8_t>(r.data.size()));
      w.bytes(r.data);
      break;
    case RecordKind::remove:
    case RecordKind::remove_value:
    case RecordKind::expire:
      w.path(r.path);
      break;
    case RecordKind::flush:
    case RecordKind::flush_pending:
      w.le<int64_t>(r.flush_at);
      break;
    case RecordKind::memory_limit:
      w.le<uint64_t>(r.memory_limit);
      break;
  }
}

RecordError check_record(const Record& r, const RecordLimits& limits) {
  if (!known_kind(static_cast<uint8_t>(r.kind))) return RecordError::bad_kind;
  if (has_path(r.kind)) {
    if (r.path.empty()) return RecordError::empty_path;
    if (r.path.size() > limits.max_depth || r.path.size() > kMaxDepthLimit) {
      return RecordError::path_too_deep;
    }
    for (std::string_view segment : r.path) {
      if (segment.empty() || segment.size() > limits.max_segment_length || segment.size() > 255) {
        return RecordError::bad_segment;
      }
    }
  }
  if (r.kind == RecordKind::graft && (r.data.empty() || r.data.size() > 255)) {
    return RecordError::bad_segment;
  }
  if (r.kind == RecordKind::store &&
      (r.data.size() > limits.max_value || r.data.size() > UINT32_MAX)) {
    return RecordError::value_too_large;
  }
  return RecordError::none;
}

DecodedRecord decode_record(std::string_view bytes, const RecordLimits& limits) {
  DecodedRecord out;
  FieldReader in(bytes);
  const uint8_t kind = in.fixed<uint8_t>();
  if (in.ok() && !known_kind(kind)) {
    out.error = RecordError::bad_kind;
    out.error_at = 0;
    return out;
  }
  Record& r = out.record;
  r.kind = static_cast<RecordKind>(kind);
  r.revision = in.fixed<uint64_t>();
  switch (r.kind) {
    case RecordKind::store: {
      r.flags = in.fixed<uint32_t>();
      r.exptime = in.fixed<int64_t>();
      in.path(limits, r.path);
      const std::size_t length = in.fixed<uint32_t>();
      if (in.ok() && length > limits.max_value) {
        in.fail(RecordError::value_too_large);
      }
      r.data = in.span(length);
      break;
    }
    case RecordKind::touch:
      r.exptime = in.fixed<int64_t>();
      in.path(limits, r.path);
      break;
    case RecordKind::graft: {
      r.exptime = in.fixed<int64_t>();
      in.path(limits, r.path);
      const std::size_t length = in.fixed<uint8_t>();
      if (in.ok() && length == 0) in.fail(RecordError::bad_segment);
      r.data = in.span(length);
      break;
    }
    case RecordKind::remove:
    case RecordKind::remove_value:
    case RecordKind::expire:
      in.path(limits, r.path);
      break;
    case RecordKind::flush:
    case RecordKind::flush_pending:
      r.flush_at = in.fixed<int64_t>();
      break;
    case RecordKind::memory_limit:
      r.memory_limit = in.fixed<uint64_t>();
      break;
  }
  if (in.ok() && has_path(r.kind) && r.path.empty()) in.fail(RecordError::empty_path);
  if (in.ok() && in.remaining() != 0) in.fail(RecordError::trailing_bytes);
  out.error = in.error();
  out.error_at = in.error_at();
  return out;
}

}  // namespace nestcache::persistence
