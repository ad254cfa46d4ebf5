// Connections on one event loop, driven round by round over socket pairs: what one client's long
// reply does to the requests behind it and to the other clients of its thread.
#include "server/connection.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "loop_clients.h"

namespace nestcache {
namespace {

using namespace std::chrono_literals;

TEST(ConnectionTest, RequestsBufferedBehindALongMultiGetAreAnswered) {
  Served served;
  Client client(served);
  std::string request = "set k 0 0 1\r\nv\r\nget";
  for (int i = 0; i < 300; ++i) request += " k";  // several steps of the engine's multi-get
  request += "\r\nversion\r\n";
  client.send(request, served);  // one write: nothing more will come to wake the connection
  run_until(served, [&] { return client.receive().find("VERSION ") != std::string::npos; });
  const std::string& got = client.receive();
  ASSERT_NE(got.find("VERSION "), std::string::npos) << "the version request was never answered";
  std::size_t values = 0;
  for (std::size_t at = got.find("VALUE k 0 1"); at != std::string::npos;
       at = got.find("VALUE k 0 1", at + 1)) {
    ++values;
  }
  EXPECT_EQ(values, 300u);
  EXPECT_LT(got.find("END\r\n"), got.find("VERSION ")) << "replies out of order";
}

TEST(ConnectionTest, ALongReplyLetsTheOtherClientsOfItsThreadIn) {
  Served served;
  Client filler(served);
  const std::string value(1024, 'x');
  std::string fill;
  for (int i = 0; i < 20000; ++i) {
    fill += "set ns n" + std::to_string(i) + " 0 0 1024 noreply\r\n" + value + "\r\n";
  }
  fill += "version\r\n";
  filler.send(fill, served);
  run_until(served, [&] { return filler.ends_with("\r\n"); });
  ASSERT_EQ(filler.receive().rfind("VERSION ", 0), 0u) << filler.receive().substr(0, 80);

  Client reader(served);  // asks for ~20 MB and reads as fast as the loop sends
  Client other(served);
  reader.send("gettree ns\r\n", served);
  run_until(served, [&] { return !reader.receive().empty(); });
  other.send("version\r\n", served);
  run_until(served, [&] { return other.ends_with("\r\n") || reader.ends_with("END\r\n"); });
  EXPECT_EQ(other.receive().rfind("VERSION ", 0), 0u) << "the other client was not answered";
  EXPECT_FALSE(reader.ends_with("END\r\n")) << "the other client waited for the whole long reply ("
                                            << reader.receive().size() << " bytes)";
  run_until(served, [&] { return reader.ends_with("END\r\n"); });
  EXPECT_TRUE(reader.ends_with("END\r\n"));
  EXPECT_GT(reader.receive().size(), 20000u * 1024);
  EXPECT_FALSE(reader.closed() || other.closed() || filler.closed());
}

// A gettree or a getch of a node with 40000 children first scans them a slice per turn
// (walk.cc), making no reply bytes for several turns: the other clients of the thread are
// answered meanwhile.
TEST(ConnectionTest, AWideNodesScanLetsTheOtherClientsOfItsThreadIn) {
  Served served;
  Client filler(served);
  std::string fill;
  for (int i = 0; i < 40000; ++i)
    fill += "set ns n" + std::to_string(i) + " 0 0 1 noreply\r\nv\r\n";
  fill += "version\r\n";
  filler.send(fill, served);
  run_until(served, [&] { return filler.ends_with("\r\n"); });
  ASSERT_EQ(filler.receive().rfind("VERSION ", 0), 0u) << filler.receive().substr(0, 80);

  struct Case {
    const char* request;
    const char* first;  // the reply's first lines
    long lines;         // its lines, END included
  };
  for (const Case& c : {Case{"gettree ns\r\n", "VALUE ns n0 0 1\r\nv\r\n", 2 * 40000 + 1},
                        Case{"getch ns\r\n", "CHILD n0\r\n", 40000 + 1}}) {
    const std::string request = c.request;
    Client reader(served);
    Client other(served);
    reader.send(request, served);
    other.send("version\r\n", served);
    run_until(served, [&] { return other.ends_with("\r\n"); });
    EXPECT_EQ(other.receive().rfind("VERSION ", 0), 0u) << request << ": other not answered";
    EXPECT_TRUE(reader.receive().empty()) << request << ": the other client waited for the scan";
    run_until(served, [&] { return reader.ends_with("END\r\n"); });
    EXPECT_TRUE(reader.ends_with("END\r\n")) << request;
    EXPECT_EQ(reader.receive().rfind(c.first, 0), 0u) << request;
    const std::string& got = reader.receive();
    EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), c.lines) << request;
  }
}

}  // namespace
}  // namespace nestcache
