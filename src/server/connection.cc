#include "connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

namespace nestcache {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;  // memcached's read buffer size
// A batch stops producing replies past this much output, is sent, and then goes on: a
// pipeline of large gets never makes us buffer more than about this.
constexpr std::size_t kMaxBatchOutput = 1024 * 1024;

// The first line of `bytes`, for -vv logs.
std::string_view first_line(std::string_view bytes) {
  std::string_view line = bytes.substr(0, std::min(bytes.find('\n'), bytes.size()));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line.substr(0, 200);
}

}  // namespace

Connection::Connection(int fd, EventLoop& loop, Engine& engine, const ParseOptions& parse,
                       Counters& counters, StatsRegistry& stats,
                       std::function<void(Connection*)> on_close)
    : fd_(fd),
      loop_(loop),
      engine_(engine),
      parser_(parse),
      counters_(counters),
      stats_(stats),
      on_close_(std::move(on_close)),
      in_(kReadChunk),
      idle_link_(this, loop.now()) {
  Counters::add(counters_.total_connections);
}

Connection::~Connection() {
  // A turn asked for with soon() may still be queued for the next round (the last part of a
  // long reply asks for one more, for requests buffered behind it).
  loop_.cancel(*this);
  if (!closed_) ::close(fd_);
  // Counted up by the acceptor when it handed the socket over (worker.cc), so that -c holds.
  stats_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
}

bool Connection::start(const std::string& peer) {
  if (engine_.verbosity() >= 1) {
    std::clog << "<" << fd_ << " new client connection from " << peer << '\n';
  }
  if (loop_.watch(fd_, watched_, *this)) return true;
  std::cerr << "nestcached: cannot watch a new connection: " << std::strerror(errno) << '\n';
  close();
  return false;
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  if (engine_.verbosity() >= 1) std::clog << "<" << fd_ << " connection closed.\n";
  loop_.forget(fd_);
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  if (on_close_) on_close_(this);
}

void Connection::on_ready(uint32_t events) {
  if (closed_) return;
  if (events == 0) {  // our turn, asked for with soon()
    scheduled_ = false;
    process();
  } else if (sending_) {
    send();  // writable, or an error that send() will report
  } else if (!more_work_) {
    receive();
  }
  // else: in_ must stay as it is until the pending reply is done; the soon() turn comes first.
}

void Connection::ask_for_turn() {
  if (scheduled_) return;
  scheduled_ = true;
  loop_.soon(*this);
}

void Connection::watch_for(uint32_t events) {
  if (watched_ == events) return;
  watched_ = events;
  if (!loop_.change(fd_, events, *this)) close();
}

void Connection::receive() {
  // Make room: keep unconsumed bytes at the front, and grow only as far as the pending request
  // needs (the parser has already checked it against -I and the line limits).
  if (begin_ > 0) {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // While a large data block arrives the buffer at most doubles what has arrived, up to the
  // size the request needs: memory follows the bytes, never the length a client claims
  // (PRODUCT.md; test_hostile_input.py, test_large_allowed_length_is_not_allocated_up_front).
  std::size_t room = end_ + kReadChunk;
  if (parser_.wanted() > room) room = std::min(parser_.wanted(), std::max(room, 2 * end_));
  if (in_.size() < room) {
    in_.resize(room);
  } else if (end_ == 0 && in_.size() > 4 * kReadChunk) {
    std::vector<char>(kReadChunk).swap(in_);  // give back what one big value needed
  }
  const ssize_t got = ::recv(fd_, in_.data() + end_, in_.size() - end_, 0);
  if (got > 0) {
    end_ += std::size_t(got);
    Counters::add(counters_.bytes_read, std::size_t(got));
    process();
  } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    close();  // the client hung up, or the connection broke
  }
}

void Connection::process() {
  const bool trace = engine_.verbosity() >= 2;
  bool handled = false;
  more_work_ = false;
  while (!closing_) {
    if (out_.size() >= kMaxBatchOutput) {
      more_work_ = true;
      break;
    }
    if (more_.pending()) {
      engine_.resume(more_, counters_, out_);
      // Each part of a long reply is sent before the next is made, and the other clients of
      // this thread get a turn in between (a gettree of a million nodes does not hold them up);
      // so do they after a part that made nothing yet (a slice of a wide node's scan).
      if (!out_.empty() || more_.pending()) {
        more_work_ = true;  // the rest of this reply, or the requests buffered behind it
        break;
      }
      continue;
    }
    const std::string_view input(in_.data() + begin_, end_ - begin_);
    const ParseResult result = parser_.parse(input, command_);
    if (result.status == ParseStatus::need_more) break;
    handled = true;
    begin_ += result.consumed;
    const std::size_t reply_at = out_.size();
    switch (result.status) {
      case ParseStatus::complete:
        if (engine_.execute(command_, counters_, out_, more_) == Outcome::close) {
          closing_ = true;
        }
        break;
      case ParseStatus::error:
        engine_.reject(result, command_, counters_, out_);
        break;
      case ParseStatus::close:
        closing_ = true;
        break;
      default:
        break;  // skipped: part of a refused data block
    }
    if (trace && result.status != ParseStatus::skipped) {
      std::clog << '<' << fd_ << ' ' << first_line(input) << '\n';
      if (out_.size() > reply_at) {
        std::clog << '>' << fd_ << ' ' << first_line(std::string_view(out_).substr(reply_at))
                  << '\n';
      }
    }
  }
  if (handled) idle_link_.touch(loop_.now());
  if (!out_.empty()) {
    send();
  } else if (closing_) {
    close();
  } else if (more_work_) {
    ask_for_turn();  // nothing to send yet, but more to make
  }
  // else: wait for more bytes; the socket is watched for EPOLLIN.
}

void Connection::send() {
  while (sent_ < out_.size()) {
    const ssize_t put = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
    if (put >= 0) {
      sent_ += std::size_t(put);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // The client is not reading: stop reading its requests until it takes its replies.
      sending_ = true;
      watch_for(EPOLLOUT);
      return;
    } else if (errno != EINTR) {
      close();
      return;
    }
  }
  Counters::add(counters_.bytes_written, out_.size());
  out_.clear();
  sent_ = 0;
  if (out_.capacity() > kMaxBatchOutput) out_.shrink_to_fit();
  if (sending_) {
    sending_ = false;
    idle_link_.touch(loop_.now());
    watch_for(EPOLLIN);
    if (closed_) return;
  }
  if (closing_) {
    close();
  } else if (more_work_) {
    ask_for_turn();
  }
}

}  // namespace nestcache
