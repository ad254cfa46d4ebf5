// The source of "now" for expiry. The daemon uses the wall clock; tests move a manual one.
#pragma once

#include <atomic>
#include <cstdint>

namespace nestcache {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in seconds. Must be safe to call from any thread.
  virtual int64_t now() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start = 1'700'000'000) : now_(start) {}
  int64_t now() const override { return now_.load(std::memory_order_relaxed); }
  void advance(int64_t seconds) { now_.fetch_add(seconds, std::memory_order_relaxed); }
  void set(int64_t t) { now_.store(t, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

// memcached's exptime rules, turned into an absolute deadline: 0 never expires (returns 0); a
// negative value is already expired; up to 30 days is relative to now; anything larger is an
// absolute Unix time. The result is 0 (never) or a Unix time; a deadline <= now is expired.
int64_t absolute_exptime(int64_t exptime, int64_t now);
inline constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;

}  // namespace nestcache
