#include "nestcache/common/clock.h"

#include <time.h>

namespace nestcache {

// Read on every command. The coarse clock is the kernel's last tick (a few ms old), read from
// the vDSO without touching the TSC or, in a VM, the paravirtual clock page: expiry counts whole
// seconds (memcached's own clock ticks once a second), and this is a tenth of the cost.
int64_t SystemClock::now() const {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return ts.tv_sec;
}

int64_t absolute_exptime(int64_t exptime, int64_t now) {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // a deadline long past: expired at once
  if (exptime > kMaxRelativeExptime) return exptime;
  return now + exptime;
}

}  // namespace nestcache
