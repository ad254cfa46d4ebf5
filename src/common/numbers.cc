// memcached parses numbers with strtoull/strtol on NUL-terminated tokens and then checks where
// the conversion stopped. These functions reproduce those rules on string_views.
#include "nestcache/common/numbers.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nestcache {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// A NUL-terminated copy, as strto* need; on the stack for every realistic token.
class Terminated {
 public:
  explicit Terminated(std::string_view text) {
    if (text.size() < sizeof(small_)) {
      std::memcpy(small_, text.data(), text.size());
      small_[text.size()] = '\0';
      buf = small_;
    } else {
      large_.assign(text);
      buf = large_.c_str();
    }
  }
  const char* buf;

 private:
  char small_[64];
  std::string large_;
};

// Where the conversion stopped must be whitespace, or the end of a non-empty number.
bool ends_cleanly(const char* str, const char* end) {
  return is_space(*end) || (*end == '\0' && end != str);
}

// strtol's acceptance rules; safe_strtol without the final assignment to 32 bits.
std::optional<long> parse_long(std::string_view text) {
  Terminated t(text);
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(t.buf, &end, 10);
  if (errno == ERANGE || end == t.buf) return std::nullopt;
  if (!ends_cleanly(t.buf, end)) return std::nullopt;
  return value;
}

}  // namespace

std::optional<uint64_t> parse_u64(std::string_view text) {
  Terminated t(text);
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(t.buf, &end, 10);
  if (errno == ERANGE || end == t.buf) return std::nullopt;
  if (!ends_cleanly(t.buf, end)) return std::nullopt;
  if (static_cast<long long>(value) < 0 && std::memchr(t.buf, '-', end - t.buf) != nullptr) {
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> parse_u32(std::string_view text) {
  Terminated t(text);
  errno = 0;
  char* end = nullptr;
  unsigned long value = std::strtoul(t.buf, &end, 10);
  if (errno == ERANGE || end == t.buf) return std::nullopt;
  if (!ends_cleanly(t.buf, end)) return std::nullopt;
  if (static_cast<long>(value) < 0 && std::memchr(t.buf, '-', end - t.buf) != nullptr) {
    return std::nullopt;
  }
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::optional<int32_t> parse_i32(std::string_view text) {
  auto value = parse_long(text);
  if (!value || *value > INT32_MAX || *value < INT32_MIN) return std::nullopt;
  return static_cast<int32_t>(*value);
}

std::optional<uint32_t> parse_u32_truncating(std::string_view text) {
  // strtoul is strtoull where long is 64 bits, so safe_strtoul is parse_u64 cut to 32 bits.
  auto value = parse_u64(text);
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

std::optional<int32_t> parse_i32_truncating(std::string_view text) {
  auto value = parse_long(text);
  if (!value) return std::nullopt;
  return static_cast<int32_t>(*value);  // modular, as memcached's assignment to an int32_t
}

}  // namespace nestcache
