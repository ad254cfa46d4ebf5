#include "nestcache/common/clock.h"

#include <chrono>

namespace nestcache {

int64_t SystemClock::now() const {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

int64_t absolute_exptime(int64_t exptime, int64_t now) {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // a deadline long past: expired at once
  if (exptime > kMaxRelativeExptime) return exptime;
  return now + exptime;
}

}  // namespace nestcache
