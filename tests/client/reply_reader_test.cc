// The reply reader against recorded byte streams, each fed in fragments of every size from 1
// byte to the whole stream (a reply split across reads is resumed, never misread).
#include "nestcache/client/reply_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nestcache::client {
namespace {

struct Seen {
  UnitKind kind;
  std::string line;
  std::string key;
  uint32_t flags;
  int64_t exptime;
  uint64_t cas;
  std::string data;
  bool operator==(const Seen&) const = default;
};

// Feeds `stream` `fragment` bytes at a time, as a socket would hand them over, and reads every
// unit; stops at the first bad one (reported as a line "<bad>").
std::vector<Seen> read_all(const std::string& stream, std::size_t fragment, bool with_cas,
                           ReaderLimits limits = {}) {
  std::vector<Seen> seen;
  std::string buffer;
  std::size_t fed = 0;
  for (;;) {
    Unit unit;
    std::size_t consumed = 0;
    const ReadStatus status = read_unit(buffer, with_cas, limits, unit, consumed);
    if (status == ReadStatus::bad) {
      seen.push_back({UnitKind::line, "<bad>", "", 0, 0, 0, ""});
      return seen;
    }
    if (status == ReadStatus::complete) {
      seen.push_back({unit.kind, std::string(unit.line), std::string(unit.key), unit.flags,
                      unit.exptime, unit.cas, std::string(unit.data)});
      buffer.erase(0, consumed);
      continue;
    }
    if (fed == stream.size()) return seen;
    buffer.append(stream, fed, fragment);
    fed = std::min(stream.size(), fed + fragment);
  }
}

class ReplyReaderSweep : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ReplyReaderSweep, GettreeWithBinaryDataAndSpacedPaths) {
  const std::string data("a\r\nb\0c", 6);
  const std::string stream =
      "VALUE billing prod db_url 7 6\r\n" + data + "\r\nVALUE billing x 0 0\r\n\r\nEND\r\n";
  const auto seen = read_all(stream, GetParam(), false);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (Seen{UnitKind::value, "VALUE billing prod db_url 7 6", "billing prod db_url",
                           7, 0, 0, data}));
  EXPECT_EQ(seen[1].key, "billing x");
  EXPECT_EQ(seen[1].data, "");
  EXPECT_EQ(seen[2].line, "END");
}

TEST_P(ReplyReaderSweep, GetsCarriesTheCasUnique) {
  const auto seen =
      read_all("VALUE a b 4294967295 3 18446744073709551615\r\nxyz\r\nEND\r\n", GetParam(), true);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].key, "a b");
  EXPECT_EQ(seen[0].flags, 4294967295u);
  EXPECT_EQ(seen[0].cas, 18446744073709551615u);
  EXPECT_EQ(seen[0].data, "xyz");
}

TEST_P(ReplyReaderSweep, DumptreeNodes) {
  const auto seen = read_all("NODE a:b 5 1700000000 2 42\r\nhi\r\nEND\r\n", GetParam(), false);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0],
            (Seen{UnitKind::node, "NODE a:b 5 1700000000 2 42", "a:b", 5, 1700000000, 42, "hi"}));
}

TEST_P(ReplyReaderSweep, StatusAndErrorLines) {
  const auto seen = read_all(
      "STORED\r\nNOT_FOUND\r\nCLIENT_ERROR path too deep\r\nSERVER_ERROR out of memory storing "
      "object\r\nERROR\r\n12\r\nCHILD x\r\nSTAT pid 1\r\nEND\r\n",
      GetParam(), false);
  std::vector<LineKind> kinds;
  for (const Seen& s : seen) kinds.push_back(classify(s.line));
  EXPECT_EQ(kinds,
            (std::vector<LineKind>{LineKind::stored, LineKind::not_found, LineKind::client_error,
                                   LineKind::server_error, LineKind::error, LineKind::number,
                                   LineKind::child, LineKind::stat, LineKind::end}));
}

INSTANTIATE_TEST_SUITE_P(Fragments, ReplyReaderSweep,
                         ::testing::Values(1, 2, 3, 5, 7, 10, 100, 100000));

TEST(ReplyReaderTest, DataNotEndedByCrLfIsBad) {
  EXPECT_EQ(read_all("VALUE a 0 2\r\nxyz\r\n", 100, false).back().line, "<bad>");
}

TEST(ReplyReaderTest, HugeClaimedLengthIsBadNotAllocated) {
  // A byte count past the limit is refused at once, whatever follows.
  ReaderLimits limits;
  limits.max_value = 1024;
  EXPECT_EQ(read_all("VALUE a 0 1025\r\n", 100, false, limits).back().line, "<bad>");
  // A count past 64 bits does not parse; one near 2^64 cannot wrap the bounds check.
  EXPECT_EQ(read_all("VALUE a 0 99999999999999999999999\r\n", 100, false).back().line, "<bad>");
  ReaderLimits open;
  open.max_value = SIZE_MAX;
  EXPECT_TRUE(read_all("VALUE a 0 18446744073709551614\r\nxy", 100, false, open).empty());
}

TEST(ReplyReaderTest, MalformedHeadersAreBad) {
  for (const char* stream : {"VALUE\r\n", "VALUE a\r\n", "VALUE a x 1\r\n", "VALUE a 0 -1\r\n",
                             "VALUE 0 1\r\n", "NODE a 0 0 1\r\n"}) {
    EXPECT_EQ(read_all(stream, 100, false).back().line, "<bad>") << stream;
  }
}

TEST(ReplyReaderTest, LineWithoutNewlinePastTheLimitIsBad) {
  ReaderLimits limits;
  limits.max_line = 16;
  EXPECT_EQ(read_all(std::string(40, 'x'), 100, false, limits).back().line, "<bad>");
  EXPECT_TRUE(read_all(std::string(10, 'x'), 100, false, limits).empty());
}

}  // namespace
}  // namespace nestcache::client
