// Long replies taken a part at a time (Session::feed stops after each part, as the connection
// sends it): each part is bounded, only the last ends in END, and the parts make the whole reply.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/engine/engine.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/session/session.h"

namespace nestcache {
namespace {

using ::testing::EndsWith;
using ::testing::Not;

class LongReplyTest : public ::testing::Test {
 protected:
  // The reply to one complete request, as the parts a connection would take between writes.
  std::vector<std::string> parts(std::string_view request) {
    std::vector<std::string> got;
    Fed fed;
    do {
      fed = h_.session().feed(request, got.emplace_back());
      request.remove_prefix(fed.consumed);
    } while (fed.state == SessionState::more_output);
    EXPECT_EQ(fed.state, SessionState::want_input);
    EXPECT_TRUE(request.empty());
    // The session yields after a long reply's last part too (for requests behind it): the feed
    // that found nothing more to do answered nothing.
    if (got.size() > 1 && got.back().empty()) got.pop_back();
    return got;
  }

  std::string whole(std::string_view request) { return h_.run(request); }

  void put(std::string_view key_line, std::size_t size) {
    const std::string data(size, 'v');
    const std::string request =
        "set " + std::string(key_line) + " 0 0 " + std::to_string(size) + "\r\n" + data + "\r\n";
    ASSERT_EQ(whole(request), "STORED\r\n");
  }

  static std::string joined(const std::vector<std::string>& parts) {
    std::string all;
    for (const std::string& part : parts) all += part;
    return all;
  }

  void expect_steps(const std::vector<std::string>& got, std::size_t max_part) {
    ASSERT_GT(got.size(), 1u);
    for (std::size_t i = 0; i + 1 < got.size(); ++i) {
      EXPECT_THAT(got[i], Not(EndsWith("END\r\n"))) << "part " << i;
      EXPECT_LE(got[i].size(), max_part) << "part " << i;
    }
    EXPECT_THAT(got.back(), EndsWith("END\r\n"));
  }

  Harness h_;
};

TEST_F(LongReplyTest, ShortRepliesComeInOneStep) {
  put("a b", 10);
  EXPECT_EQ(parts("gettree a\r\n"),
            std::vector<std::string>{"VALUE a b 0 10\r\nvvvvvvvvvv\r\nEND\r\n"});
  EXPECT_EQ(parts("get x y z\r\n"), std::vector<std::string>{"END\r\n"});
}

TEST_F(LongReplyTest, GettreeOfALargeSubtreeComesInBoundedSteps) {
  for (int i = 0; i < 2000; ++i) put("ns n" + std::to_string(10000 + i), 1024);
  const std::vector<std::string> got = parts("gettree ns\r\n");
  expect_steps(got, 300 * 1024);
  EXPECT_EQ(joined(got), whole("gettree ns\r\n"));
  const std::vector<std::string> all = parts("gettree\r\n");
  expect_steps(all, 300 * 1024);
  EXPECT_EQ(joined(all), joined(got));
}

TEST_F(LongReplyTest, LargeMultiGetComesInBoundedSteps) {
  put("big", 100 * 1024);
  std::string request = "gets";
  for (int i = 0; i < 200; ++i) request += i % 2 ? " big" : " miss";
  request += "\r\n";
  const std::vector<std::string> got = parts(request);
  expect_steps(got, 400 * 1024);
  EXPECT_EQ(joined(got), whole(request));
}

TEST_F(LongReplyTest, MetadumpOfManyKeysComesInBoundedSteps) {
  // 3000 top-level keys of 200 bytes: about 800 KiB of metadump lines, one per key, in name
  // order; the paths below them are not items without a separator.
  const std::string stem(196, 'k');
  for (int i = 0; i < 3000; ++i) {
    put(stem + std::to_string(1000 + i), 1);
    if (i % 100 == 0) put(stem + std::to_string(1000 + i) + " below", 1);
  }
  const std::vector<std::string> got = parts("lru_crawler metadump all\r\n");
  expect_steps(got, 300 * 1024);
  const std::string all = joined(got);
  std::size_t lines = 0, at = 0;
  std::string previous;
  while (all.compare(at, 4, "key=") == 0) {
    const std::size_t end = all.find('\n', at);
    const std::string key = all.substr(at + 4, all.find(' ', at) - at - 4);
    EXPECT_LT(previous, key);
    EXPECT_EQ(key.size(), 200u);
    previous = key;
    at = end + 1;
    ++lines;
  }
  EXPECT_EQ(lines, 3000u);
  EXPECT_EQ(all.substr(at), "END\r\n");
}

TEST_F(LongReplyTest, GettreeNoreplyAnswersNothingInAnyStep) {
  for (int i = 0; i < 2000; ++i) put("ns n" + std::to_string(10000 + i), 1024);
  for (const std::string& part : parts("gettree ns noreply\r\n")) EXPECT_EQ(part, "");
}

}  // namespace
}  // namespace nestcache
