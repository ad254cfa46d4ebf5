// CRC-32C: the standard check value, the hardware path against Boost's, and the speed of both.
#include "nestcache/persistence/crc32c.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

namespace nestcache::persistence {
namespace {

TEST(JournalCrcTest, StandardCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c_portable("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c_portable(""), 0u);
}

TEST(JournalCrcTest, HardwareAgreesWithBoostAtEveryLengthAndAlignment) {
  std::mt19937 rng(12);
  std::string bytes(4096 + 16, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t length = 0; length < 300; ++length) {
      const std::string_view s = std::string_view(bytes).substr(offset, length);
      ASSERT_EQ(crc32c(s), crc32c_portable(s)) << offset << " " << length;
    }
  }
  const std::string_view all(bytes);
  EXPECT_EQ(crc32c(all), crc32c_portable(all));
}

// A checksum continued over a second piece equals the checksum of both pieces at once, on both
// paths, wherever the cut falls.
TEST(JournalCrcTest, ContinuedChecksumEqualsTheWhole) {
  std::mt19937 rng(7);
  std::string bytes(200, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const std::string_view all(bytes);
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    const std::string_view a = all.substr(0, cut);
    const std::string_view b = all.substr(cut);
    ASSERT_EQ(crc32c(b, crc32c(a)), crc32c(all)) << cut;
    ASSERT_EQ(crc32c_portable(b, crc32c_portable(a)), crc32c(all)) << cut;
  }
  EXPECT_EQ(crc32c("56789", crc32c("1234")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable("", 0xE3069283u), 0xE3069283u);
}

// Prints GB/s for both paths (the figure crc32c.h's header cites); asserts only that the one in
// use is not slower than Boost's.
TEST(JournalCrcTest, Speed) {
  std::string bytes(32 << 20, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131);
  auto rate = [&](auto fn) {
    const auto start = std::chrono::steady_clock::now();
    volatile uint32_t sink = fn(bytes);
    (void)sink;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(bytes.size()) / s / 1e9;
  };
  const double boost = rate([](std::string_view b) { return crc32c_portable(b); });
  const double used = rate([](std::string_view b) { return crc32c(b); });
  std::printf("crc32c: boost %.2f GB/s, crc32c() %.2f GB/s (hardware: %s)\n", boost, used,
              crc32c_has_hardware() ? "yes" : "no");
  RecordProperty("boost_gb_per_s", std::to_string(boost));
  RecordProperty("crc32c_gb_per_s", std::to_string(used));
  if (crc32c_has_hardware()) {
    EXPECT_GT(used, boost);
  }
}

}  // namespace
}  // namespace nestcache::persistence
