// The meta flag rules (memcached 1.6.18's _meta_flag_preparse) and base64 keys, alone.
#include "nestcache/protocol/meta_flags.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nestcache/protocol/base64.h"

namespace nestcache {
namespace {

MetaFlagsResult parse(std::vector<std::string_view> tokens, MetaFlags& flags) {
  return parse_meta_flags(tokens, flags);
}

TEST(MetaFlagsTest, ReadsEveryArgument) {
  MetaFlags flags;
  const auto result =
      parse({"v",  "q",    "u",   "I",  "b", "N30", "T-1", "R5", "C42", "F7", "MD", "J10",
             "D3", "O123", "P/x", "L1", "k", "s",   "t",   "c",  "f",   "l",  "h"},
            flags);
  EXPECT_TRUE(result.error.empty());
  EXPECT_TRUE(flags.value && flags.quiet && flags.no_bump && flags.invalidate && flags.base64_key);
  EXPECT_TRUE(flags.vivify && flags.has_ttl && flags.has_recache && flags.has_cas);
  EXPECT_EQ(flags.vivify_ttl, 30);
  EXPECT_EQ(flags.ttl, -1);
  EXPECT_EQ(flags.recache_ttl, 5);
  EXPECT_EQ(flags.cas, 42u);
  EXPECT_EQ(flags.client_flags, 7u);
  EXPECT_EQ(flags.mode, 'D');
  EXPECT_EQ(flags.initial, 10u);
  EXPECT_EQ(flags.delta, 3u);
}

TEST(MetaFlagsTest, DuplicateAndUnknownStop) {
  MetaFlags flags;
  EXPECT_EQ(parse({"v", "v"}, flags).error, "duplicate flag");
  EXPECT_TRUE(parse({"v", "vv"}, flags = {}).stopped);
  EXPECT_EQ(parse({"x"}, flags = {}).error, "invalid flag");
  EXPECT_EQ(parse({"\x80"}, flags = {}).error, "duplicate flag");  // memcached: >= 127
}

TEST(MetaFlagsTest, ArgumentErrorsKeepTheLastText) {
  MetaFlags flags;
  EXPECT_EQ(parse({"Tx"}, flags).error, "bad token in command line format");
  EXPECT_EQ(parse({"Fx"}, flags = {}).error, "bad command line format");
  EXPECT_EQ(parse({"Tx", "Fx"}, flags = {}).error, "bad token in command line format");
  EXPECT_EQ(parse({"MAB"}, flags = {}).error, "incorrect length for M token");
  EXPECT_EQ(parse({"Jx"}, flags = {}).error, "invalid numeric initial value");
  EXPECT_EQ(parse({"D-1"}, flags = {}).error, "invalid numeric delta value");
  EXPECT_FALSE(parse({"Dx", "v"}, flags = {}).stopped);
}

TEST(Base64Test, RoundTripsAndRefuses) {
  std::string out;
  EXPECT_TRUE(base64_decode("Zm9vYg==", out));
  EXPECT_EQ(out, "foob");
  out.clear();
  EXPECT_FALSE(base64_decode("Zm9vY", out));
  EXPECT_FALSE(base64_decode("bin", out));
  EXPECT_FALSE(base64_decode("", out));
  EXPECT_TRUE(out.empty());
  std::string encoded;
  base64_encode(std::string_view("foob"), encoded);
  EXPECT_EQ(encoded, "Zm9vYg==");
}

}  // namespace
}  // namespace nestcache
