// The client library against a real nestcached on an ephemeral port, in each mode.
#include "nestcache/client/client.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon.h"
#include "nestcache/client/error.h"

namespace nestcache::client {
namespace {

using testing::Daemon;

TEST(ClientPathTest, SplitAndJoin) {
  EXPECT_EQ(split_path("billing/prod/db_url"), (Segments{"billing", "prod", "db_url"}));
  EXPECT_EQ(split_path("/a/b/"), (Segments{"a", "b"}));
  EXPECT_TRUE(split_path("").empty());
  EXPECT_TRUE(split_path("/").empty());
  EXPECT_EQ(split_path("a.b/c", '.'), (Segments{"a", "b/c"}));
  EXPECT_THROW(split_path("a//b"), Error);
  EXPECT_THROW(split_path("a b"), Error);
  EXPECT_THROW(split_path("a\tb"), Error);
  EXPECT_EQ(join_path({"a", "b"}), "a/b");
}

TEST(ClientPathTest, WirePathPerMode) {
  EXPECT_EQ(wire_path({"a", "b"}, ServerMode{}), "a b");
  EXPECT_EQ(wire_path({"a", "b"}, ServerMode{false, ':'}), "a:b");
  EXPECT_EQ(wire_path({"a", "b"}, ServerMode{true, ':'}), "a:b");
  EXPECT_EQ(wire_path({"a"}, ServerMode{true, '\0'}), "a");
  EXPECT_THROW(wire_path({"a", "b"}, ServerMode{true, '\0'}), Error);
  EXPECT_THROW(wire_path({"a:x"}, ServerMode{false, ':'}), Error);
  EXPECT_EQ(split_wire_path("a b c", ServerMode{}), (Segments{"a", "b", "c"}));
  EXPECT_EQ(split_wire_path("a:b", ServerMode{false, ':'}), (Segments{"a", "b"}));
}

TEST(ClientTest, StoreGetChildrenWalkDelete) {
  Daemon daemon;
  Client client(daemon.connect());
  EXPECT_FALSE(client.mode().compat);
  EXPECT_EQ(client.mode().separator, '\0');
  const std::string binary("\0\r\n\xff", 4);
  EXPECT_EQ(client.store("set", {"billing", "prod", "db_url"}, binary, 7, 0).kind,
            LineKind::stored);
  EXPECT_EQ(client.store("set", {"billing", "dev"}, "", 0, 0).kind, LineKind::stored);
  const auto item = client.get({"billing", "prod", "db_url"}, true);
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->data, binary);
  EXPECT_EQ(item->flags, 7u);
  EXPECT_GT(item->cas, 0u);
  EXPECT_FALSE(client.get({"billing", "nope"}).has_value());
  EXPECT_EQ(client.children({"billing"}).lines, (std::vector<std::string>{"dev", "prod"}));

  std::vector<std::string> walked;
  const Reply end = client.walk(
      {"billing"}, [&](const Item& i) { walked.push_back(join_path(i.path) + "=" + i.data); });
  EXPECT_EQ(end.kind, LineKind::end);
  EXPECT_EQ(walked, (std::vector<std::string>{"billing/dev=", "billing/prod/db_url=" + binary}));

