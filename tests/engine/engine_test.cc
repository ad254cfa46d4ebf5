// The engine end to end below the socket: request bytes -> the real Parser -> Engine -> reply
// bytes, compared exactly, in nested mode, compat mode and with a key separator.
#include "nestcache/engine/engine.h"

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness.h"
#include "nestcache/common/clock.h"
#include "nestcache/config/options.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"
#include "nestcache/tree/tree.h"

namespace nestcache {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Options compat_options() {
  Options options;
  options.compat = true;
  return options;
}

Options separator_options(bool compat = false) {
  Options options;
  options.compat = compat;
  options.key_separator = ':';
  return options;
}

// ---- nested mode: storage and reads ------------------------------------------------------------

TEST(EngineTest, SetAndGetTopLevel) {
  Harness h;
  EXPECT_EQ(h.run("set a 5 0 3\r\nabc\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 5 3\r\nabc\r\nEND\r\n");
  EXPECT_EQ(h.run("gets a\r\n"), "VALUE a 5 3 1\r\nabc\r\nEND\r\n");
  EXPECT_EQ(h.run("get b\r\n"), "END\r\n");
}

TEST(EngineTest, MultiGetKeepsOrderAndSkipsMisses) {
  Harness h;
  h.run("set a 0 0 1\r\n1\r\nset c 0 0 1\r\n3\r\n");
  EXPECT_EQ(h.run("get a b c a\r\n"),
            "VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n3\r\nVALUE a 0 1\r\n1\r\nEND\r\n");
}

TEST(EngineTest, BinaryDataAndEmptyValues) {
  Harness h;
  EXPECT_EQ(h.run(std::string("set a 0 0 4\r\n\r\n\0x\r\n", 19)), "STORED\r\n");
  EXPECT_EQ(h.run("get a\r\n"), std::string("VALUE a 0 4\r\n\r\n\0x\r\nEND\r\n", 24));
  EXPECT_EQ(h.run("set e 0 0 0\r\n\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("get e\r\n"), "VALUE e 0 0\r\n\r\nEND\r\n");
}

TEST(EngineTest, NestedPathsAndImplicitParents) {
  Harness h;
  EXPECT_EQ(h.run("set users 42 name 5 0 3\r\nbob\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("getn users 42 name\r\n"), "VALUE users 42 name 5 3\r\nbob\r\nEND\r\n");
  EXPECT_EQ(h.run("getns users 42 name\r\n"), "VALUE users 42 name 5 3 1\r\nbob\r\nEND\r\n");
  EXPECT_EQ(h.run("getn  users   42 name\r\n"), "VALUE users 42 name 5 3\r\nbob\r\nEND\r\n");
  EXPECT_EQ(h.run("getn users 42\r\n"), "END\r\n");
  EXPECT_EQ(h.run("get users\r\n"), "END\r\n");
  EXPECT_EQ(h.run("getn users 43 name\r\n"), "END\r\n");
}

TEST(EngineTest, GetchListsChildrenSorted) {
  Harness h;
  h.run("set cfg prod b 0 0 1\r\n1\r\nset cfg prod a 0 0 1\r\n2\r\nset cfg dev x 0 0 1\r\n3\r\n");
  h.run("set zz 0 0 1\r\n4\r\nset B 0 0 1\r\n5\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "CHILD B\r\nCHILD cfg\r\nCHILD zz\r\nEND\r\n");
  EXPECT_EQ(h.run("getch cfg\r\n"), "CHILD dev\r\nCHILD prod\r\nEND\r\n");
  EXPECT_EQ(h.run("getch cfg prod\r\n"), "CHILD a\r\nCHILD b\r\nEND\r\n");
  EXPECT_EQ(h.run("getch cfg prod a\r\n"), "END\r\n");
  EXPECT_EQ(h.run("getch nothing here\r\n"), "END\r\n");
}

TEST(EngineTest, GettreeWalksDepthFirst) {
  Harness h;
  h.run("set app 0 0 3\r\ntop\r\n");
  h.run("set app prod db 1 0 2\r\npg\r\n");
  h.run("set app dev db 2 0 6\r\nsqlite\r\n");
  h.run("set app prod cache 3 0 2\r\nmc\r\n");
  h.run("set zed 0 0 1\r\nz\r\n");
  EXPECT_EQ(h.run("gettree app\r\n"),
            "VALUE app 0 3\r\ntop\r\n"
            "VALUE app dev db 2 6\r\nsqlite\r\n"
            "VALUE app prod cache 3 2\r\nmc\r\n"
            "VALUE app prod db 1 2\r\npg\r\n"
            "END\r\n");
  EXPECT_EQ(h.run("gettree app prod\r\n"),
            "VALUE app prod cache 3 2\r\nmc\r\nVALUE app prod db 1 2\r\npg\r\nEND\r\n");
  EXPECT_EQ(h.run("gettree\r\n"),
            "VALUE app 0 3\r\ntop\r\n"
            "VALUE app dev db 2 6\r\nsqlite\r\n"
            "VALUE app prod cache 3 2\r\nmc\r\n"
            "VALUE app prod db 1 2\r\npg\r\n"
            "VALUE zed 0 1\r\nz\r\n"
            "END\r\n");
  EXPECT_EQ(h.run("gettree nope\r\n"), "END\r\n");
}

TEST(EngineTest, AddReplaceAppendPrepend) {
  Harness h;
  EXPECT_EQ(h.run("add a b 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("add a b 0 0 1\r\ny\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("add a 0 0 1\r\np\r\n"), "STORED\r\n");  // valueless node with a child
  EXPECT_EQ(h.run("replace a c 0 0 1\r\nz\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("replace a b 7 0 1\r\nz\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("append a b 0 0 2\r\n>>\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("prepend a b 0 0 2\r\n<<\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("append nope 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("prepend nope 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("getn a b\r\n"), "VALUE a b 7 5\r\n<<z>>\r\nEND\r\n");
  EXPECT_EQ(h.run("getn a\r\n"), "VALUE a 0 1\r\np\r\nEND\r\n");
}

TEST(EngineTest, ValuelessNodeRefusesReplaceAppendAndCas) {
  Harness h;
  h.run("set ns k 0 0 1\r\nv\r\n");
  EXPECT_EQ(h.run("replace ns 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("append ns 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("prepend ns 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("cas ns 0 0 1 1\r\nx\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "CHILD ns\r\nEND\r\n");
}

TEST(EngineTest, CasOnNestedNodes) {
  Harness h;
  h.run("set a b 0 0 1\r\nx\r\n");  // cas unique 1
  EXPECT_EQ(h.run("cas a b 0 0 1 99\r\ny\r\n"), "EXISTS\r\n");
  EXPECT_EQ(h.run("cas a b 0 0 1 1\r\ny\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("getns a b\r\n"), "VALUE a b 0 1 2\r\ny\r\nEND\r\n");
  EXPECT_EQ(h.run("cas a b 0 0 1 1\r\nz\r\n"), "EXISTS\r\n");
  EXPECT_EQ(h.run("cas a c 0 0 1 2\r\nz\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("cas q r 0 0 1 2\r\nz\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "CHILD a\r\nEND\r\n");  // the failed cas created nothing
}

TEST(EngineTest, SetKeepsChildren) {
  Harness h;
  h.run("set a b 0 0 1\r\nx\r\nset a 0 0 1\r\ny\r\n");
  EXPECT_EQ(h.run("gettree a\r\n"), "VALUE a 0 1\r\ny\r\nVALUE a b 0 1\r\nx\r\nEND\r\n");
}

TEST(EngineTest, StrictParents) {
  Options options;
  options.strict_parents = true;
  Harness h(options);
  EXPECT_EQ(h.run("set a b 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
  EXPECT_EQ(h.run("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("set a b 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("add a b c d 0 0 1\r\nx\r\n"), "NOT_STORED\r\n");
}

// ---- nested mode: updates ----------------------------------------------------------------------

TEST(EngineTest, IncrDecr) {
  Harness h;
  h.run("set c n 0 0 2\r\n10\r\n");
  EXPECT_EQ(h.run("incr c n 5\r\n"), "15\r\n");
  EXPECT_EQ(h.run("decr c n 6\r\n"), "9\r\n");
  EXPECT_EQ(h.run("getn c n\r\n"), "VALUE c n 0 2\r\n9 \r\nEND\r\n");
  EXPECT_EQ(h.run("decr c n 100\r\n"), "0\r\n");
  EXPECT_EQ(h.run("incr c n 18446744073709551615\r\n"), "18446744073709551615\r\n");
  EXPECT_EQ(h.run("incr c n 2\r\n"), "1\r\n");
  EXPECT_EQ(h.run("incr c missing 1\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("incr c 1\r\n"), "NOT_FOUND\r\n");  // c has no value
}

TEST(EngineTest, IncrErrors) {
  Harness h;
  h.run("set s 0 0 3\r\nabc\r\n");
  EXPECT_EQ(h.run("incr s 1\r\n"),
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  EXPECT_EQ(h.run("incr s abc\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(h.run("decr s -1\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(h.run("incr s\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("get s\r\n"), "VALUE s 0 3\r\nabc\r\nEND\r\n");
}

TEST(EngineTest, Touch) {
  Harness h;
  h.run("set ns a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("touch ns a 100\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(h.run("touch ns 10\r\n"), "TOUCHED\r\n");  // valueless: bounds the subtree
  EXPECT_EQ(h.run("touch nope 10\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("touch ns abc\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  h.clock().advance(10);
  EXPECT_EQ(h.run("getn ns a\r\n"), "END\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "END\r\n");
}

TEST(EngineTest, ExpiryAndGat) {
  Harness h;
  h.run("set a 0 10 1\r\nx\r\n");
  h.clock().advance(5);
  EXPECT_EQ(h.run("gat 100 a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(h.run("gats 100 a b\r\n"), "VALUE a 0 1 1\r\nx\r\nEND\r\n");
  h.clock().advance(50);
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  h.clock().advance(50);
  EXPECT_EQ(h.run("get a\r\n"), "END\r\n");
  EXPECT_EQ(h.run("gat abc a\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(h.run("set n 0 -1 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("get n\r\n"), "END\r\n");
}

TEST(EngineTest, DeleteSubtrees) {
  Harness h;
  h.run("set users 42 name 0 0 3\r\nbob\r\nset users 42 mail 0 0 1\r\nm\r\n");
  h.run("set users 7 name 0 0 3\r\nann\r\n");
  EXPECT_EQ(h.run("delete users 42\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("getn users 42 name\r\n"), "END\r\n");
  EXPECT_EQ(h.run("getch users\r\n"), "CHILD 7\r\nEND\r\n");
  EXPECT_EQ(h.run("delete users 42\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("delete users 7 name\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "END\r\n");  // pruned all the way up
  EXPECT_EQ(h.run("delete users\r\n"), "NOT_FOUND\r\n");
}

TEST(EngineTest, DeleteWithZeroIsAPathInNestedMode) {
  Harness h;
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("delete a 0\r\n"), "NOT_FOUND\r\n");
  h.run("set a 0 0 0 1\r\ny\r\n");
  EXPECT_EQ(h.run("delete a 0\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
}

TEST(EngineTest, FlushAll) {
  Harness h;
  h.run("set a 0 0 1\r\nx\r\nset b c 0 0 1\r\ny\r\n");
  EXPECT_EQ(h.run("flush_all\r\n"), "OK\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "END\r\n");
  EXPECT_EQ(h.run("gettree\r\n"), "END\r\n");
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("flush_all 0\r\n"), "OK\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "END\r\n");
  EXPECT_EQ(h.run("flush_all abc\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(h.run("flush_all 0 noreply\r\n"), "");
}

// protocol-decisions.md: a delayed flush_all acts at now+delay-1 (memcached's rule).
TEST(EngineTest, FlushAllWithDelayAppliesAtNowPlusDelayMinusOne) {
  Harness h;
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("flush_all 10\r\n"), "OK\r\n");
  h.clock().advance(8);
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  h.run("set b 0 0 1\r\ny\r\n");
  h.clock().advance(1);
  EXPECT_EQ(h.run("get a b\r\n"), "END\r\n");
  h.run("set a 0 0 1\r\nx\r\n");
  h.clock().advance(100);
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");  // one flush only
}

TEST(EngineTest, FlushAllOneActsAtOnce) {
  Harness h;
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("flush_all 1\r\n"), "OK\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "END\r\n");
}

TEST(EngineTest, VersionVerbosityHelp) {
  Harness h;
  EXPECT_EQ(h.run("version\r\n"), "VERSION 1.6.18-nestcache-0.1.0\r\n");
  EXPECT_EQ(h.run("verbosity 1\r\n"), "OK\r\n");
  EXPECT_EQ(h.run("verbosity 1 noreply\r\n"), "");
  EXPECT_EQ(h.run("verbosity\r\n"), "ERROR\r\n");
  const std::string help = h.run("help\r\n");
  EXPECT_THAT(help, StartsWith("HELP "));
  EXPECT_THAT(help, EndsWith("\r\nEND\r\n"));
  EXPECT_THAT(help, HasSubstr("gettree"));
  std::istringstream lines(help);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ASSERT_THAT(line, EndsWith("\r"));
    if (line != "END\r") {
      EXPECT_THAT(line, StartsWith("HELP "));
      ++count;
    }
  }
  EXPECT_GT(count, 5);
}

TEST(EngineTest, LineEndingsWithoutCarriageReturn) {
  Harness h;
  EXPECT_EQ(h.run("set a 0 0 1\nx\r\nget a\n"), "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n");
}

// ---- errors ------------------------------------------------------------------------------------

TEST(EngineTest, UnknownAndShortCommands) {
  Harness h;
  EXPECT_EQ(h.run("GET a\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("bogus\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("get\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("getn\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("delete\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("touch a\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("set a 0 0\r\n"), "ERROR\r\n");
}

TEST(EngineTest, BadCommandLinesAndDataChunks) {
  Harness h;
  EXPECT_EQ(h.run("set a 0 0 -1\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(h.run("set a x 0 1\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(h.run("set a 0 0 3\r\nabcd\r\n"), "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "END\r\n");
  EXPECT_EQ(h.run("get " + std::string(251, 'k') + "\r\n"),
            "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(h.run("get " + std::string(250, 'k') + "\r\n"), "END\r\n");
}

TEST(EngineTest, PathErrors) {
  Harness h;
  EXPECT_EQ(h.run("getn a \x01 b\r\n"), "CLIENT_ERROR control character in key\r\n");
  std::string deep = "getn";
  for (int i = 0; i < 33; ++i) deep += " s";
  EXPECT_EQ(h.run(deep + "\r\n"), "CLIENT_ERROR path too deep\r\n");
  std::string ok = "set";
  for (int i = 0; i < 32; ++i) ok += " s";
  EXPECT_EQ(h.run(ok + " 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("set a " + std::string(251, 'b') + " 0 0 1\r\nx\r\n"),
            "CLIENT_ERROR bad command line format\r\nERROR\r\n");
}

TEST(EngineTest, MaxDepthOption) {
  Options options;
  options.max_depth = 2;
  Harness h(options);
  EXPECT_EQ(h.run("set a b 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("set a b c 0 0 1\r\nx\r\n"), "CLIENT_ERROR path too deep\r\nERROR\r\n");
}

TEST(EngineTest, HttpRequestClosesSilently) {
  Harness h;
  EXPECT_EQ(h.run("GET / HTTP/1.1\r\nget a\r\n"), "");
  EXPECT_TRUE(h.closed());
}

// ---- noreply -----------------------------------------------------------------------------------

TEST(EngineTest, NoreplySuppressesEveryReply) {
  Harness h;
  EXPECT_EQ(h.run("set a 0 0 1 noreply\r\nx\r\n"), "");
  EXPECT_EQ(h.run("add a 0 0 1 noreply\r\ny\r\n"), "");  // NOT_STORED, unsent
  EXPECT_EQ(h.run("replace q 0 0 1 noreply\r\ny\r\n"), "");
  EXPECT_EQ(h.run("append a 0 0 1 noreply\r\nz\r\n"), "");
  EXPECT_EQ(h.run("cas a 0 0 1 999 noreply\r\nw\r\n"), "");
  EXPECT_EQ(h.run("incr a 1 noreply\r\n"), "");    // non-numeric
  EXPECT_EQ(h.run("incr a abc noreply\r\n"), "");  // bad delta
  EXPECT_EQ(h.run("touch a 100 noreply\r\n"), "");
  EXPECT_EQ(h.run("touch a abc noreply\r\n"), "");
  EXPECT_EQ(h.run("delete nope noreply\r\n"), "");
  EXPECT_EQ(h.run("set a 0 0 -1 noreply\r\n"), "");
  EXPECT_EQ(h.run("set a b c 0 0 1 noreply\r\nv\r\n"), "");
  EXPECT_EQ(h.run("getn a\r\n"), "VALUE a 0 2\r\nxz\r\nEND\r\n");
  EXPECT_EQ(h.run("delete a b noreply\r\n"), "");
  EXPECT_EQ(h.run("getch a\r\n"), "END\r\n");
}

TEST(EngineTest, NoreplyIsNeverASegment) {
  Harness h;
  EXPECT_EQ(h.run("set a noreply 0 0 1\r\nx\r\n"), "STORED\r\n");  // in the middle: a segment
  EXPECT_EQ(h.run("getch a\r\n"), "CHILD noreply\r\nEND\r\n");
  EXPECT_EQ(h.run("delete a noreply\r\n"), "");  // at the end: the option
  EXPECT_EQ(h.run("getch\r\n"), "END\r\n");
}

TEST(EngineTest, PipelinedRepliesStayInOrder) {
  Harness h;
  EXPECT_EQ(h.run("set a 0 0 1 noreply\r\nx\r\nbogus\r\nget a\r\ndelete a\r\nget a\r\n"),
            "ERROR\r\nVALUE a 0 1\r\nx\r\nEND\r\nDELETED\r\nEND\r\n");
}

// ---- too large ---------------------------------------------------------------------------------

Options small_items() {
  Options options;
  options.max_item_size = 1024;
  return options;
}

std::string big_set(std::string_view verb_and_key, std::size_t size, bool noreply = false) {
  return std::string(verb_and_key) + " 0 0 " + std::to_string(size) + (noreply ? " noreply" : "") +
         "\r\n" + std::string(size, 'x') + "\r\n";
}

TEST(EngineTest, TooLargeSetRemovesTheOldValue) {
  Harness h(small_items());
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run(big_set("set a", 1024)), "STORED\r\n");  // the limit itself fits
  EXPECT_EQ(h.run(big_set("set a", 1025) + "get a\r\n"),
            "SERVER_ERROR object too large for cache\r\nEND\r\n");
  EXPECT_EQ(h.stats()["store_too_large"], "1");
}

TEST(EngineTest, TooLargeSetKeepsChildren) {
  Harness h(small_items());
  h.run("set p 0 0 1\r\nv\r\nset p c 0 0 1\r\nw\r\n");
  EXPECT_EQ(h.run(big_set("set p", 5000)), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(h.run("getn p\r\n"), "END\r\n");
  EXPECT_EQ(h.run("getch p\r\n"), "CHILD c\r\nEND\r\n");
  EXPECT_EQ(h.run(big_set("set p c", 5000)), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "END\r\n");  // p c went, and p with it
}

TEST(EngineTest, TooLargeOtherStoresKeepTheOldValue) {
  Harness h(small_items());
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run(big_set("add a", 2000)), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(h.run(big_set("append a", 2000)), "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
}

TEST(EngineTest, TooLargeWithNoreplyIsSilent) {
  Harness h(small_items());
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run(big_set("set a", 2000, true) + "get a\r\n"), "END\r\n");
}

// ---- compat mode -------------------------------------------------------------------------------

TEST(EngineCompatTest, MemcachedForms) {
  Harness h(compat_options());
  EXPECT_EQ(h.run("set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(h.run("set a b 0 0 1\r\nx\r\n"), "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_EQ(h.run("incr a b 1\r\n"), "CLIENT_ERROR invalid numeric delta argument\r\n");
  EXPECT_EQ(h.run("touch a b 10\r\n"), "CLIENT_ERROR invalid exptime argument\r\n");
  EXPECT_EQ(h.run("help\r\n"), "ERROR\r\n");
}

TEST(EngineCompatTest, LegacyDelete) {
  Harness h(compat_options());
  h.run("set a 0 0 1\r\nx\r\nset b 0 0 1\r\ny\r\nset c 0 0 1\r\nz\r\n");
  EXPECT_EQ(h.run("delete a 0\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("delete a\r\n"), "NOT_FOUND\r\n");
  EXPECT_EQ(h.run("delete b 1\r\n"),
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
  EXPECT_EQ(h.run("delete b 0 noreply\r\n"), "");
  EXPECT_EQ(h.run("delete c noreply\r\n"), "");
  EXPECT_EQ(h.run("delete c x y z\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("get a b c\r\n"), "END\r\n");
}

TEST(EngineCompatTest, ControlCharactersAreMemcachedKeys) {
  Harness h(compat_options());
  EXPECT_EQ(h.run("set a\001b 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("get a\001b\r\n"), "VALUE a\001b 0 1\r\nx\r\nEND\r\n");
}

TEST(EngineCompatTest, ExtensionCommandsStayAvailable) {
  Harness h(compat_options());
  h.run("set a 3 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("getn a\r\n"), "VALUE a 3 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(h.run("getns a\r\n"), "VALUE a 3 1 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "CHILD a\r\nEND\r\n");
  EXPECT_EQ(h.run("gettree\r\n"), "VALUE a 3 1\r\nx\r\nEND\r\n");
}

// ---- key separator -----------------------------------------------------------------------------

TEST(EngineSeparatorTest, KeysAreSplitAndEchoedAsSent) {
  Harness h(separator_options());
  EXPECT_EQ(h.run("set users:42:name 0 0 3\r\nbob\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("get users:42:name\r\n"), "VALUE users:42:name 0 3\r\nbob\r\nEND\r\n");
  EXPECT_EQ(h.run("getn users:42:name\r\n"), "VALUE users:42:name 0 3\r\nbob\r\nEND\r\n");
  EXPECT_EQ(h.run("getn users 42:name\r\n"), "VALUE users 42:name 0 3\r\nbob\r\nEND\r\n");
  EXPECT_EQ(h.run("getch\r\n"), "CHILD users\r\nEND\r\n");
  EXPECT_EQ(h.run("getch users:42\r\n"), "CHILD name\r\nEND\r\n");
  EXPECT_EQ(h.run("get users:42\r\n"), "END\r\n");
}

TEST(EngineSeparatorTest, GettreeJoinsWithTheSeparator) {
  Harness h(separator_options());
  h.run("set app:prod:db 0 0 2\r\npg\r\nset app:dev 0 0 1\r\nd\r\n");
  EXPECT_EQ(h.run("gettree app\r\n"),
            "VALUE app:dev 0 1\r\nd\r\nVALUE app:prod:db 0 2\r\npg\r\nEND\r\n");
  EXPECT_EQ(h.run("gettree app prod\r\n"), "VALUE app:prod:db 0 2\r\npg\r\nEND\r\n");
  EXPECT_EQ(h.run("gettree\r\n"),
            "VALUE app:dev 0 1\r\nd\r\nVALUE app:prod:db 0 2\r\npg\r\nEND\r\n");
}

TEST(EngineSeparatorTest, DeleteAndUpdatesOnSplitKeys) {
  Harness h(separator_options());
  h.run("set u:1:n 0 0 1\r\n5\r\nset u:2:n 0 0 1\r\n6\r\n");
  EXPECT_EQ(h.run("incr u:1:n 2\r\n"), "7\r\n");
  EXPECT_EQ(h.run("touch u:2 100\r\n"), "TOUCHED\r\n");
  EXPECT_EQ(h.run("delete u:1\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("getch u\r\n"), "CHILD 2\r\nEND\r\n");
  EXPECT_EQ(h.run("get a::b\r\n"), "CLIENT_ERROR empty path segment\r\n");
  EXPECT_EQ(h.run("set :a 0 0 1\r\nx\r\n"), "CLIENT_ERROR empty path segment\r\nERROR\r\n");
}

TEST(EngineSeparatorTest, CompatModeWithSeparator) {
  Harness h(separator_options(true));
  EXPECT_EQ(h.run("set users:42:name 0 0 3\r\nbob\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("set users:7 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(h.run("gettree\r\n"),
            "VALUE users:42:name 0 3\r\nbob\r\nVALUE users:7 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(h.run("delete users:42 0\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("get users:42:name users:7\r\n"), "VALUE users:7 0 1\r\nx\r\nEND\r\n");
  EXPECT_EQ(h.run("get a::b\r\n"), "CLIENT_ERROR empty path segment\r\n");
}

// ---- stats -------------------------------------------------------------------------------------

TEST(EngineStatsTest, CountersMove) {
  Harness h;
  h.run("set a 0 0 1\r\n1\r\nset p q r 0 0 1\r\nx\r\n");
  h.run("get a\r\nget missing\r\ngetn p q r\r\ngetn p q\r\nget a b\r\n");
  h.run("delete a\r\ndelete a\r\n");
  h.run("incr nope 1\r\ndecr nope 1\r\n");
  h.run("set c 0 0 1\r\nx\r\ncas c 0 0 1 12345\r\ny\r\ncas nope 0 0 1 1\r\nz\r\n");
  h.run("touch c 10\r\ntouch nope 10\r\n");
  auto stats = h.stats();
  EXPECT_EQ(stats["cmd_get"], "6");
  EXPECT_EQ(stats["get_hits"], "3");
  EXPECT_EQ(stats["get_misses"], "3");
  EXPECT_EQ(stats["delete_hits"], "1");
  EXPECT_EQ(stats["delete_misses"], "1");
  EXPECT_EQ(stats["incr_misses"], "1");
  EXPECT_EQ(stats["decr_misses"], "1");
  EXPECT_EQ(stats["cmd_set"], "5");
  EXPECT_EQ(stats["cas_badval"], "1");
  EXPECT_EQ(stats["cas_misses"], "1");
  EXPECT_EQ(stats["cmd_touch"], "2");
  EXPECT_EQ(stats["touch_hits"], "1");
  EXPECT_EQ(stats["touch_misses"], "1");
  EXPECT_EQ(stats["curr_items"], "2");  // p q r, c
  EXPECT_EQ(stats["total_items"], "3");
  EXPECT_EQ(stats["tree_nodes"], "4");  // p, p q, p q r, c
  EXPECT_EQ(stats["tree_max_depth"], "3");
  EXPECT_EQ(stats["version"], "1.6.18-nestcache-0.1.0");
  EXPECT_EQ(stats["time"], std::to_string(kStart));

  h.run("incr c 1\r\n");  // non-numeric: neither hit nor miss
  h.run("set n 0 0 1\r\n1\r\nincr n 1\r\ndecr n 1\r\n");
  stats = h.stats();
  EXPECT_EQ(stats["incr_hits"], "1");
  EXPECT_EQ(stats["decr_hits"], "1");
  EXPECT_EQ(stats["incr_misses"], "1");
  EXPECT_EQ(stats["curr_items"], "3");
  EXPECT_EQ(stats["tree_nodes"], "5");
}

TEST(EngineStatsTest, StatsReplyShape) {
  Harness h;
  const std::string reply = h.run("stats\r\n");
  EXPECT_THAT(reply, StartsWith("STAT pid "));
  EXPECT_THAT(reply, EndsWith("\r\nEND\r\n"));
  for (const char* name :
       {"uptime", "curr_connections", "total_connections", "cmd_get", "cmd_set", "get_hits",
        "get_misses", "delete_hits", "delete_misses", "curr_items", "total_items", "bytes",
        "limit_maxbytes", "evictions", "threads", "tree_nodes", "tree_max_depth"}) {
    EXPECT_THAT(reply, HasSubstr(std::string("\r\nSTAT ") + name + " ")) << name;
  }
  EXPECT_EQ(h.stats()["limit_maxbytes"], std::to_string(64u << 20));
  h.clock().advance(42);
  EXPECT_EQ(h.stats()["uptime"], "42");
}

// cache_memlimit changes the -m budget at run time: lowering it evicts values down to it at
// once (tests/compat/sessions/cache-memlimit.txt pins the replies against memcached).
TEST(EngineAdminTest, CacheMemlimitLowersTheBudgetAndEvicts) {
  Harness h;
  const std::string value(10 * 1024, 'v');
  for (int i = 0; i < 1600; ++i) {  // 16 MB of values under the default -m 64
    ASSERT_EQ(h.run("set ns k" + std::to_string(i) + " 0 0 10240\r\n" + value + "\r\n"),
              "STORED\r\n");
  }
  EXPECT_EQ(h.stats()["evictions"], "0");
  EXPECT_EQ(h.run("cache_memlimit 8\r\n"), "OK\r\n");
  auto stats = h.stats();
  EXPECT_EQ(stats["limit_maxbytes"], std::to_string(8u << 20));
  EXPECT_LE(std::stoull(stats["bytes"]), 8u << 20);
  EXPECT_GT(std::stoull(stats["evictions"]), 700u);
  EXPECT_EQ(h.stats("settings")["maxbytes"], std::to_string(8u << 20));
  // The least recently used values went first; the newest is still there.
  EXPECT_EQ(h.run("getn ns k0\r\n"), "END\r\n");
  EXPECT_THAT(h.run("getn ns k1599\r\n"), StartsWith("VALUE ns k1599 0 10240\r\n"));
  EXPECT_EQ(h.run("cache_memlimit 64 noreply\r\n"), "");
  EXPECT_EQ(h.stats()["limit_maxbytes"], std::to_string(64u << 20));
}

TEST(EngineAdminTest, CacheMemlimitUnderMRefusesInsteadOfEvicting) {
  Options options;
  options.disable_evictions = true;
  Harness h(options);
  const std::string value(10 * 1024, 'v');
  for (int i = 0; i < 1600; ++i) {
    ASSERT_EQ(h.run("set ns k" + std::to_string(i) + " 0 0 10240\r\n" + value + "\r\n"),
              "STORED\r\n");
  }
  EXPECT_EQ(h.run("cache_memlimit 8\r\n"), "OK\r\n");
  EXPECT_EQ(h.stats()["evictions"], "0");
  EXPECT_EQ(h.run("set other 0 0 1\r\nx\r\n"), "SERVER_ERROR out of memory storing object\r\n");
  EXPECT_EQ(h.run("delete ns\r\n"), "DELETED\r\n");
  EXPECT_EQ(h.run("set other 0 0 1\r\nx\r\n"), "STORED\r\n");
}

TEST(EngineAdminTest, CacheMemlimitBounds) {
  Harness h;
  EXPECT_EQ(h.run("cache_memlimit 7\r\n"),
            "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
  EXPECT_EQ(h.run("cache_memlimit 1000000001\r\n"),
            "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n");
  EXPECT_EQ(h.run("cache_memlimit 4294967296\r\n"), "ERROR\r\n");  // nested: no 32-bit wrap
  EXPECT_EQ(h.run("cache_memlimit\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.stats()["limit_maxbytes"], std::to_string(64u << 20));
}

// --max-segment-length lowers memcached's 250-byte key rule, with memcached's error for a key
// that is too long, in both modes.
TEST(EngineLimitsTest, MaxSegmentLength) {
  Options options;
  options.max_segment = 8;
  Harness nested(options);
  EXPECT_EQ(nested.run("set users 12345678 0 0 1\r\nx\r\n"), "STORED\r\n");
  // As memcached does for a 251-byte key, the data block is not swallowed: "x" is a command.
  EXPECT_EQ(nested.run("set users 123456789 0 0 1\r\nx\r\n"),
            "CLIENT_ERROR bad command line format\r\nERROR\r\n");
  EXPECT_EQ(nested.run("get 123456789\r\n"), "CLIENT_ERROR bad command line format\r\n");
  EXPECT_EQ(nested.stats("settings")["max_segment_length"], "8");
  options.compat = true;
  Harness compat(options);
  EXPECT_EQ(compat.run("set 12345678 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(compat.run("delete 123456789\r\n"), "CLIENT_ERROR bad command line format\r\n");
}

TEST(EngineStatsTest, Settings) {
  Harness nested;
  auto settings = nested.stats("settings");
  EXPECT_EQ(settings["compat"], "no");
  EXPECT_EQ(settings["key_separator"], "none");
  EXPECT_EQ(settings["max_depth"], "32");
  EXPECT_EQ(settings["item_size_max"], "1048576");
  EXPECT_THAT(nested.run("stats settings\r\n"), EndsWith("\r\nEND\r\n"));

  Harness compat(separator_options(true));
  settings = compat.stats("settings");
  EXPECT_EQ(settings["compat"], "yes");
  EXPECT_EQ(settings["key_separator"], ":");
}

TEST(EngineStatsTest, VerbosityShowsInSettings) {
  Harness h;
  EXPECT_EQ(h.stats("settings")["verbosity"], "0");
  h.run("verbosity 2\r\n");
  EXPECT_EQ(h.stats("settings")["verbosity"], "2");
}

TEST(EngineStatsTest, ResetAndBogus) {
  Harness h;
  h.run("set a 0 0 1\r\nx\r\nget a\r\nget b\r\n");
  EXPECT_EQ(h.stats()["cmd_get"], "2");
  EXPECT_EQ(h.run("stats reset\r\n"), "RESET\r\n");
  auto stats = h.stats();
  EXPECT_EQ(stats["cmd_get"], "0");
  EXPECT_EQ(stats["get_hits"], "0");
  EXPECT_EQ(stats["cmd_set"], "0");
  EXPECT_EQ(stats["curr_items"], "1");  // a gauge, not a counter
  EXPECT_EQ(h.run("stats bogus\r\n"), "ERROR\r\n");
  EXPECT_EQ(h.run("stats slabs\r\n"), "END\r\n");  // stats items: dump_test.cc
}

// ---- quit --------------------------------------------------------------------------------------

TEST(EngineTest, QuitClosesAfterEarlierReplies) {
  Harness h;
  h.run("set a 0 0 1\r\nx\r\n");
  EXPECT_EQ(h.run("quit\r\n"), "");
  EXPECT_TRUE(h.closed());
  EXPECT_EQ(h.run("get a\r\nquit\r\nget a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_TRUE(h.closed());
  EXPECT_EQ(h.run("get a\r\n"), "VALUE a 0 1\r\nx\r\nEND\r\n");
  EXPECT_FALSE(h.closed());
}

}  // namespace
}  // namespace nestcache
