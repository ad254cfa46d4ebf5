// nestcache-cli's pieces without a server: the interactive mode's word splitting and TAB
// completion (over a fake tree), and watch's printed forms of an event.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "completion.h"
#include "line_words.h"
#include "watch_output.h"

namespace nestcache::cli {
namespace {

std::vector<std::string> words(std::string_view line) {
  std::string error;
  const auto split = split_words(line, error);
  EXPECT_TRUE(split.has_value()) << line << ": " << error;
  return split ? split->words : std::vector<std::string>{};
}

TEST(LineWordsTest, SplitsAsAShellDoes) {
  EXPECT_EQ(words("  set  a/b   value "), (std::vector<std::string>{"set", "a/b", "value"}));
  EXPECT_EQ(words("set a 'x  y' \"q \\\" \\\\ \\n\" back\\ slash"),
            (std::vector<std::string>{"set", "a", "x  y", "q \" \\ \\n", "back slash"}));
  EXPECT_EQ(words("set a ''"), (std::vector<std::string>{"set", "a", ""}));
  EXPECT_TRUE(words("").empty());
}

TEST(LineWordsTest, HereDocumentMarker) {
  std::string error;
  auto split = split_words("set a/b <<EOF", error);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->words, (std::vector<std::string>{"set", "a/b"}));
  EXPECT_EQ(split->heredoc, "EOF");
  // Quoted, it is a value like any other; `<<` alone is no marker.
  for (const char* line : {"set a '<<EOF'", "set a '<<EOF'  ", "set a <<"}) {
    split = split_words(line, error);
    ASSERT_TRUE(split);
    EXPECT_FALSE(split->heredoc) << line;
  }
}

TEST(LineWordsTest, UnclosedIsAnErrorUnlessLenient) {
  std::string error;
  EXPECT_FALSE(split_words("set a 'open", error));
  EXPECT_EQ(error, "unclosed '");
  EXPECT_FALSE(split_words("set a b\\", error));
  EXPECT_NE(error.find("<<EOF"), std::string::npos);
  const auto lenient = split_words("set 'a/b", error, true);
  ASSERT_TRUE(lenient);
  EXPECT_EQ(lenient->words, (std::vector<std::string>{"set", "a/b"}));
}

// billing/{dev/db_url, prod/{db_url, pool}}, plus a top-level leaf `bin`.
std::vector<std::string> fake_children(const client::Segments& path) {
  static const std::map<client::Segments, std::vector<std::string>> tree = {
      {{}, {"billing", "bin"}},
      {{"billing"}, {"dev", "prod"}},
      {{"billing", "dev"}, {"db_url"}},
      {{"billing", "prod"}, {"db_url", "pool"}},
  };
  const auto it = tree.find(path);
  return it == tree.end() ? std::vector<std::string>{} : it->second;
}

Completion complete_line(std::vector<std::string> before, std::string_view word) {
  return complete(before, word, '/', fake_children);
}

TEST(CompletionTest, CommandNames) {
  EXPECT_EQ(complete_line({}, "ge").candidates, (std::vector<std::string>{"get"}));
  EXPECT_EQ(complete_line({}, "e").candidates, (std::vector<std::string>{"exit", "export"}));
  EXPECT_EQ(complete_line({"-o", "json"}, "tr").candidates, (std::vector<std::string>{"tree"}));
  EXPECT_EQ(complete_line({"help"}, "wa").candidates, (std::vector<std::string>{"watch"}));
}

TEST(CompletionTest, PathSegments) {
  EXPECT_EQ(complete_line({"get"}, "").candidates, (std::vector<std::string>{"billing", "bin"}));
  // One node with children: the separator, and the word goes on.
  Completion one = complete_line({"get"}, "bil");
  EXPECT_EQ(one.candidates, (std::vector<std::string>{"billing/"}));
  EXPECT_FALSE(one.word_done);
  EXPECT_EQ(complete_line({"ls"}, "billing/").candidates,
            (std::vector<std::string>{"billing/dev", "billing/prod"}));
  one = complete_line({"tree"}, "billing/prod/po");
  EXPECT_EQ(one.candidates, (std::vector<std::string>{"billing/prod/pool"}));
  EXPECT_TRUE(one.word_done);  // a leaf: a space after it
  EXPECT_TRUE(complete_line({"get"}, "billing/nope/").candidates.empty());
  EXPECT_TRUE(complete_line({"get"}, "a//").candidates.empty());  // not a path
  // --to of import; not a second PATH, not load's FILE, not watch's command.
  EXPECT_EQ(complete_line({"import", "f.json", "--to"}, "bi").candidates.size(), 2u);
  EXPECT_TRUE(complete_line({"get", "billing"}, "bi").candidates.empty());
  EXPECT_TRUE(complete_line({"load"}, "bi").candidates.empty());
  EXPECT_TRUE(complete_line({"watch", "billing", "--"}, "bi").candidates.empty());
  // A flag's value is not the PATH: `set --ttl 5 <PATH>`.
  EXPECT_EQ(complete_line({"set", "--ttl", "5"}, "bin").candidates,
            (std::vector<std::string>{"bin"}));
}

TEST(CompletionTest, Flags) {
  EXPECT_EQ(complete_line({"get"}, "--r").candidates, (std::vector<std::string>{"--raw"}));
  EXPECT_EQ(complete_line({"watch", "a"}, "--no").candidates,
            (std::vector<std::string>{"--no-resync"}));
}

TEST(WatchOutputTest, TextAndJson) {
  Event set{"SET", 8, {"billing", "prod", "pool"}, 5, 1700000000, "20", ""};
  EXPECT_EQ(event_text(set, '/'), "SET 8 billing/prod/pool = 20  (flags 5, exptime 1700000000)");
  EXPECT_EQ(event_json(set, '/'),
            "{\"event\":\"SET\",\"revision\":8,\"path\":\"billing/prod/pool\",\"value\":\"20\","
            "\"flags\":5,\"exptime\":1700000000}");
  Event binary{"SET", 9, {"a"}, 0, 0, std::string("\0\xff", 2), ""};
  EXPECT_EQ(event_text(binary, '.'), "SET 9 a = <2 bytes>");
  EXPECT_NE(event_json(binary, '/').find("\"value_base64\":\"AP8=\""), std::string::npos);
  EXPECT_EQ(event_text(Event{"DELETE", 10, {"a", "b"}, 0, 0, "", ""}, '.'), "DELETE 10 a.b");
  EXPECT_EQ(event_text(Event{"FLUSH", 11, {}, 0, 0, "", ""}, '/'), "FLUSH 11");
  EXPECT_EQ(event_json(Event{"FLUSH", 11, {}, 0, 0, "", ""}, '/'),
            "{\"event\":\"FLUSH\",\"revision\":11}");
  EXPECT_EQ(event_text(Event{"GRAFT", 12, {"app"}, 0, 0, "", "app.stage"}, '/'),
            "GRAFT 12 app exptime=0 (replaced at once from app.stage)");
}

}  // namespace
}  // namespace nestcache::cli
