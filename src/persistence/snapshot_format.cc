// The snapshot file's name, header and trailer (proto-spec/persistence.md section 7).
#include <cstdio>
#include <cstring>

#include "byte_order.h"
#include "file_format.h"
#include "nestcache/persistence/crc32c.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache::persistence {
namespace {

// The header's two words (file_format.h): the revision, and the time the snapshot was started.
static_assert(kSnapshotHeaderSize == kFileHeaderSize);
constexpr std::string_view kNamePrefix = "snapshot-";
constexpr std::string_view kNameSuffix = ".snap";

}  // namespace

std::string snapshot_name(uint64_t revision) {
  return numbered_file_name(kNamePrefix, revision, kNameSuffix);
}

std::optional<uint64_t> parse_snapshot_name(std::string_view name) {
  return parse_numbered_file_name(name, kNamePrefix, kNameSuffix);
}

std::string encode_snapshot_header(const SnapshotHeader& header) {
  return encode_file_header(
      kSnapshotMagic, {header.version, header.revision, static_cast<uint64_t>(header.started_at)});
}

std::string_view decode_snapshot_header(std::string_view bytes, SnapshotHeader& out) {
  FileHeader words;
  switch (decode_file_header(bytes, kSnapshotMagic, words)) {
    case FileHeaderError::none:
      break;
    case FileHeaderError::too_short:
      return "snapshot header missing or cut short";
    case FileHeaderError::bad_magic:
      return "not a nestcache snapshot (bad magic)";
    case FileHeaderError::bad_crc:
      return "snapshot header CRC mismatch";
    case FileHeaderError::reserved_not_zero:
      return "snapshot header reserved bytes are not zero";
  }
  out.version = words.version;
  if (out.version != kSnapshotFormatVersion) return "unsupported snapshot format version";
  out.revision = words.first;
  out.started_at = static_cast<int64_t>(words.second);
  return {};
}

void append_snapshot_trailer(const SnapshotTrailer& trailer, std::string& out) {
  char body[kSnapshotTrailerBodySize];
  body[0] = static_cast<char>(kSnapshotEndKind);
  store_le<uint64_t>(trailer.revision, body + 1);
  store_le<uint64_t>(trailer.records, body + 9);
  store_le<uint32_t>(trailer.crc, body + 17);
  append_frame_body(std::string_view(body, sizeof body), out);
}

bool decode_snapshot_trailer(std::string_view body, SnapshotTrailer& out) {
  if (body.size() != kSnapshotTrailerBodySize ||
      static_cast<uint8_t>(body[0]) != kSnapshotEndKind) {
    return false;
  }
  out.revision = load_le<uint64_t>(body.data() + 1);
  out.records = load_le<uint64_t>(body.data() + 9);
  out.crc = load_le<uint32_t>(body.data() + 17);
  return true;
}

}  // namespace nestcache::persistence
