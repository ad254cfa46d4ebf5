#include "entry.h"

namespace nestcache {

// A node costs its struct, its name, its value, and a slot plus control byte in its parent's
// table (absl's flat_hash_set keeps one pointer and one byte per slot).
std::size_t Entry::footprint() const {
  return sizeof(Entry) + sizeof(Entry*) + 1 + name.size() + data.size();
}

}  // namespace nestcache
