// The hash and the equality of segment names, made for short strings: the children tables
// (Kids) and the choice of a shard use them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <absl/hash/hash.h>
#include <absl/numeric/int128.h>

namespace nestcache {

namespace name_detail {

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
// A per-process seed (ASLR moves it), as absl seeds its own hash.
inline const char kSeedAnchor = 0;
inline uint64_t seed() { return reinterpret_cast<uintptr_t>(&kSeedAnchor); }

}  // namespace name_detail

// The hash of a segment name, for the children tables and (its top bits) the shard. Up to
// 16 bytes: the bytes in two words (overlapping loads, never past the name), folded by one
// 64x64->128 multiply, as wyhash does for short inputs: ~15 instructions. Longer names go to
// absl's hash, through absl::string_view (this absl has its own string_view type; a
// std::string_view would fall back to std::hash).
inline std::size_t hash_name(std::string_view name) {
  using namespace name_detail;
  const char* p = name.data();
  const std::size_t n = name.size();
  uint64_t a;
  uint64_t b;
  if (n > 16) {
    return absl::Hash<absl::string_view>{}(absl::string_view(p, n));
  } else if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    a = (uint64_t{u[0]} << 16) | (uint64_t{u[n >> 1]} << 8) | u[n - 1];
    b = 0;
  } else {
    a = b = 0;
  }
  const absl::uint128 m =
      absl::uint128(a ^ 0xa0761d6478bd642full ^ seed()) * (b ^ 0xe7037ed1a0b428dbull ^ n);
  return static_cast<std::size_t>(absl::Uint128Low64(m) ^ absl::Uint128High64(m));
}

// a == b, without a call to memcmp for names of up to 16 bytes (loads as in hash_name).
inline bool same_name(std::string_view a, std::string_view b) {
  using namespace name_detail;
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    if (n > 16) return std::memcmp(x, y, n) == 0;
    return ((load64(x) ^ load64(y)) | (load64(x + n - 8) ^ load64(y + n - 8))) == 0;
  }
  if (n >= 4) return ((load32(x) ^ load32(y)) | (load32(x + n - 4) ^ load32(y + n - 4))) == 0;
  if (n == 0) return true;
  // 1 to 3 bytes: the first, middle and last cover them all.
  return ((x[0] ^ y[0]) | (x[n >> 1] ^ y[n >> 1]) | (x[n - 1] ^ y[n - 1])) == 0;
}

}  // namespace nestcache
