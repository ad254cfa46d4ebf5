#include "nestcache/common/path.h"

namespace nestcache {

SegmentError check_segment(std::string_view segment, std::size_t max_length) {
  if (segment.empty()) return SegmentError::empty;
  if (segment.size() > max_length) return SegmentError::too_long;
  for (unsigned char c : segment) {
    if (c <= 0x20 || c == 0x7f) return SegmentError::bad_char;
  }
  return SegmentError::none;
}

}  // namespace nestcache
