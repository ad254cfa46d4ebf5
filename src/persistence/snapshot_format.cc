// The snapshot file's name, header and trailer (proto-spec/persistence.md section 7).
#include <cstdio>
#include <cstring>

#include "byte_order.h"
#include "nestcache/persistence/crc32c.h"
#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache::persistence {
namespace {

// Header layout: magic[8] version u32 reserved u32 revision u64 started_at i64 crc u32 (of bytes
// 0..31) reserved u32.
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kRevisionAt = 16;
constexpr std::size_t kStartedAt = 24;
constexpr std::size_t kCrcAt = 32;

constexpr std::string_view kNamePrefix = "snapshot-";
constexpr std::string_view kNameSuffix = ".snap";
constexpr std::size_t kNameDigits = 16;

}  // namespace

std::string snapshot_name(uint64_t revision) {
  char name[64];
  std::snprintf(name, sizeof name, "snapshot-%016llx.snap",
                static_cast<unsigned long long>(revision));
  return name;
}

std::optional<uint64_t> parse_snapshot_name(std::string_view name) {
  if (name.size() != kNamePrefix.size() + kNameDigits + kNameSuffix.size() ||
      !name.starts_with(kNamePrefix) || !name.ends_with(kNameSuffix)) {
    return std::nullopt;
  }
  uint64_t revision = 0;
  for (const char c : name.substr(kNamePrefix.size(), kNameDigits)) {
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    revision = revision << 4 | digit;
  }
  return revision;
}

std::string encode_snapshot_header(const SnapshotHeader& header) {
  std::string out(kSnapshotHeaderSize, '\0');
  std::memcpy(out.data(), kSnapshotMagic.data(), kSnapshotMagic.size());
  store_le<uint32_t>(header.version, out.data() + kVersionAt);
  store_le<uint64_t>(header.revision, out.data() + kRevisionAt);
  store_le<int64_t>(header.started_at, out.data() + kStartedAt);
  store_le<uint32_t>(crc32c(std::string_view(out).substr(0, kCrcAt)), out.data() + kCrcAt);
  return out;
}

std::string_view decode_snapshot_header(std::string_view bytes, SnapshotHeader& out) {
  if (bytes.size() < kSnapshotHeaderSize) return "snapshot header missing or cut short";
  if (!bytes.starts_with(kSnapshotMagic)) return "not a nestcache snapshot (bad magic)";
  if (load_le<uint32_t>(bytes.data() + kCrcAt) != crc32c(bytes.substr(0, kCrcAt))) {
    return "snapshot header CRC mismatch";
  }
  // The reserved words are zero when written; anything else there is a flipped byte.
  if (load_le<uint32_t>(bytes.data() + 12) != 0 || load_le<uint32_t>(bytes.data() + 36) != 0) {
    return "snapshot header reserved bytes are not zero";
  }
  out.version = load_le<uint32_t>(bytes.data() + kVersionAt);
  if (out.version != kSnapshotFormatVersion) return "unsupported snapshot format version";
  out.revision = load_le<uint64_t>(bytes.data() + kRevisionAt);
  out.started_at = load_le<int64_t>(bytes.data() + kStartedAt);
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
