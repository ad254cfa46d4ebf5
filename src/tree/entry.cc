#include "entry.h"

namespace nestcache {

// A node costs its struct, its name, its value, and a slot plus control byte in its parent's
// table (absl's flat_hash_set keeps one pointer and one byte per slot).
std::size_t Entry::cost(std::size_t name_size, std::size_t data_size) {
  return sizeof(Entry) + sizeof(Entry*) + 1 + name_size + data_size;
}

std::size_t Entry::footprint() const { return cost(name.size(), data.size()); }

}  // namespace nestcache
