// Session::feed's contract, as the connection relies on it: what it consumes, where it stops, and
// what it keeps (nothing that points into the input).
#include "nestcache/session/session.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "harness.h"

namespace nestcache {
namespace {

TEST(SessionTest, EmptyInputWithNoDataPointerWantsInput) {
  Harness h;
  std::string out;
  const Fed fed = h.session().feed(std::string_view(), out);  // data() is nullptr (UBSan)
  EXPECT_EQ(fed.state, SessionState::want_input);
  EXPECT_EQ(fed.consumed, 0u);
  EXPECT_FALSE(fed.answered);
  EXPECT_EQ(out, "");
}

TEST(SessionTest, ConsumesWholeRequestsAndSaysWhatTheNextNeeds) {
  Harness h;
  std::string out;
  const std::string input = "set k 0 0 5\r\nhello\r\nset j 0 0 10\r\nab";
  const Fed fed = h.session().feed(input, out);
  EXPECT_EQ(fed.state, SessionState::want_input);
  EXPECT_EQ(fed.consumed, 20u);  // the first request, line and block
  EXPECT_TRUE(fed.answered);
  EXPECT_EQ(fed.wanted, 14u + 12u);  // the second's line and its 10-byte block with \r\n
  EXPECT_EQ(out, "STORED\r\n");
}

TEST(SessionTest, StopsAtTheOutputBoundBetweenRequests) {
  Harness h;
  std::string out;
  ASSERT_EQ(h.run("set k 0 0 1\r\nv\r\n"), "STORED\r\n");
  const std::string input = "get k\r\nget k\r\nget k\r\n";
  Fed fed = h.session().feed(input, out, 1);
  EXPECT_EQ(fed.state, SessionState::more_output);
  EXPECT_EQ(fed.consumed, 7u);
  EXPECT_EQ(out, "VALUE k 0 1\r\nv\r\nEND\r\n");
  fed = h.session().feed(std::string_view(input).substr(7), out);
  EXPECT_EQ(fed.state, SessionState::want_input);
  EXPECT_EQ(fed.consumed, 14u);
}

TEST(SessionTest, QuitClosesAfterTheRepliesBeforeIt) {
  Harness h;
  std::string out;
  const Fed fed = h.session().feed("version\r\nquit\r\nversion\r\n", out);
  EXPECT_EQ(fed.state, SessionState::close);
  EXPECT_EQ(fed.consumed, 15u);
  EXPECT_EQ(out, std::string("VERSION ") + kVersionReply + "\r\n");
}

// A long reply owns what it needs: its request's bytes are gone before its next part is made.
TEST(SessionTest, ALongReplyOutlivesItsRequestBytes) {
  Harness h;
  const std::string big(100 * 1024, 'v');
  ASSERT_EQ(h.run("set big 0 0 102400\r\n" + big + "\r\n"), "STORED\r\n");
  auto request = std::make_unique<std::string>("get");
  for (int i = 0; i < 100; ++i) *request += " big";
  *request += "\r\n";
  std::string out;
  Fed fed = h.session().feed(*request, out);
  EXPECT_EQ(fed.state, SessionState::more_output);
  EXPECT_EQ(fed.consumed, request->size());
  EXPECT_TRUE(h.session().replying());
  request.reset();  // the connection may reuse its buffer now
  std::size_t parts = 1;
  while (fed.state == SessionState::more_output) {
    fed = h.session().feed(std::string_view(), out);
    ++parts;
  }
  EXPECT_GT(parts, 2u);
  EXPECT_FALSE(h.session().replying());
  const std::string value = "VALUE big 0 102400\r\n" + big + "\r\n";
  std::string whole;
  for (int i = 0; i < 100; ++i) whole += value;
  EXPECT_EQ(out, whole + "END\r\n");
}

}  // namespace
}  // namespace nestcache
