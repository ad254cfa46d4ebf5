// Little-endian fixed-width fields, read from and written to byte strings. Every integer on disk
// is little-endian (proto-spec/persistence.md section 1), whatever the host.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>

namespace nestcache::persistence {

template <typename T>
T load_le(const char* p) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<U>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return static_cast<T>(value);
}

template <typename T>
void store_le(T value, char* p) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  const auto u = static_cast<U>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<char>((u >> (8 * i)) & 0xff);
}

template <typename T>
void put_le(T value, std::string& out) {
  char bytes[sizeof(T)];
  store_le(value, bytes);
  out.append(bytes, sizeof(T));
}

}  // namespace nestcache::persistence
