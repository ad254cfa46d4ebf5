// The Unix time at which every test's manual clock starts (2023-11-14), so that expiry tests can
// name absolute times.
#pragma once

#include <cstdint>

namespace nestcache {

inline constexpr int64_t kStart = 1'700'000'000;

}  // namespace nestcache
