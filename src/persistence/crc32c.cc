#include "nestcache/persistence/crc32c.h"

#include <cstddef>
#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace nestcache::persistence {
namespace {

using BoostCrc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

#if defined(__x86_64__)
// Compiled for SSE4.2 alone, so the rest of the build keeps the baseline ISA; only called when
// the CPU says it has the instruction.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  uint64_t crc = 0xFFFFFFFFu;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);  // unaligned load without undefined behaviour
    crc = _mm_crc32_u64(crc, word);
    p += 8;
    n -= 8;
  }
  auto crc32 = static_cast<uint32_t>(crc);
  while (n > 0) {
    crc32 = _mm_crc32_u8(crc32, static_cast<unsigned char>(*p));
    ++p;
    --n;
  }
  return crc32 ^ 0xFFFFFFFFu;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#else
const bool kHasSse42 = false;
#endif

}  // namespace

uint32_t crc32c_portable(std::string_view bytes) {
  BoostCrc32c crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

uint32_t crc32c(std::string_view bytes) {
#if defined(__x86_64__)
  if (kHasSse42) return crc32c_sse42(bytes);
#endif
  return crc32c_portable(bytes);
}

bool crc32c_has_hardware() { return kHasSse42; }

}  // namespace nestcache::persistence
