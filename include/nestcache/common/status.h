// Outcomes of tree operations: what happened, not how it is spelled on the wire.
#pragma once

#include <cstdint>

namespace nestcache {

enum class Status : uint8_t {
  stored,
  not_stored,  // add on a live value, replace/append/prepend on none, strict parent missing
  exists,      // cas unique mismatch
  not_found,   // no live node (or value) at the path
  deleted,
  touched,
  non_numeric,    // incr/decr on a value that is not a decimal number
  out_of_memory,  // the memory budget refused the store (-M)
};

}  // namespace nestcache
