#include "file_format.h"

#include <cstdio>
#include <cstring>

#include "byte_order.h"
#include "nestcache/persistence/crc32c.h"

namespace nestcache::persistence {
namespace {

constexpr std::size_t kDigits = 16;
constexpr std::size_t kVersionAt = 8;
constexpr std::size_t kFirstReservedAt = 12;
constexpr std::size_t kFirstAt = 16;
constexpr std::size_t kSecondAt = 24;
constexpr std::size_t kCrcAt = 32;
constexpr std::size_t kSecondReservedAt = 36;

}  // namespace

std::string numbered_file_name(std::string_view prefix, uint64_t number, std::string_view suffix) {
  char digits[kDigits + 1];
  std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(number));
  std::string name(prefix);
  name.append(digits, kDigits);
  name.append(suffix);
  return name;
}

std::optional<uint64_t> parse_numbered_file_name(std::string_view name, std::string_view prefix,
                                                 std::string_view suffix) {
  if (name.size() != prefix.size() + kDigits + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return std::nullopt;
  }
  uint64_t number = 0;
  for (const char c : name.substr(prefix.size(), kDigits)) {
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    number = number << 4 | digit;
  }
  return number;
}

std::string encode_file_header(std::string_view magic, const FileHeader& header) {
  std::string out(kFileHeaderSize, '\0');
  std::memcpy(out.data(), magic.data(), magic.size());
  store_le<uint32_t>(header.version, out.data() + kVersionAt);
  store_le<uint64_t>(header.first, out.data() + kFirstAt);
  store_le<uint64_t>(header.second, out.data() + kSecondAt);
  store_le<uint32_t>(crc32c(std::string_view(out).substr(0, kCrcAt)), out.data() + kCrcAt);
  return out;
}

FileHeaderError decode_file_header(std::string_view bytes, std::string_view magic,
                                   FileHeader& out) {
  if (bytes.size() < kFileHeaderSize) return FileHeaderError::too_short;
  if (!bytes.starts_with(magic)) return FileHeaderError::bad_magic;
  if (load_le<uint32_t>(bytes.data() + kCrcAt) != crc32c(bytes.substr(0, kCrcAt))) {
    return FileHeaderError::bad_crc;
  }
  // Written as zeros; anything else there is a flipped byte.
  if (load_le<uint32_t>(bytes.data() + kFirstReservedAt) != 0 ||
      load_le<uint32_t>(bytes.data() + kSecondReservedAt) != 0) {
    return FileHeaderError::reserved_not_zero;
  }
  out.version = load_le<uint32_t>(bytes.data() + kVersionAt);
  out.first = load_le<uint64_t>(bytes.data() + kFirstAt);
  out.second = load_le<uint64_t>(bytes.data() + kSecondAt);
  return FileHeaderError::none;
}

}  // namespace nestcache::persistence
