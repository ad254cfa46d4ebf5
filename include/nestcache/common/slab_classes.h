// memcached 1.6.18's slab classes at its defaults (-f 1.25, -n 48, 1 MiB pages, 512 KiB largest
// chunk; slabs.c's slabs_init), and the class an item of memcached_item_size() bytes lands in
// (slabs_clsid; an item over the largest chunk is memcached's chunked item: its header takes a
// class of its own and its data whole chunks of the largest one). nestcached keeps no slabs: these
// are the figures `stats slabs` and `stats items` report, computed from the real item sizes, so
// that memcached's tools show what memcached would hold (tests/compat/sessions/stats-slabs*.txt).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "nestcache/common/item_size.h"

namespace nestcache {

inline constexpr std::size_t kSlabPageSize = 1024 * 1024;
inline constexpr std::size_t kSlabChunkMax = kSlabPageSize / 2;
// memcached's MAX_NUMBER_OF_SLAB_CLASSES: ids 1..63 (0 is "none").
inline constexpr std::size_t kSlabClassSlots = 64;

struct SlabClassTable {
  std::array<uint32_t, kSlabClassSlots> chunk_size{};  // [id]; 0 past the largest
  uint32_t largest = 0;                                // the id of the 512 KiB class
};

constexpr SlabClassTable make_slab_classes() {
  SlabClassTable table;
  double size = double(kMemcachedItemHeader + 48);  // sizeof(item) + -n
  uint32_t id = 1;
  for (; id < kSlabClassSlots - 1; ++id) {
    auto bytes = static_cast<uint32_t>(size);
    if (bytes >= kSlabChunkMax / 1.25) break;
    if (bytes % 8 != 0) bytes += 8 - bytes % 8;  // memcached's CHUNK_ALIGN_BYTES
    table.chunk_size[id] = bytes;
    size = double(bytes) * 1.25;  // memcached multiplies the aligned size, in its unsigned int
    size = double(static_cast<uint32_t>(size));
  }
  table.chunk_size[id] = kSlabChunkMax;
  table.largest = id;
  return table;
}

inline constexpr SlabClassTable kSlabClasses = make_slab_classes();

// memcached's sizeof(item_chunk): a chunked item's header carries one, and so does each chunk.
inline constexpr std::size_t kMemcachedChunkHeader = 48;

static_assert(kSlabClasses.chunk_size[1] == 96 && kSlabClasses.chunk_size[6] == 304 &&
              kSlabClasses.chunk_size[32] == 103496 && kSlabClasses.largest == 39);

// The class of every size up to kSlabLookupBytes, by 8-byte step (a store looks its class up
// in one load: the loop below cost a set about 2% more instructions, callgrind).
inline constexpr std::size_t kSlabLookupBytes = 16 * 1024;

constexpr std::array<uint8_t, kSlabLookupBytes / 8 + 1> make_slab_lookup() {
  std::array<uint8_t, kSlabLookupBytes / 8 + 1> table{};
  uint8_t id = 1;
  for (std::size_t step = 0; step < table.size(); ++step) {
    while (step * 8 > kSlabClasses.chunk_size[id]) ++id;
    table[step] = id;
  }
  return table;
}

inline constexpr auto kSlabLookup = make_slab_lookup();

// The smallest class whose chunks hold `size` bytes (the largest for anything bigger): the class
// whose LRU holds an item of memcached_item_size() `size`.
constexpr uint32_t slab_class_for(std::size_t size) {
  if (size <= kSlabLookupBytes) [[likely]] {
    return kSlabLookup[(size + 7) / 8];  // chunk sizes are multiples of 8
  }
  uint32_t id = kSlabLookup.back();
  while (size > kSlabClasses.chunk_size[id] && id < kSlabClasses.largest) ++id;
  return id;
}

// Calls fn(id) for each chunk a memcached chunked item (one over the largest chunk: `size` its
// memcached_item_size(), `data_length` its data) takes: its header, in the class that fits the
// item's header and key, then its data ("\r\n" included) in chunks of the largest class while
// more than one is left, the rest in the class that fits it (items.c, do_item_alloc_chunk).
template <typename Fn>
constexpr void for_each_large_chunk(std::size_t size, std::size_t data_length, Fn&& fn) {
  std::size_t remain = data_length + 2;
  fn(slab_class_for(size - remain + kMemcachedChunkHeader));
  while (remain > 0) {
    const std::size_t want = remain + kMemcachedChunkHeader;
    const uint32_t id = slab_class_for(want < kSlabChunkMax ? want : kSlabChunkMax);
    fn(id);
    const std::size_t room = kSlabClasses.chunk_size[id] - kMemcachedChunkHeader;
    remain -= room < remain ? room : remain;
  }
}

// A 600000-byte value: header in class 2, one largest chunk, the rest in class 31 (memcached
// 1.6.18's stats slabs for it).
constexpr bool large_chunks_as_memcached() {
  uint32_t ids[4] = {};
  int n = 0;
  for_each_large_chunk(memcached_item_size(2, 0, 600000), 600000, [&](uint32_t id) {
    if (n < 4) ids[n] = id;
    ++n;
  });
  return n == 3 && ids[0] == 2 && ids[1] == 39 && ids[2] == 31;
}
static_assert(large_chunks_as_memcached());
static_assert(slab_class_for(96) == 1 && slab_class_for(97) == 2 && slab_class_for(264) == 6 &&
              slab_class_for(100060) == 32 && slab_class_for(kSlabChunkMax + 1) == 39);

}  // namespace nestcache
