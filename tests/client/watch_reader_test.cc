// The watch reader against recorded watchtree streams, each fed in fragments of every size from
// 1 byte to the whole stream (an event split across reads is resumed, never misread).
#include "nestcache/client/watch_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nestcache::client {
namespace {

struct Seen {
  WatchKind kind;
  uint64_t revision;
  std::string path;
  uint32_t flags;
  int64_t exptime;
  std::string data;
  std::string staged;
  std::string reason;
  bool operator==(const Seen&) const = default;
};

// Feeds `stream` `fragment` bytes at a time and reads every event; stops at the first bad one
// (reported as an error event with the reason "<bad>").
std::vector<Seen> read_all(const std::string& stream, std::size_t fragment,
                           ReaderLimits limits = {}) {
  std::vector<Seen> seen;
  std::string buffer;
  std::size_t fed = 0;
  for (;;) {
    WatchEvent event;
    std::size_t consumed = 0;
    const ReadStatus status = read_watch_event(buffer, limits, event, consumed);
    if (status == ReadStatus::bad) {
      seen.push_back({WatchKind::error, 0, "", 0, 0, "", "", "<bad>"});
      return seen;
    }
    if (status == ReadStatus::complete) {
      EXPECT_LE(consumed, buffer.size());
      seen.push_back({event.kind, event.revision, std::string(event.path), event.flags,
                      event.exptime, std::string(event.data), std::string(event.staged),
                      std::string(event.reason)});
      buffer.erase(0, consumed);
      continue;
    }
    if (fed == stream.size()) return seen;
    buffer.append(stream, fed, fragment);
    fed = std::min(stream.size(), fed + fragment);
  }
}

bool is_bad(const std::vector<Seen>& seen) {
  return !seen.empty() && seen.back().reason == "<bad>";
}

class WatchReaderSweep : public ::testing::TestWithParam<std::size_t> {};

// Recorded from `watchtree 0 billing` while another client ran set (a value holding "\r\n" and
// a NUL), touch, an incr, delete, a flush_all, an atomic import (stage + swap) and stayed idle.
TEST_P(WatchReaderSweep, RecordedStream) {
  const std::string value("a\r\nb\0c", 6);
  const std::string stream =
      "WATCHING 7\r\n"
      "SET 8 billing prod db_url 5 0 6\r\n" +
      value +
      "\r\n"
      "SET 9 billing prod pool 0 1700003600 2\r\n20\r\n"
      "TOUCH 10 billing prod pool 1700007200\r\n"
      "SET 11 billing prod pool 0 1700007200 0\r\n\r\n"
      "UNSET 12 billing prod\r\n"
      "EVICT 13 billing prod db_url\r\n"
      "EXPIRE 14 billing tmp\r\n"
      "DELETE 15 billing prod\r\n"
      "GRAFT 16 billing billing.nc_stage_1 0\r\n"
      "FLUSH 17\r\n"
      "PROGRESS 17\r\n"
      "CANCELED 17 slow consumer\r\n";
  const auto seen = read_all(stream, GetParam());
  const std::vector<Seen> want = {
      {WatchKind::watching, 7, "", 0, 0, "", "", ""},
      {WatchKind::set, 8, "billing prod db_url", 5, 0, value, "", ""},
      {WatchKind::set, 9, "billing prod pool", 0, 1700003600, "20", "", ""},
      {WatchKind::touch, 10, "billing prod pool", 0, 1700007200, "", "", ""},
      {WatchKind::set, 11, "billing prod pool", 0, 1700007200, "", "", ""},
      {WatchKind::unset, 12, "billing prod", 0, 0, "", "", ""},
      {WatchKind::evict, 13, "billing prod db_url", 0, 0, "", "", ""},
      {WatchKind::expire, 14, "billing tmp", 0, 0, "", "", ""},
      {WatchKind::remove, 15, "billing prod", 0, 0, "", "", ""},
      {WatchKind::graft, 16, "billing", 0, 0, "", "billing.nc_stage_1", ""},
      {WatchKind::flush, 17, "", 0, 0, "", "", ""},
      {WatchKind::progress, 17, "", 0, 0, "", "", ""},
      {WatchKind::canceled, 17, "", 0, 0, "", "", "slow consumer"},
  };
  EXPECT_EQ(seen, want);
}

TEST_P(WatchReaderSweep, RefusalsAndCompaction) {
  const auto seen = read_all(
      "CLIENT_ERROR revision 99 is in the future: the last is 2\r\nCOMPACTED 2\r\nERROR\r\n"
      "SERVER_ERROR watches are off in this server\r\n",
      GetParam());
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].kind, WatchKind::error);
  EXPECT_EQ(seen[1], (Seen{WatchKind::compacted, 2, "", 0, 0, "", "", ""}));
  EXPECT_EQ(seen[2].kind, WatchKind::error);
  EXPECT_EQ(seen[3].kind, WatchKind::error);
  EXPECT_TRUE(ends_stream(WatchKind::compacted));
  EXPECT_TRUE(ends_stream(WatchKind::canceled));
  EXPECT_FALSE(ends_stream(WatchKind::progress));
}

