#include "nestcache/persistence/frame.h"

#include <algorithm>

#include "byte_order.h"
#include "nestcache/persistence/crc32c.h"

namespace nestcache::persistence {

std::size_t framed_size(const Record& record) {
  return kFrameHeaderSize + align_frame(encoded_size(record));
}

std::size_t max_body_size(const RecordLimits& limits) {
  // The store record is the largest: kind, revision, flags, exptime, path, value length, value.
  const std::size_t path = 1 + limits.max_depth * (1 + limits.max_segment_length);
  return 1 + 8 + 4 + 8 + path + 4 + limits.max_value;
}

void append_frame(const Record& record, std::string& out) {
  // One resize (the padding comes out zeroed), then the fields written in place.
  const std::size_t start = out.size();
  const std::size_t body_size = encoded_size(record);
  out.resize(start + kFrameHeaderSize + align_frame(body_size));
  char* frame = out.data() + start;
  write_record(record, frame + kFrameHeaderSize);
  store_le<uint32_t>(static_cast<uint32_t>(body_size), frame);
  store_le<uint32_t>(crc32c(std::string_view(frame + kFrameHeaderSize, body_size)), frame + 4);
}

void append_frame_body(std::string_view body, std::string& out) {
  char header[kFrameHeaderSize];
  store_le<uint32_t>(static_cast<uint32_t>(body.size()), header);
  store_le<uint32_t>(crc32c(body), header + 4);
  out.append(header, kFrameHeaderSize);
  out.append(body);
  out.append(align_frame(body.size()) - body.size(), '\0');
}

Frame read_frame(std::string_view bytes, std::size_t max_body) {
  Frame frame;
  if (bytes.size() < kFrameHeaderSize) {
    frame.status = bytes.find_first_not_of('\0') == std::string_view::npos
                       ? FrameStatus::zero
                       : FrameStatus::short_frame;
    return frame;
  }
  const uint32_t length = load_le<uint32_t>(bytes.data());
  const uint32_t crc = load_le<uint32_t>(bytes.data() + 4);
  if (length == 0) {
    frame.status = crc == 0 ? FrameStatus::zero : FrameStatus::bad_length;
    return frame;
  }
  if (length > max_body) {
    frame.status = FrameStatus::bad_length;
    return frame;
  }
  if (length > bytes.size() - kFrameHeaderSize) {
    frame.status = FrameStatus::short_frame;
    return frame;
  }
  const std::string_view body = bytes.substr(kFrameHeaderSize, length);
  if (crc32c(body) != crc) {
    frame.status = FrameStatus::bad_crc;
    return frame;
  }
  frame.status = FrameStatus::ok;
  frame.body = body;
  // The padding may be missing at the very end of the bytes (a file cut inside it).
  frame.size = std::min(kFrameHeaderSize + align_frame(length), bytes.size());
  return frame;
}

}  // namespace nestcache::persistence
