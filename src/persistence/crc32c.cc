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

uint32_t reflect32(uint32_t x) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}

#if defined(__x86_64__)
// Compiled for SSE4.2 alone, so the rest of the build keeps the baseline ISA; only called when
// the CPU says it has the instruction.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::string_view bytes, uint32_t prior) {
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  uint64_t crc = prior ^ 0xFFFFFFFFu;
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

uint32_t crc32c_portable(std::string_view bytes, uint32_t prior) {
  // Boost keeps the register of a reflected CRC reflected, and reflects the initial value it is
  // given: hand it the reflection of the register `prior` ended with.
  BoostCrc32c crc(reflect32(prior ^ 0xFFFFFFFFu));
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

uint32_t crc32c(std::string_view bytes, uint32_t prior) {
#if defined(__x86_64__)
  if (kHasSse42) return crc32c_sse42(bytes, prior);
#endif
  return crc32c_portable(bytes, prior);
}

bool crc32c_has_hardware() { return kHasSse42; }

}  // namespace nestcache::persistence
