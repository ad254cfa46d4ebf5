// Number parsing with memcached's exact acceptance rules (its safe_strto* helpers), so that
// every numeric field takes or rejects the same spellings as memcached 1.6.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace nestcache {

// strtoull semantics: leading whitespace and a sign are accepted; the text must end at a
// whitespace byte or at its end; values that wrap a negative sign are rejected.
std::optional<uint64_t> parse_u64(std::string_view text);
// A 32-bit unsigned field (flags): like parse_u64, and the value must fit in 32 bits.
std::optional<uint32_t> parse_u32(std::string_view text);
// A signed 32-bit field (exptime, byte counts, delays), as memcached's safe_strtol.
std::optional<int32_t> parse_i32(std::string_view text);

// memcached 1.6.18's safe_strtoul and safe_strtol as they behave on a 64-bit build, which compat
// mode reproduces: the number is read in 64 bits and cut to 32 without a range check, so flags
// 4294967296 is 0, bytes 4294967297 is 1 and exptime 2147483648 is INT32_MIN.
std::optional<uint32_t> parse_u32_truncating(std::string_view text);
std::optional<int32_t> parse_i32_truncating(std::string_view text);

// Appends `value` in decimal (for the lines off the hot path: the composer writes its own
// digits, inlined, for replies).
template <typename T>
requires std::is_integral_v<T>
void append_decimal(std::string& out, T value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace nestcache
