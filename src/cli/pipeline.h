// Requests kept in flight up to a depth, each reply handed back with the tag of its request:
// the client writes while the server answers, and never so far ahead that both sides block.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string_view>

#include "nestcache/client/client.h"

namespace nestcache::cli {

class Pipeline {
 public:
  using OnReply = std::function<void(std::size_t tag, const client::Reply& reply)>;
  Pipeline(client::Client& client, std::size_t depth, OnReply on_reply)
      : client_(client), depth_(depth < 1 ? 1 : depth), on_reply_(std::move(on_reply)) {}

  // Queues one request (whole: line and data block) expecting one reply.
  void send(std::string_view request, std::size_t tag) {
    client_.queue(request);
    tags_.push_back(tag);
    // At the depth, read until half of it is left: one write then carries half a pipeline of
    // requests, and one read takes as many replies as have come (not a syscall per request).
    if (tags_.size() >= depth_) {
      while (tags_.size() > depth_ / 2) read_one();
    }
  }
  // Reads every reply still owed.
  void finish() {
    while (!tags_.empty()) read_one();
  }
  std::size_t in_flight() const { return tags_.size(); }

 private:
  void read_one() {
    const client::Reply reply = client_.read_reply();
    const std::size_t tag = tags_.front();
    tags_.pop_front();
    on_reply_(tag, reply);
  }

  client::Client& client_;
  std::size_t depth_;
  OnReply on_reply_;
  std::deque<std::size_t> tags_;
};

}  // namespace nestcache::cli
