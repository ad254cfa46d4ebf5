// stats items and stats cachedump: the tree as memcached's one pseudo slab class, in memcached's
// formats, with its 2 MiB cap (protocol.md 8.1).
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {
namespace {

using ::testing::EndsWith;
using ::testing::StartsWith;

class DumpTest : public ::testing::Test {
 protected:
  explicit DumpTest(char separator = '\0') : h_(with_separator(separator)) {}

  static Options with_separator(char separator) {
    Options options;
    options.key_separator = separator;
    return options;
  }

  std::string run(std::string_view request) { return h_.run(request); }

  Harness h_;
};

class SeparatorDumpTest : public DumpTest {
 protected:
  SeparatorDumpTest() : DumpTest(':') {}
};

TEST_F(DumpTest, EmptyTreeHasNoClasses) {
  EXPECT_EQ(run("stats items\r\n"), "END\r\n");
  EXPECT_EQ(run("stats cachedump 1 0\r\n"), "END\r\n");
}

TEST_F(DumpTest, ItemsListsThePseudoClass) {
  run("set a 0 0 1\r\nx\r\nset b c 0 0 2\r\nxy\r\n");
  const std::string items = run("stats items\r\n");
  EXPECT_THAT(items, StartsWith("STAT items:1:number 2\r\nSTAT items:1:mem_requested "));
  EXPECT_THAT(items, EndsWith("END\r\n"));
}

TEST_F(DumpTest, CachedumpListsOneTokenKeysInNameOrder) {
  run("set b 0 100 3\r\nxyz\r\nset a 0 0 1\r\nx\r\nset b c 0 0 2\r\nxy\r\n");
  EXPECT_EQ(run("stats cachedump 1 0\r\n"),
            "ITEM a [1 b; 0 s]\r\nITEM b [3 b; " + std::to_string(kStart + 100) + " s]\r\nEND\r\n");
  EXPECT_EQ(run("stats cachedump 1 1\r\n"), "ITEM a [1 b; 0 s]\r\nEND\r\n");
  EXPECT_EQ(run("stats cachedump 2 0\r\n"), "END\r\n");
}

TEST_F(DumpTest, CachedumpArgumentErrorsAreMemcacheds) {
  EXPECT_EQ(run("stats cachedump\r\n"), "CLIENT_ERROR bad command line\r\n");
  EXPECT_EQ(run("stats cachedump 1\r\n"), "CLIENT_ERROR bad command line\r\n");
  EXPECT_EQ(run("stats cachedump x 0\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(run("stats cachedump 1 -1\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(run("stats cachedump 64 0\r\n"), "CLIENT_ERROR Illegal slab id\r\n");
}

TEST_F(DumpTest, CachedumpStopsBefore2MiB) {
  std::string sets;
  for (int i = 0; i < 40000; ++i) {
    sets += "set key" + std::string(40, 'k') + std::to_string(100000 + i) + " 0 0 1\r\nx\r\n";
  }
  run(sets);
  const std::string dump = run("stats cachedump 1 0\r\n");
  EXPECT_LE(dump.size(), 2u * 1024 * 1024 - 1);
  EXPECT_GT(dump.size(), 2u * 1024 * 1024 - 100);
  EXPECT_THAT(dump, EndsWith("s]\r\nEND\r\n"));
}

TEST_F(SeparatorDumpTest, CachedumpJoinsPathsWithTheSeparator) {
  run("set users:42:name 0 0 2\r\nab\r\nset users 0 0 1\r\nu\r\n");
  EXPECT_EQ(run("stats cachedump 1 0\r\n"),
            "ITEM users [1 b; 0 s]\r\nITEM users:42:name [2 b; 0 s]\r\nEND\r\n");
}

TEST_F(DumpTest, MetadumpListsTopLevelValuesInMemcachedsFormat) {
  // The tree keeps no access time: la is the dump's time; fetch is yes (the dump reads them).
  run("set b 0 100 3\r\nxyz\r\nset a 7 0 1\r\nx\r\nset b c 0 0 2\r\nxy\r\n");
  const std::string la = std::to_string(kStart);
  const std::string lines = "key=a exp=-1 la=" + la + " cas=2 fetch=yes cls=1 size=65\n" +
                            "key=b exp=" + std::to_string(kStart + 100) + " la=" + la +
                            " cas=1 fetch=yes cls=1 size=63\nEND\r\n";
  EXPECT_EQ(run("lru_crawler metadump all\r\n"), lines);
  EXPECT_EQ(run("lru_crawler metadump hash\r\n"), lines);
  EXPECT_EQ(run("lru_crawler metadump 3,1\r\n"), lines);
  EXPECT_EQ(run("lru_crawler metadump 2\r\n"), "END\r\n");
}

TEST_F(DumpTest, TheCrawlerSwitchIsServerWide) {
  EXPECT_EQ(run("lru_crawler disable\r\n"), "OK\r\n");
  h_.reconnect();
  EXPECT_EQ(run("lru_crawler metadump all\r\n"), "CLIENT_ERROR lru crawler disabled\r\n");
  EXPECT_EQ(run("lru_crawler crawl 1\r\n"), "CLIENT_ERROR lru crawler disabled\r\n");
  EXPECT_EQ(run("lru_crawler enable\r\nlru_crawler metadump all\r\n"), "OK\r\nEND\r\n");
}

TEST_F(SeparatorDumpTest, MetadumpJoinsPathsAndEncodesThem) {
  // Every valued node, its path joined by the separator and URI-encoded; a:b has no value.
  run("set a:b:c 0 0 1\r\nx\r\nset x~y 0 0 2\r\nxy\r\n");
  const std::string la = std::to_string(kStart);
  EXPECT_EQ(run("lru_crawler metadump all\r\n"),
            "key=a%3Ab%3Ac exp=-1 la=" + la + " cas=1 fetch=yes cls=1 size=65\n" +
                "key=x~y exp=-1 la=" + la + " cas=2 fetch=yes cls=1 size=64\nEND\r\n");
}

}  // namespace
}  // namespace nestcache
