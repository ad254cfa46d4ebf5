// memcached's binary protocol on the wire: the 24-byte header of every request and reply, the
// opcodes and the reply statuses (memcached 1.6.18's protocol_binary.h numbers). Plain data and
// byte-order helpers; the parser (binary_parser.h) and the composer (binary_composer.h) use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nestcache::binary {

inline constexpr uint8_t kRequestMagic = 0x80;
inline constexpr uint8_t kResponseMagic = 0x81;
inline constexpr std::size_t kHeaderSize = 24;
// memcached's KEY_MAX_LENGTH: a longer key is a protocol error that closes the connection.
inline constexpr std::size_t kMaxKeyLength = 250;

enum class Opcode : uint8_t {
  get = 0x00,
  set = 0x01,
  add = 0x02,
  replace = 0x03,
  del = 0x04,
  increment = 0x05,
  decrement = 0x06,
  quit = 0x07,
  flush = 0x08,
  getq = 0x09,
  noop = 0x0a,
  version = 0x0b,
  getk = 0x0c,
  getkq = 0x0d,
  append = 0x0e,
  prepend = 0x0f,
  stat = 0x10,
  setq = 0x11,
  addq = 0x12,
  replaceq = 0x13,
  deleteq = 0x14,
  incrementq = 0x15,
  decrementq = 0x16,
  quitq = 0x17,
  flushq = 0x18,
  appendq = 0x19,
  prependq = 0x1a,
  verbosity = 0x1b,  // not served by memcached 1.6.18: Unknown command, as there
  touch = 0x1c,
  gat = 0x1d,
  gatq = 0x1e,
  sasl_list_mechs = 0x20,
  sasl_auth = 0x21,
  sasl_step = 0x22,
  gatk = 0x23,
  gatkq = 0x24,
};

enum class Status : uint16_t {
  success = 0x00,
  key_not_found = 0x01,
  key_exists = 0x02,
  too_large = 0x03,
  invalid_arguments = 0x04,
  not_stored = 0x05,
  delta_badval = 0x06,
  auth_error = 0x20,
  unknown_command = 0x81,
  out_of_memory = 0x82,
};

// A header with its numbers in host order.
struct Header {
  uint8_t magic = 0;
  uint8_t opcode = 0;
  uint16_t keylen = 0;
  uint8_t extlen = 0;
  uint8_t datatype = 0;
  uint16_t status = 0;  // a request's vbucket id
  uint32_t bodylen = 0;
  uint32_t opaque = 0;  // echoed as sent: the client's, in its byte order
  uint64_t cas = 0;
};

// Big-endian numbers at `p`.
inline uint16_t load16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
inline uint32_t load32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
inline uint64_t load64(const char* p) { return (uint64_t{load32(p)} << 32) | load32(p + 4); }

// The header at the front of `bytes` (kHeaderSize of them at least). The opaque is kept as the
// four bytes came (memcached never converts it), read here in big-endian order and written back
// the same way, so it is echoed unchanged.
inline Header decode_header(const char* bytes) {
  Header h;
  h.magic = static_cast<uint8_t>(bytes[0]);
  h.opcode = static_cast<uint8_t>(bytes[1]);
  h.keylen = load16(bytes + 2);
  h.extlen = static_cast<uint8_t>(bytes[4]);
  h.datatype = static_cast<uint8_t>(bytes[5]);
  h.status = load16(bytes + 6);
  h.bodylen = load32(bytes + 8);
  h.opaque = load32(bytes + 12);
  h.cas = load64(bytes + 16);
  return h;
}

}  // namespace nestcache::binary
