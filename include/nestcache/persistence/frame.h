// Framing: how a record sits in a segment (proto-spec/persistence.md section 2).
//
//   u32 length   bytes of body (kind byte + payload), >= 1
//   u32 crc      CRC-32C of the body
//   body         length bytes
//   padding      zeros up to the next multiple of 8
//
// Why 8-byte alignment (as etcd's WAL): every frame starts on an 8-byte boundary, so its length
// and CRC words share one aligned 8-byte word, which never straddles a sector or a page; a crash
// tears a frame's body, never half its header. A length word of 0 (with a zero CRC word) is what
// preallocation leaves: the end of the written data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nestcache/persistence/record.h"

namespace nestcache::persistence {

inline constexpr std::size_t kFrameAlignment = 8;
inline constexpr std::size_t kFrameHeaderSize = 8;

// `n` rounded up to the frame alignment.
constexpr std::size_t align_frame(std::size_t n) {
  return (n + kFrameAlignment - 1) & ~(kFrameAlignment - 1);
}

// The bytes append_frame() adds for `record`: header, body and padding.
std::size_t framed_size(const Record& record);

// The largest body a record within `limits` can have: a frame claiming more is damage.
std::size_t max_body_size(const RecordLimits& limits);

// Appends `record` framed (header, body, padding) to `out`; `out`'s size stays a multiple of 8
// when it was one.
void append_frame(const Record& record, std::string& out);

// Appends `body` framed the same way: for a frame that holds no Record (a snapshot's trailer).
void append_frame_body(std::string_view body, std::string& out);

enum class FrameStatus : uint8_t {
  ok,
  zero,         // an all-zero header: no frame was written here
  short_frame,  // the frame runs past the end of the bytes
  bad_length,   // length 0 with a CRC, or over the largest body the limits allow
  bad_crc,      // the body does not match its CRC
};

struct Frame {
  FrameStatus status = FrameStatus::zero;
  std::string_view body;  // ok: the kind byte and payload
  std::size_t size = 0;   // ok: header + body + padding, the distance to the next frame
};

// Reads the frame at the start of `bytes`. Checks the length against `max_body` and the bytes
// present before it looks at the body.
Frame read_frame(std::string_view bytes, std::size_t max_body);

}  // namespace nestcache::persistence
