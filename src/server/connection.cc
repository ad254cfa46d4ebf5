#include "connection.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <iostream>

#include <boost/asio/write.hpp>

namespace nestcache {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;  // memcached's read buffer size
// A batch stops producing replies past this much output, is written, and then goes on: a
// pipeline of large gets never makes us buffer more than about this.
constexpr std::size_t kMaxBatchOutput = 1024 * 1024;

// The first line of `bytes`, for -vv logs.
std::string_view first_line(std::string_view bytes) {
  std::string_view line = bytes.substr(0, std::min(bytes.find('\n'), bytes.size()));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line.substr(0, 200);
}

}  // namespace

Connection::Connection(boost::asio::ip::tcp::socket socket, Engine& engine,
                       const ParseOptions& parse, Counters& counters, StatsRegistry& stats,
                       std::function<void(Connection*)> on_close)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      engine_(engine),
      parser_(parse),
      counters_(counters),
      stats_(stats),
      on_close_(std::move(on_close)),
      in_(kReadChunk) {
  stats_.curr_connections.fetch_add(1, std::memory_order_relaxed);
  Counters::add(counters_.total_connections);
}

Connection::~Connection() {
  stats_.curr_connections.fetch_sub(1, std::memory_order_relaxed);
  if (on_close_) on_close_(this);
}

void Connection::start() {
  boost::system::error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  id_ = socket_.native_handle();
  if (engine_.verbosity() >= 1) {
    std::clog << "<" << id_ << " new client connection from " << socket_.remote_endpoint(ignored)
              << '\n';
  }
  read();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  if (engine_.verbosity() >= 1) std::clog << "<" << id_ << " connection closed.\n";
  boost::system::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Connection::arm_idle_timer() {
  const uint32_t idle = engine_.options().idle_timeout;
  if (idle == 0) return;
  idle_timer_.expires_after(std::chrono::seconds(idle));
  idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed_) return;
    Counters::add(self->counters_.idle_kicks);
    self->close();
  });
}

void Connection::read() {
  if (closed_) return;
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
  arm_idle_timer();
  socket_.async_read_some(
      boost::asio::buffer(in_.data() + end_, in_.size() - end_),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
        if (ec) {
          self->close();
          return;
        }
        self->on_read(bytes);
      });
}

void Connection::on_read(std::size_t bytes) {
  end_ += bytes;
  Counters::add(counters_.bytes_read, bytes);
  process();
}

void Connection::process() {
  const bool trace = engine_.verbosity() >= 2;
  while (!closing_ && out_.size() < kMaxBatchOutput) {
    if (more_.pending()) {
      engine_.resume(more_, counters_, out_);
      // Each part of a long reply is written before the next is made: the write's completion
      // comes back through the io_context, so the other connections of this thread get a turn
      // between parts (a gettree of a million nodes does not hold them up).
      if (!out_.empty()) break;
      continue;
    }
    const std::string_view input(in_.data() + begin_, end_ - begin_);
    const ParseResult result = parser_.parse(input, command_);
    if (result.status == ParseStatus::need_more) break;
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
      std::clog << '<' << id_ << ' ' << first_line(input) << '\n';
      if (out_.size() > reply_at) {
        std::clog << '>' << id_ << ' ' << first_line(std::string_view(out_).substr(reply_at))
                  << '\n';
      }
    }
  }
  if (!out_.empty()) {
    write();
  } else if (closing_) {
    close();
  } else {
    read();
  }
}

void Connection::write() {
  idle_timer_.cancel();
  boost::asio::async_write(
      socket_, boost::asio::buffer(out_),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
        if (ec) {
          self->close();
          return;
        }
        Counters::add(self->counters_.bytes_written, bytes);
        self->out_.clear();
        if (self->out_.capacity() > kMaxBatchOutput) self->out_.shrink_to_fit();
        self->process();  // buffered requests may remain; process() reads when it needs more
      });
}

}  // namespace nestcache
