// The allocations of the tree's nodes and children tables: what they really take (what the -m
// budget counts), and the address rule that tagged table slots rely on.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace nestcache {

// glibc keeps an 8-byte size word in front of every chunk; the usable size does not include it.
inline constexpr std::size_t kChunkHeader = sizeof(std::size_t);

// A children table slot keeps a 16-bit tag above a node's address, so every address the tree
// allocates must fit in these 48 bits (user-space addresses on x86-64 and AArch64 Linux do).
inline constexpr uint64_t kAddressMask = (uint64_t{1} << 48) - 1;

// malloc(size), refusing (std::bad_alloc) an address above 48 bits. Linux hands out higher user
// addresses only to an mmap that asks for them, so this never fails in practice; were it to,
// the store fails rather than a tag corrupting a pointer.
inline void* allocate(std::size_t size) {
  void* p = std::malloc(size);
  if (p == nullptr) throw std::bad_alloc();
  if ((reinterpret_cast<uintptr_t>(p) & ~kAddressMask) != 0) {
    std::free(p);
    throw std::bad_alloc();
  }
  return p;
}

// The memory the allocation at `p` really takes: its usable size and malloc's chunk header.
inline std::size_t chunk_size(const void* p) {
  return malloc_usable_size(const_cast<void*>(p)) + kChunkHeader;
}

}  // namespace nestcache
