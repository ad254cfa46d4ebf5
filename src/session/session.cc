#include "nestcache/session/session.h"

#include <algorithm>
#include <iostream>

namespace nestcache {
namespace {

// The first line of `bytes`, for -vv logs.
std::string_view first_line(std::string_view bytes) {
  std::string_view line = bytes.substr(0, std::min(bytes.find('\n'), bytes.size()));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line.substr(0, 200);
}

}  // namespace

Session::Session(Engine& engine, Counters& counters, int trace_id)
    : engine_(engine),
      counters_(counters),
      parser_(engine.options().protocol),
      binary_parser_(engine.options().protocol),
      trace_id_(trace_id) {}

Session::~Session() { end_watch(); }

Fed Session::feed(std::string_view input, std::string& out, std::size_t max_output) {
  // One well-predicted branch per feed (not per request) for a text session.
  if (protocol_ != Protocol::text) [[unlikely]] {
    if (protocol_ == Protocol::undecided) {
      if (input.empty()) return Fed{};
      protocol_ = static_cast<uint8_t>(input.front()) == binary::kRequestMagic ? Protocol::binary
                                                                               : Protocol::text;
    }
    if (protocol_ == Protocol::binary) return feed_binary(input, out, max_output);
  }
  Fed fed;
  if (watch_ != nullptr) {  // a stream: requests are not read any more
    fed.consumed = input.size();
    fed.state = SessionState::stream;
    return fed;
  }
  if (pending(more_) && !resume(out, fed)) return fed;
  const bool trace = engine_.verbosity() >= 2;
  for (;;) {
    if (out.size() >= max_output) {
      fed.state = SessionState::more_output;
      return fed;
    }
    // All of it answered (the usual end of a feed): nothing for the parser to look at.
    if (fed.consumed == input.size()) return fed;
    const std::string_view rest(input.data() + fed.consumed, input.size() - fed.consumed);
    const ParseResult result = parser_.parse(rest, command_);
    if (result.status == ParseStatus::need_more) {
      fed.wanted = parser_.wanted();
      return fed;
    }
    fed.answered = true;
    fed.consumed += result.consumed;
    const std::size_t mark = out.size();
    bool open = true;
    if (result.status == ParseStatus::complete) {
      open = engine_.execute(command_, counters_, out, more_) == Outcome::keep_open;
    } else if (result.status == ParseStatus::error) {
      engine_.reject(result, command_, counters_, out);
    } else if (result.status == ParseStatus::close) {
      open = false;
    }  // else skipped: part of a refused data block, no reply
    if (command_.noreply) out.resize(mark);
    if (trace && result.status != ParseStatus::skipped)
      log(rest, std::string_view(out).substr(mark));
    if (!open) {
      fed.state = SessionState::close;
      return fed;
    }
    if (auto* watching = std::get_if<WatchReply>(&more_)) [[unlikely]] {
      // From here on the connection carries the watch's events; the rest is dropped.
      watch_ = std::move(watching->watch());
      more_ = std::monostate();
      fed.consumed = input.size();
      fed.state = SessionState::stream;
      return fed;
    }
    if (pending(more_)) {  // its first part is made: the rest after the caller's turn
      more_noreply_ = command_.noreply;
      fed.state = SessionState::more_output;
      return fed;
    }
  }
}

Watch::Step Session::stream(std::string& out, std::size_t max) {
  if (watch_ == nullptr) return Watch::Step::ended;
  return watch_->take(out, max);
}

void Session::end_watch() {
  if (watch_ != nullptr) watch_->close();
}

Fed Session::feed_binary(std::string_view input, std::string& out, std::size_t max_output) {
  Fed fed;
  const bool trace = engine_.verbosity() >= 2;
  for (;;) {
    if (out.size() >= max_output) {
      fed.state = SessionState::more_output;
      return fed;
    }
    if (fed.consumed == input.size()) return fed;
    const std::string_view rest(input.data() + fed.consumed, input.size() - fed.consumed);
    const ParseResult result = binary_parser_.parse(rest, binary_request_, command_);
    if (result.status == ParseStatus::need_more) {
      fed.wanted = binary_parser_.wanted();
      return fed;
    }
    fed.answered = true;
    fed.consumed += result.consumed;
    bool open = true;
    if (result.status == ParseStatus::complete) {
      open =
          engine_.execute_binary(binary_request_, command_, counters_, out) == Outcome::keep_open;
    } else if (result.status == ParseStatus::error) {
      engine_.reject_binary(binary_request_, result, command_, counters_, out);
      open = !binary_request_.close_after_reply;
    } else if (result.status == ParseStatus::close) {
      open = false;
    }  // else skipped: part of a discarded body, no reply
    if (trace && result.status != ParseStatus::skipped) {
      std::clog << '<' << trace_id_ << " binary opcode 0x" << std::hex
                << static_cast<unsigned>(binary_request_.opcode) << std::dec << " key "
                << binary_request_.key.substr(0, 200) << '\n';
    }
    if (!open) {
      fed.state = SessionState::close;
      return fed;
    }
  }
}

bool Session::resume(std::string& out, Fed& fed) {
  const std::size_t mark = out.size();
  engine_.resume(more_, counters_, out);
  if (more_noreply_) out.resize(mark);
  // Each part of a long reply is sent before the next is made, and other clients get a turn in
  // between; so do they after a part that made nothing yet (a slice of a wide node's scan).
  // Only a finished reply whose last part made nothing lets the next request in at once.
  if (out.size() == mark && !pending(more_)) return true;
  fed.state = SessionState::more_output;
  return false;
}

void Session::log(std::string_view request, std::string_view reply) const {
  std::clog << '<' << trace_id_ << ' ' << first_line(request) << '\n';
  if (!reply.empty()) std::clog << '>' << trace_id_ << ' ' << first_line(reply) << '\n';
}

}  // namespace nestcache
