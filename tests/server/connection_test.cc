// Connections on one event loop, driven round by round over socket pairs: what one client's long
// reply does to the requests behind it and to the other clients of its thread.
#include "server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "harness.h"
#include "nestcache/config/options.h"

namespace nestcache {
namespace {

using namespace std::chrono_literals;

// The daemon's defaults, as the command line resolves them.
Options daemon_defaults() {
  const char* argv[] = {"nestcached"};
  return parse_options(1, argv).options;
}

// The engine test harness's engine, with the daemon's defaults, and one event loop.
struct Served {
  Harness harness{daemon_defaults()};
  EventLoop loop;
};

// One client: the server's end is a Connection on the loop, the test holds the other end.
class Client {
 public:
  explicit Client(Served& served) {
    int fd[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
    peer_ = fd[1];
    Harness& h = served.harness;
    h.registry().curr_connections.fetch_add(1);  // as Worker::adopt counts it
    connection_ =
        std::make_unique<Connection>(fd[0], served.loop, h.engine(), h.counters(), h.registry(),
                                     [this](Connection*) { closed_ = true; });
    EXPECT_TRUE(connection_->start("test"));
  }
  ~Client() { ::close(peer_); }

  // Writes `bytes`, running loop rounds whenever the socket pair's buffer is full.
  void send(std::string_view bytes, Served& served) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(peer_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(std::size_t(n));
      } else {
        ASSERT_EQ(errno, EAGAIN) << "the server closed; it sent: " << receive().substr(0, 200);
        served.loop.run_once(0ms);
      }
    }
  }
  // Everything the server has sent so far, appended to received().
  const std::string& receive() {
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(peer_, buf, sizeof buf)) > 0) received_.append(buf, std::size_t(n));
    return received_;
  }
  bool ends_with(std::string_view tail) {
    const std::string& got = receive();
    return got.size() >= tail.size() &&
           got.compare(got.size() - tail.size(), tail.size(), tail) == 0;
  }
  bool closed() const { return closed_; }

 private:
  int peer_ = -1;
  std::unique_ptr<Connection> connection_;
  std::string received_;
  bool closed_ = false;
};

// Runs rounds until `done` or `max_rounds`; returns the rounds run.
template <typename Done>
int run_until(Served& served, Done done, int max_rounds = 100000) {
  int rounds = 0;
  while (!done() && rounds < max_rounds) {
    served.loop.run_once(0ms);
    ++rounds;
  }
  return rounds;
}

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
