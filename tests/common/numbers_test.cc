// memcached's number rules (safe_strtoull, safe_strtoul, safe_strtol in util.c), on string_views.
// Every spelling here was checked against memcached 1.6.18 through a storage or incr command.
#include "nestcache/common/numbers.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace nestcache {
namespace {

using namespace std::string_literals;
using std::nullopt;

// ---- parse_u64: safe_strtoull (cas unique, incr/decr delta) ----

TEST(ParseU64Test, PlainDecimal) {
  EXPECT_EQ(parse_u64("0"), 0u);
  EXPECT_EQ(parse_u64("123"), 123u);
  EXPECT_EQ(parse_u64("0000000000000000000000000042"), 42u);
}

TEST(ParseU64Test, LeadingWhitespaceAndPlusAreAccepted) {
  EXPECT_EQ(parse_u64("  12"), 12u);
  EXPECT_EQ(parse_u64("\t12"), 12u);
  EXPECT_EQ(parse_u64("+12"), 12u);
  EXPECT_EQ(parse_u64(" +12"), 12u);
}

TEST(ParseU64Test, TextMayEndAtWhitespace) {
  EXPECT_EQ(parse_u64("12 "), 12u);
  EXPECT_EQ(parse_u64("12\t"), 12u);
  EXPECT_EQ(parse_u64("12\r"), 12u);
  EXPECT_EQ(parse_u64("12 junk"), 12u);  // strtoull stopped at a space: memcached is content
}

TEST(ParseU64Test, TrailingGarbageIsRejected) {
  EXPECT_EQ(parse_u64("12abc"), nullopt);
  EXPECT_EQ(parse_u64("0x10"), nullopt);
  EXPECT_EQ(parse_u64("1.5"), nullopt);
  EXPECT_EQ(parse_u64("1e3"), nullopt);
}

TEST(ParseU64Test, NothingNumericIsRejected) {
  EXPECT_EQ(parse_u64(""), nullopt);
  EXPECT_EQ(parse_u64(" "), nullopt);
  EXPECT_EQ(parse_u64("+"), nullopt);
  EXPECT_EQ(parse_u64("-"), nullopt);
  EXPECT_EQ(parse_u64("abc"), nullopt);
}

TEST(ParseU64Test, Largest) { EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX); }

TEST(ParseU64Test, OverflowIsRejected) {
  EXPECT_EQ(parse_u64("18446744073709551616"), nullopt);  // ERANGE
  EXPECT_EQ(parse_u64("99999999999999999999"), nullopt);
}

TEST(ParseU64Test, NegativeThatWrapsIsRejected) {
  EXPECT_EQ(parse_u64("-1"), nullopt);
  EXPECT_EQ(parse_u64("-5"), nullopt);
  EXPECT_EQ(parse_u64("-9223372036854775808"), nullopt);
}

TEST(ParseU64Test, NegativeThatLandsNonNegativeIsAcceptedAsMemcachedDoes) {
  // strtoull negates in unsigned arithmetic; memcached only rejects a '-' when the result looks
  // negative as a signed number. memcached 1.6.18: incr of 1 by -18446744073709551615 gives 2.
  EXPECT_EQ(parse_u64("-0"), 0u);
  EXPECT_EQ(parse_u64("-18446744073709551615"), 1u);
  EXPECT_EQ(parse_u64("-9223372036854775809"), 9223372036854775807u);
}

TEST(ParseU64Test, ReadsOnlyTheView) {
  const std::string text = "123456";
  EXPECT_EQ(parse_u64(std::string_view(text).substr(0, 3)), 123u);
  EXPECT_EQ(parse_u64(std::string_view(text).substr(0, 0)), nullopt);
}

TEST(ParseU64Test, TokenLongerThanTheStackCopy) {
  EXPECT_EQ(parse_u64(std::string(100, '0') + "7"), 7u);
  EXPECT_EQ(parse_u64("7" + std::string(100, ' ')), 7u);
  EXPECT_EQ(parse_u64(std::string(100, '9')), nullopt);
}

TEST(ParseU64Test, EmbeddedNulEndsTheNumberAsInC) {
  // memcached sees the token through a C string, which ends at the NUL.
  EXPECT_EQ(parse_u64("12\0ab"s), 12u);
  EXPECT_EQ(parse_u64("\0"s), nullopt);
}

// ---- parse_u32: safe_strtoul with a 32-bit range (flags in nested mode) ----

