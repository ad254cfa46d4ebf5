// memcached's size of an item, which its -I (item_size_max) limits: the item header, the key
// and its NUL, the flags suffix, the data with its "\r\n", and the cas unique. nestcached applies
// the same formula to its -I check (parser.cc), so every storage command is refused at the same
// boundary as memcached 1.6.18 (tests/compat/sessions/too-large-boundary.txt), and reports it
// as an item's `size=` in `lru_crawler metadump`.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestcache {

// memcached 1.6.18's `sizeof(item)` on a 64-bit build.
inline constexpr std::size_t kMemcachedItemHeader = 48;
// The cas unique each item carries (memcached's -C, which drops it, is not offered).
inline constexpr std::size_t kMemcachedCasBytes = 8;

// The bytes memcached counts for an item of a `key_length`-byte key, `flags` and `data_length`
// bytes of data: header + key + 1 + (4 if flags are not 0) + data + 2 + cas. At -I 1m and flags
// 0 the largest value for a 7-byte key is therefore 1048576 - 66 = 1048510 bytes.
constexpr std::size_t memcached_item_size(std::size_t key_length, uint32_t flags,
                                          std::size_t data_length) {
  return kMemcachedItemHeader + key_length + 1 + (flags != 0 ? sizeof(uint32_t) : 0) + data_length +
         2 + kMemcachedCasBytes;
}

static_assert(memcached_item_size(7, 0, 1048510) == 1024 * 1024);

}  // namespace nestcache
