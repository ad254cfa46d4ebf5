// stats items, stats slabs, stats sizes (memcached's classes from the real item sizes) and stats
// cachedump (the tree as one pseudo class), in memcached's
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
using ::testing::HasSubstr;
using ::testing::Not;
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

// Items by memcached's classes: a value's item size (key, flags, data) picks the class; a nested
// value's key is its own segment.
TEST_F(DumpTest, ItemsListsMemcachedsClasses) {
  run("set a 0 0 1\r\nx\r\nset b c 0 0 2\r\nxy\r\nset d 1 0 200\r\n" + std::string(200, 'v') +
      "\r\n");
  const std::string items = run("stats items\r\n");
  // 48 + 1 + 1 + 1 + 2 + 8 = 61 and 62 bytes: class 1 (96); 48 + 1 + 1 + 4 + 200 + 2 + 8 = 264:
  // class 6 (304).
  EXPECT_THAT(items, StartsWith("STAT items:1:number 2\r\nSTAT items:1:number_hot 0\r\n"));
  EXPECT_THAT(items, HasSubstr("STAT items:1:mem_requested 123\r\n"));
  EXPECT_THAT(items, HasSubstr("STAT items:6:number 1\r\n"));
  EXPECT_THAT(items, HasSubstr("STAT items:6:mem_requested 264\r\n"));
  EXPECT_THAT(items, Not(HasSubstr("items:2:")));
  EXPECT_THAT(items, EndsWith("END\r\n"));
}

TEST_F(DumpTest, SlabsCountChunksAndPagesAsMemcachedWould) {
  EXPECT_EQ(run("stats slabs\r\n"), "STAT active_slabs 0\r\nSTAT total_malloced 0\r\nEND\r\n");
  run("set a 0 0 1\r\nx\r\nset big 0 0 600000\r\n" + std::string(600000, 'v') + "\r\n");
  const std::string slabs = run("stats slabs\r\n");
  // The big value is a chunked item: its header in class 2, a 512 KiB chunk, the rest in 31.
  EXPECT_THAT(slabs, StartsWith("STAT 1:chunk_size 96\r\nSTAT 1:chunks_per_page 10922\r\n"
                                "STAT 1:total_pages 1\r\nSTAT 1:total_chunks 10922\r\n"
                                "STAT 1:used_chunks 1\r\nSTAT 1:free_chunks 10921\r\n"));
  EXPECT_THAT(slabs, HasSubstr("STAT 2:used_chunks 1\r\n"));
  EXPECT_THAT(slabs, HasSubstr("STAT 31:used_chunks 1\r\n"));
  EXPECT_THAT(slabs, HasSubstr("STAT 39:chunk_size 524288\r\nSTAT 39:chunks_per_page 2\r\n"));
  EXPECT_THAT(slabs, EndsWith("STAT active_slabs 4\r\nSTAT total_malloced 4194304\r\nEND\r\n"));
  // The chunked item is in the largest class's LRU, as in memcached.
  EXPECT_THAT(run("stats items\r\n"), HasSubstr("STAT items:39:number 1\r\n"));
  // Deleted values leave their classes once their memory is freed.
  run("delete big\r\ndelete a\r\n");
  while (h_.tree().collect()) {
  }
  EXPECT_EQ(run("stats slabs\r\n"), "STAT active_slabs 0\r\nSTAT total_malloced 0\r\nEND\r\n");
  EXPECT_EQ(run("stats items\r\n"), "END\r\n");
  EXPECT_EQ(run("stats sizes\r\n"), "STAT sizes_status disabled\r\nEND\r\n");
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