TEST_P(WatchReaderSweep, LargeValueWaitsForItsLastByte) {
  const std::string value(300000, 'v');
  const std::string stream = "SET 1 a 0 0 300000\r\n" + value + "\r\nDELETE 2 a\r\n";
  const auto seen = read_all(stream, GetParam());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].data, value);
  EXPECT_EQ(seen[1].kind, WatchKind::remove);
}

INSTANTIATE_TEST_SUITE_P(Fragments, WatchReaderSweep,
                         ::testing::Values(1, 2, 3, 5, 7, 10, 100, 1000, 100000));

TEST(WatchReaderTest, IncompleteIsNeedMoreAndConsumesNothing) {
  for (const std::string prefix : {"", "SET", "SET 1 a 0 0 3\r\n", "SET 1 a 0 0 3\r\nabc",
                                   "SET 1 a 0 0 3\r\nabc\r", "DELETE 4 a b"}) {
    WatchEvent event;
    std::size_t consumed = 99;
    EXPECT_EQ(read_watch_event(prefix, ReaderLimits{}, event, consumed), ReadStatus::need_more)
        << prefix;
    EXPECT_EQ(consumed, 99u);
  }
}

TEST(WatchReaderTest, HugeClaimedLengthIsBadBeforeItsBytesArrive) {
  ReaderLimits limits;
  limits.max_value = 1024;
  EXPECT_TRUE(is_bad(read_all("SET 1 a 0 0 1025\r\n", 100, limits)));
  EXPECT_TRUE(is_bad(read_all("SET 1 a 0 0 99999999999999999999999\r\n", 100)));
  ReaderLimits open;
  open.max_value = SIZE_MAX;
  EXPECT_TRUE(read_all("SET 1 a 0 0 18446744073709551614\r\nxy", 100, open).empty());
}

TEST(WatchReaderTest, LineLongerThanTheLimitIsBad) {
  ReaderLimits limits;
  limits.max_line = 16;
  EXPECT_TRUE(is_bad(read_all(std::string(16, 'x'), 100, limits)));
  EXPECT_TRUE(is_bad(read_all("DELETE 1 " + std::string(20, 'a') + "\r\n", 100, limits)));
}

TEST(WatchReaderTest, MalformedLinesAreBad) {
  for (const char* stream :
       {"WATCHING\r\n", "WATCHING x\r\n", "WATCHING 1 2\r\n", "WATCHING -1\r\n", "SET 1 0 0 3\r\n",
        "SET 1 a 0 0\r\n", "SET 1 a x 0 1\r\nz\r\n", "SET 1 a 0 0 1\r\nzz\r\n", "DELETE 1\r\n",
        "DELETE 1 a  b\r\n", "DELETE 1 a \r\n", "TOUCH 1 a\r\n", "GRAFT 1 a 0\r\n",
        "CANCELED 3\r\n", "FLUSH 3 a\r\n", "VALUE a 0 1\r\n", "STORED\r\n", "\r\n"}) {
    EXPECT_TRUE(is_bad(read_all(stream, 100))) << stream;
  }
}

}  // namespace
}  // namespace nestcache::client