TEST(ParseU32Test, Bounds) {
  EXPECT_EQ(parse_u32("0"), 0u);
  EXPECT_EQ(parse_u32("4294967295"), UINT32_MAX);
  EXPECT_EQ(parse_u32("4294967296"), nullopt);
  EXPECT_EQ(parse_u32("18446744073709551615"), nullopt);
  EXPECT_EQ(parse_u32("18446744073709551616"), nullopt);
}

TEST(ParseU32Test, SpellingsFollowStrtoul) {
  EXPECT_EQ(parse_u32(" 7"), 7u);
  EXPECT_EQ(parse_u32("+7"), 7u);
  EXPECT_EQ(parse_u32("7 "), 7u);
  EXPECT_EQ(parse_u32("7x"), nullopt);
  EXPECT_EQ(parse_u32(""), nullopt);
}

TEST(ParseU32Test, NegativeIsRejected) {
  EXPECT_EQ(parse_u32("-1"), nullopt);
  EXPECT_EQ(parse_u32("-4294967295"), nullopt);
  EXPECT_EQ(parse_u32("-0"), 0u);
}

// ---- parse_i32: safe_strtol with a 32-bit range (exptime, bytes, delays in nested mode) ----

TEST(ParseI32Test, Bounds) {
  EXPECT_EQ(parse_i32("2147483647"), INT32_MAX);
  EXPECT_EQ(parse_i32("-2147483648"), INT32_MIN);
  EXPECT_EQ(parse_i32("2147483648"), nullopt);
  EXPECT_EQ(parse_i32("-2147483649"), nullopt);
  EXPECT_EQ(parse_i32("9223372036854775808"), nullopt);  // ERANGE
}

TEST(ParseI32Test, SignsAndSpaces) {
  EXPECT_EQ(parse_i32("-1"), -1);
  EXPECT_EQ(parse_i32("+1"), 1);
  EXPECT_EQ(parse_i32("  -30"), -30);
  EXPECT_EQ(parse_i32("30 "), 30);
  EXPECT_EQ(parse_i32("0"), 0);
}

TEST(ParseI32Test, GarbageIsRejected) {
  EXPECT_EQ(parse_i32(""), nullopt);
  EXPECT_EQ(parse_i32("-"), nullopt);
  EXPECT_EQ(parse_i32("12abc"), nullopt);
  EXPECT_EQ(parse_i32("--1"), nullopt);
  EXPECT_EQ(parse_i32("1-"), nullopt);
}

// ---- compat mode: memcached 1.6.18 on a 64-bit build cuts to 32 bits without a range check ----

TEST(ParseU32TruncatingTest, CutsTo32Bits) {
  EXPECT_EQ(parse_u32_truncating("4294967295"), UINT32_MAX);
  EXPECT_EQ(parse_u32_truncating("4294967296"), 0u);  // memcached stores flags 0
  EXPECT_EQ(parse_u32_truncating("4294967297"), 1u);
  EXPECT_EQ(parse_u32_truncating("18446744073709551615"), UINT32_MAX);
}

TEST(ParseU32TruncatingTest, RejectsWhatSafeStrtoulRejects) {
  EXPECT_EQ(parse_u32_truncating("18446744073709551616"), nullopt);
  EXPECT_EQ(parse_u32_truncating("-1"), nullopt);
  EXPECT_EQ(parse_u32_truncating("1x"), nullopt);
  EXPECT_EQ(parse_u32_truncating(""), nullopt);
  EXPECT_EQ(parse_u32_truncating("+3"), 3u);
}

TEST(ParseI32TruncatingTest, CutsTo32Bits) {
  EXPECT_EQ(parse_i32_truncating("2147483647"), INT32_MAX);
  EXPECT_EQ(parse_i32_truncating("2147483648"), INT32_MIN);
  EXPECT_EQ(parse_i32_truncating("-2147483649"), INT32_MAX);
  EXPECT_EQ(parse_i32_truncating("4294967297"), 1);  // memcached reads a 1-byte block
  EXPECT_EQ(parse_i32_truncating("4294967295"), -1);
  EXPECT_EQ(parse_i32_truncating("-9223372036854775808"), 0);
}

TEST(ParseI32TruncatingTest, RejectsWhatSafeStrtolRejects) {
  EXPECT_EQ(parse_i32_truncating("9223372036854775808"), nullopt);  // ERANGE
  EXPECT_EQ(parse_i32_truncating("-9223372036854775809"), nullopt);
  EXPECT_EQ(parse_i32_truncating("5x"), nullopt);
  EXPECT_EQ(parse_i32_truncating(""), nullopt);
}

}  // namespace
}  // namespace nestcache
