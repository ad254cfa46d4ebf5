#include "client.h"

#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace nestcache::bench {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

Client::Client(boost::asio::io_context& io, const BenchOptions& options, const KeySpace& keys,
               const Window& window, RunStats& stats, uint64_t seed)
    : socket_(io),
      pacer_(io),
      options_(options),
      keys_(keys),
      window_(window),
      stats_(stats),
      random_(seed),
      in_(kReadChunk) {}

void Client::start(const boost::asio::ip::tcp::endpoint& server) {
  socket_.async_connect(server, [this](boost::system::error_code ec) {
    if (ec) {
      fail();
      return;
    }
    boost::system::error_code ignored;
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    if (options_.rate > 0) {
      const double per_connection = options_.rate / double(options_.connections);
      interval_ = std::chrono::duration_cast<BenchClock::duration>(
          std::chrono::duration<double>(1.0 / per_connection));
      // A random phase, so that the connections' requests do not all fall due together.
      next_due_ = BenchClock::now() + interval_ * random_.below(1'000'000) / 1'000'000;
      pace();
    } else {
      issue(options_.pipeline);
    }
    read();
  });
}

void Client::pace() {
  const auto now = BenchClock::now();
  std::size_t due = 0;
  while (in_flight_.size() + due < options_.pipeline && next_due_ <= now) {
    issue(1, next_due_);
    next_due_ += interval_;
    ++due;
  }
  if (in_flight_.size() >= options_.pipeline || pacer_armed_ || failed_) return;
  // Room in the window: wake when the next request falls due. (A full window is refilled by
  // on_read, which calls pace() again.)
  pacer_armed_ = true;
  pacer_.expires_at(next_due_);
  pacer_.async_wait([this](boost::system::error_code ec) {
    pacer_armed_ = false;
    if (!ec) pace();
  });
}

void Client::issue(std::size_t count, BenchClock::time_point due) {
  const bool reads_only = options_.workload == WorkloadKind::getn;
  const uint64_t weights = options_.set_weight + options_.get_weight;
  for (std::size_t i = 0; i < count; ++i) {
    const bool is_set = !reads_only && random_.below(weights) < options_.set_weight;
    if (is_set) {
      keys_.append_set(pending_, random_.below(keys_.keys()), /*noreply=*/false);
    } else {
      keys_.append_read(pending_, random_.below(keys_.read_targets()));
    }
    in_flight_.push_back(InFlight{is_set, due});
  }
  unsent_ += count;
  if (!write_in_flight_) write();
}

void Client::write() {
  if (pending_.empty() || failed_) return;
  const auto now = BenchClock::now();
  for (auto it = in_flight_.end() - static_cast<std::ptrdiff_t>(unsent_); it != in_flight_.end();
       ++it) {
    if (it->sent == BenchClock::time_point{}) it->sent = now;  // not paced: counts from here
  }
  unsent_ = 0;
  writing_.swap(pending_);
  pending_.clear();
  write_in_flight_ = true;
  boost::asio::async_write(socket_, boost::asio::buffer(writing_),
                           [this](boost::system::error_code ec, std::size_t) {
                             write_in_flight_ = false;
                             if (ec) {
                               fail();
                               return;
                             }
                             write();  // what was composed meanwhile
                           });
}

void Client::read() {
  if (failed_) return;
  // Keep the unparsed tail at the front; grow only when one reply outgrows the buffer.
  if (begin_ > 0) {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (in_.size() - end_ < kReadChunk / 4) in_.resize(in_.size() * 2);
  socket_.async_read_some(boost::asio::buffer(in_.data() + end_, in_.size() - end_),
                          [this](boost::system::error_code ec, std::size_t bytes) {
                            if (ec) {
                              fail();
                              return;
                            }
                            on_read(bytes);
                          });
}

void Client::on_read(std::size_t bytes) {
  end_ += bytes;
  const auto now = BenchClock::now();
  std::size_t completed = 0;
  Reply reply;
  while (!in_flight_.empty()) {
    const std::size_t used =
        reader_.parse(std::string_view(in_.data() + begin_, end_ - begin_), reply);
    if (used == 0) break;
    begin_ += used;
    record(reply, in_flight_.front(), now);
    in_flight_.pop_front();
    ++completed;
  }
  if (begin_ == end_) begin_ = end_ = 0;
  if (completed > 0) {
    if (options_.rate > 0) {
      pace();
    } else {
      issue(completed);
    }
  }
  // Re-arm the read only after the other ready completions have sent their requests: Asio
  // first tries the read at once, and a reply cannot be there yet this soon after the request.
  boost::asio::post(socket_.get_executor(), [this] { read(); });
}

void Client::record(const Reply& reply, const InFlight& request, BenchClock::time_point now) {
  ++stats_.replies_all;
  if (!window_.contains(now)) return;
  if (reply.kind == ReplyKind::error) {
    ++stats_.errors;
  } else if (request.is_set) {
    ++stats_.sets;
    if (reply.kind != ReplyKind::stored) ++stats_.not_stored;
  } else {
    ++stats_.reads;
    stats_.values += reply.values;
    ++(reply.values > 0 ? stats_.hits : stats_.misses);
  }
  stats_.latency.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - request.sent).count()));
}

void Client::fail() {
  if (failed_) return;
  failed_ = true;
  ++stats_.disconnects;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace nestcache::bench
