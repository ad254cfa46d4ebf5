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

}  // namespace

Connection::Connection(int fd, EventLoop& loop, Engine& engine, Counters& counters,
                       StatsRegistry& stats, std::function<void(Connection*)> on_close,
                       std::vector<Connection*>* held)
    : fd_(fd),
      loop_(loop),
      engine_(engine),
      counters_(counters),
      stats_(stats),
      session_(engine, counters, fd),
      on_close_(std::move(on_close)),
      in_(kReadChunk),
      idle_link_(this, loop.now()),
      held_(held) {
  Counters::add(counters_.total_connections);
}

Connection::~Connection() {
  // A turn asked for with soon() may still be queued for the next round.
  loop_.cancel(*this);
  if (state_ != State::closed) ::close(fd_);
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
  if (state_ == State::closed) return;
  state_ = State::closed;
  session_.end_watch();
  if (engine_.verbosity() >= 1) std::clog << "<" << fd_ << " connection closed.\n";
  loop_.forget(fd_);
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  if (on_close_) on_close_(this);
}

void Connection::on_ready(uint32_t events) {
  switch (state_) {
    case State::reading:
      receive();
      break;
    case State::working:
      if (events == 0) process();  // our turn, asked for with soon()
      // else: requests wait in the socket until the pending replies are made
      break;
    case State::committing:
      break;  // requests wait in the socket until the held replies are out
    case State::sending:
      send(State::reading);  // writable, or an error that send() will report
      break;
    case State::sending_then_work:
      send(State::working);
      break;
    case State::sending_then_close:
      send(State::closed);
      break;
    case State::sending_then_stream:
      send(State::streaming_more);
      break;
    case State::streaming:
      if (events != 0) drain_input();
      break;
    case State::streaming_more:
      if (events == 0) {
        stream();
      } else {
        drain_input();
      }
      break;
    case State::closed:
      break;
  }
}

void Connection::start_stream() {
  // In a stream the client's bytes are dropped (drain_input): no buffer is kept for them.
  std::vector<char>().swap(in_);
  begin_ = end_ = wanted_ = 0;
  // The watch calls this from a writer's thread; the turn runs here, if the session (the only
  // owner of the watch) is still alive then: both die on this thread.
  std::weak_ptr<Watch> alive = session_.watch_ref();
  EventLoop* loop = &loop_;
  session_.watch()->set_waker([loop, alive, this] {
    loop->post([alive, this] {
      if (alive.lock() != nullptr && state_ == State::streaming) stream();
    });
  });
}

void Connection::stream() {
  const Watch::Step step = session_.stream(out_, kMaxBatchOutput);
  const State then = step == Watch::Step::ended ? State::closed
                     : out_.empty() && step == Watch::Step::idle
                         ? State::streaming
                         : State::streaming_more;  // after a send, take again: a wake-up
                                                   // may have come while it was out
  if (out_.empty()) {
    become(then);
  } else {
    send(then);
  }
}

void Connection::drain_input() {
  char dropped[512];
  const ssize_t got = ::recv(fd_, dropped, sizeof dropped, 0);
  if (got > 0) {
    Counters::add(counters_.bytes_read, std::size_t(got));
  } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    close();
  }
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
  if (wanted_ > room) room = std::min(wanted_, std::max(room, 2 * end_));
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
  const Fed fed =
      session_.feed(std::string_view(in_.data() + begin_, end_ - begin_), out_, kMaxBatchOutput);
  begin_ += fed.consumed;
  wanted_ = fed.wanted;
  if (fed.answered) idle_link_.touch(loop_.now());
  State then = State::reading;
  if (fed.state == SessionState::more_output) then = State::working;
  if (fed.state == SessionState::close) then = State::closed;
  if (fed.state == SessionState::stream) {
    start_stream();
    then = State::streaming_more;
  }
  if (out_.empty()) {
    become(then);
  } else if (held_ != nullptr) {
    then_ = then;
    state_ = State::committing;
    held_->push_back(this);
  } else {
    send(then);
  }
}

void Connection::release() {
  if (state_ == State::committing) send(then_);
}

void Connection::send(State then) {
  while (sent_ < out_.size()) {
    const ssize_t put = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
    if (put >= 0) {
      sent_ += std::size_t(put);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // The client is not reading: stop reading its requests until it takes its replies.
      state_ = then == State::working          ? State::sending_then_work
               : then == State::closed         ? State::sending_then_close
               : then == State::streaming_more ? State::sending_then_stream
                                               : State::sending;
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
  if (watched_ == EPOLLOUT) {
    idle_link_.touch(loop_.now());
    watch_for(EPOLLIN);
    if (state_ == State::closed) return;
  }
  become(then);
}

void Connection::become(State next) {
  switch (next) {
    case State::closed:
      close();
      break;
    case State::working:
      state_ = State::working;
      loop_.soon(*this);  // process() again after the thread's other ready connections
      break;
    case State::streaming_more:
      state_ = State::streaming_more;
      loop_.soon(*this);  // stream() again after the thread's other ready connections
      break;
    case State::streaming:
      state_ = State::streaming;
      if (out_.capacity() > 4096) std::string().swap(out_);  // an idle watch holds little
      break;
    default:
      state_ = State::reading;
      break;
  }
}

}  // namespace nestcache
