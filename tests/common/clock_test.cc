// memcached's exptime rules turned into deadlines, and the clocks that say what "now" is.
#include "nestcache/common/clock.h"

#include <cstdint>
#include <ctime>

#include <gtest/gtest.h>

namespace nestcache {
namespace {

constexpr int64_t kNow = 1'700'000'000;

TEST(AbsoluteExptimeTest, ZeroNeverExpires) { EXPECT_EQ(absolute_exptime(0, kNow), 0); }

TEST(AbsoluteExptimeTest, NegativeIsAlreadyExpired) {
  for (int64_t exptime : {int64_t{-1}, int64_t{-1000}, int64_t{INT32_MIN}}) {
    const int64_t deadline = absolute_exptime(exptime, kNow);
    EXPECT_NE(deadline, 0) << exptime;  // 0 would mean "never"
    EXPECT_LE(deadline, kNow) << exptime;
  }
}

TEST(AbsoluteExptimeTest, SmallValuesAreRelative) {
  EXPECT_EQ(absolute_exptime(1, kNow), kNow + 1);
  EXPECT_EQ(absolute_exptime(3600, kNow), kNow + 3600);
}

TEST(AbsoluteExptimeTest, ThirtyDaysIsTheLastRelativeValue) {
  EXPECT_EQ(kMaxRelativeExptime, 2592000);
  EXPECT_EQ(absolute_exptime(2592000, kNow), kNow + 2592000);
}

TEST(AbsoluteExptimeTest, AboveThirtyDaysIsAnAbsoluteUnixTime) {
  EXPECT_EQ(absolute_exptime(2592001, kNow), 2592001);  // 1970: long past, so expired
  EXPECT_EQ(absolute_exptime(kNow + 60, kNow), kNow + 60);
  EXPECT_EQ(absolute_exptime(INT32_MAX, kNow), INT32_MAX);
}

TEST(AbsoluteExptimeTest, DoesNotDependOnNowForAbsoluteTimes) {
  EXPECT_EQ(absolute_exptime(kNow + 60, 0), kNow + 60);
  EXPECT_EQ(absolute_exptime(60, 0), 60);
}

TEST(ManualClockTest, StartsWhereTold) {
  EXPECT_EQ(ManualClock().now(), 1'700'000'000);
  EXPECT_EQ(ManualClock(42).now(), 42);
}

TEST(ManualClockTest, AdvanceAndSet) {
  ManualClock clock(100);
  clock.advance(5);
  EXPECT_EQ(clock.now(), 105);
  clock.advance(-10);
  EXPECT_EQ(clock.now(), 95);
  clock.set(7);
  EXPECT_EQ(clock.now(), 7);
}

TEST(ManualClockTest, WorksThroughTheClockInterface) {
  ManualClock manual(1000);
  const Clock& clock = manual;
  manual.advance(1);
  EXPECT_EQ(clock.now(), 1001);
}

TEST(ManualClockTest, RelativeExptimeFollowsTheClock) {
  ManualClock clock(kNow);
  const int64_t deadline = absolute_exptime(10, clock.now());
  clock.advance(9);
  EXPECT_GT(deadline, clock.now());
  clock.advance(1);
  EXPECT_LE(deadline, clock.now());  // a deadline <= now is expired
}

TEST(SystemClockTest, IsUnixTimeInSeconds) {
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  const int64_t now = SystemClock().now();
  const int64_t after = static_cast<int64_t>(std::time(nullptr));
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace nestcache