  EXPECT_EQ(client.remove({"billing"}).kind, LineKind::deleted);
  EXPECT_EQ(client.remove({"billing"}).kind, LineKind::not_found);
  EXPECT_TRUE(client.children({}).lines.empty());
}

TEST(ClientTest, WatchStreamsAnotherClientsChanges) {
  Daemon daemon({"--key-separator", ":"});
  Client watcher(daemon.connect());
  Client writer(daemon.connect());
  watcher.watch({"billing", "prod"}, 0);
  std::vector<std::string> seen;
  auto next = [&] {
    ASSERT_TRUE(watcher.next_event(std::chrono::seconds(10), [&](const WatchEvent& e) {
      seen.push_back(std::string(watch_kind_name(e.kind)) + " " + std::string(e.path) + " " +
                     std::string(e.data));
    }));
  };
  next();
  EXPECT_EQ(seen.back().substr(0, 9), "WATCHING ");
  EXPECT_EQ(writer.store("set", {"billing", "prod", "db"}, "a\r\nb", 0, 0).kind, LineKind::stored);
  EXPECT_EQ(writer.remove({"billing"}).kind, LineKind::deleted);
  next();
  next();
  // Event paths are spaced segments whatever the key separator.
  EXPECT_EQ(seen[1], "SET billing prod db a\r\nb");
  EXPECT_EQ(seen[2], "DELETE billing ");
  // Nothing more: the wait ends without an event.
  EXPECT_FALSE(watcher.next_event(std::chrono::milliseconds(50), [](const WatchEvent&) {}));
}

TEST(ClientTest, PipelinedRepliesComeInOrder) {
  Daemon daemon;
  Client client(daemon.connect());
  client.mode();
  constexpr int kCount = 5000;
  for (int i = 0; i < kCount; ++i) {
    client.queue(store_request("set", "p k" + std::to_string(i), std::to_string(i), 0, 0));
  }
  for (int i = 0; i < kCount; ++i) {
    client.queue("getn p k" + std::to_string(i) + "\r\n");
  }
  client.queue("delete nothing\r\n");
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(client.read_reply().kind, LineKind::stored) << i;
  for (int i = 0; i < kCount; ++i) {
    const Reply reply = client.read_reply();
    ASSERT_EQ(reply.items.size(), 1u);
    ASSERT_EQ(reply.items[0].data, std::to_string(i));
  }
  EXPECT_EQ(client.read_reply().kind, LineKind::not_found);
}

TEST(ClientTest, ErrorsAreReplies) {
  Daemon daemon({"--max-depth", "3", "-I", "1k"});
  Client client(daemon.connect());
  EXPECT_EQ(client.mode().max_depth, 3u);
  EXPECT_EQ(client.mode().item_size_max, 1024u);
  // Refused before it is sent: the server would read the data line as a command.
  EXPECT_THROW(client.store("set", {"a", "b", "c", "d"}, "x"), Error);
  const Reply deep = client.call("getn a b c d");
  EXPECT_EQ(deep.kind, LineKind::client_error);
  EXPECT_EQ(deep.line, "CLIENT_ERROR path too deep");
  const Reply big = client.store("set", {"a"}, std::string(2000, 'x'));
  EXPECT_EQ(big.line, "SERVER_ERROR object too large for cache");
  EXPECT_EQ(client.call("bogus").kind, LineKind::error);
  EXPECT_EQ(client.store("set", {"a"}, "ok").kind, LineKind::stored);  // still in step
}

TEST(ClientTest, KeySeparatorAndCompatModes) {
  Daemon sep({"--key-separator", ":"});
  Client a(sep.connect());
  EXPECT_EQ(a.mode().separator, ':');
  ASSERT_EQ(a.store("set", {"u", "42", "name"}, "alice").kind, LineKind::stored);
  std::vector<Segments> paths;
  a.walk({"u"}, [&](const Item& i) { paths.push_back(i.path); });
  EXPECT_EQ(paths, (std::vector<Segments>{{"u", "42", "name"}}));

  Daemon compat_sep({"--compat", "--key-separator", ":"});
  Client b(compat_sep.connect());
  ASSERT_EQ(b.store("set", {"u", "42"}, "x").kind, LineKind::stored);
  EXPECT_EQ(b.get({"u", "42"})->data, "x");
  EXPECT_EQ(b.children({"u"}).lines, (std::vector<std::string>{"42"}));

  Daemon compat({"--compat"});
  Client c(compat.connect());
  EXPECT_TRUE(c.mode().compat);
  EXPECT_EQ(c.store("set", {"top"}, "x").kind, LineKind::stored);
  EXPECT_EQ(c.get({"top"})->data, "x");
  EXPECT_THROW(c.store("set", {"a", "b"}, "x"), Error);
}

TEST(ClientTest, ConnectFailureAndClosedServer) {
  uint16_t port = 0;
  {
    Daemon daemon;
    port = daemon.port();
    Client client(daemon.connect());
    client.mode();
    daemon.stop();
    try {
      client.call("version");
      ADD_FAILURE() << "no error from a stopped server";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::closed);
    }
  }
  try {
    Connection("127.0.0.1", port, std::chrono::seconds(2));
    ADD_FAILURE() << "connected to a stopped server";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connect);
  }
}

}  // namespace
}  // namespace nestcache::client
