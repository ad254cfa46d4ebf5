// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected, init and final xor 0xFFFFFFFF): the
// checksum of every journal frame and segment header, as in etcd's WAL and iSCSI.
//
// Why two implementations: Boost.CRC's table-driven loop measured about 0.4 GB/s on this machine
// (tests/persistence/crc32c_test.cc prints the figures), short of the ~1 GB/s a journal under
// load writes. The SSE4.2 crc32 instruction does several GB/s. crc32c() uses it when the CPU has
// it and Boost's otherwise; crc32c_portable() is Boost's, the reference the tests compare with.
#pragma once

#include <cstdint>
#include <string_view>

namespace nestcache::persistence {

// The CRC-32C of `bytes`, with the fastest implementation this CPU has. `prior` continues a
// checksum: crc32c(b, crc32c(a)) == crc32c(a + b), so a long stream (a snapshot's records) is
// checked without holding it whole.
uint32_t crc32c(std::string_view bytes, uint32_t prior = 0);

// The CRC-32C of `bytes` by Boost.CRC (boost::crc_optimal), on any CPU; `prior` as crc32c's.
uint32_t crc32c_portable(std::string_view bytes, uint32_t prior = 0);

// True when crc32c() runs on the SSE4.2 crc32 instruction.
bool crc32c_has_hardware();

}  // namespace nestcache::persistence
