// What journal segments and snapshots share: names made of a prefix, a 64-bit number in 16
// lowercase hex digits and a suffix (so that a directory listing sorts them), and a 40-byte
// header: magic[8] version u32 reserved u32 word u64 word u64 crc u32 (of bytes 0..31)
// reserved u32 (proto-spec/persistence.md sections 2 and 7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nestcache::persistence {

inline constexpr std::size_t kFileHeaderSize = 40;

// "<prefix><number as 16 lowercase hex digits><suffix>".
std::string numbered_file_name(std::string_view prefix, uint64_t number, std::string_view suffix);
// The number in such a name; nullopt for any other name (uppercase hex included).
std::optional<uint64_t> parse_numbered_file_name(std::string_view name, std::string_view prefix,
                                                 std::string_view suffix);

// A header's fields; the two words mean what the file's kind says.
struct FileHeader {
  uint32_t version = 0;
  uint64_t first = 0;
  uint64_t second = 0;
};

enum class FileHeaderError : uint8_t { none, too_short, bad_magic, bad_crc, reserved_not_zero };

// The 40 header bytes for `header` under `magic` (8 bytes).
std::string encode_file_header(std::string_view magic, const FileHeader& header);
// Reads and checks a header: its length, magic, CRC and zero reserved words. The version is the
// caller's to check.
FileHeaderError decode_file_header(std::string_view bytes, std::string_view magic, FileHeader& out);

}  // namespace nestcache::persistence
