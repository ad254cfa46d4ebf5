// One client's conversation with the engine: request bytes in, reply bytes out, with no socket.
// The connection, the tests, the fuzzers and an embedding program all talk through it, so they
// all see the same framing, pipelining, noreply and long-reply rules.
//
// A session speaks the protocol its first byte names, as memcached decides per connection:
// 0x80 (the binary request magic) is memcached's binary protocol, anything else text (plain and
// meta commands); it keeps to it for its life.
//
// Lifetime: the engine and the counters outlive the session. feed() keeps nothing that points
// into `input` once it returns (a long reply owns copies of what it needs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "nestcache/engine/engine.h"
#include "nestcache/engine/long_reply.h"
#include "nestcache/protocol/binary_parser.h"
#include "nestcache/protocol/command.h"
#include "nestcache/protocol/parser.h"
#include "nestcache/stats/counters.h"
#include "nestcache/watch/watch.h"

namespace nestcache {

// Where feed() stopped.
enum class SessionState : uint8_t {
  want_input,   // every whole request is answered; feed again when more bytes have arrived
  more_output,  // more replies to make (a long reply's next part, or `max_output` was reached):
                // send `out`, then feed again (input may have grown meanwhile)
  close,        // quit, or input that ends the connection: send `out`, then close
  stream,       // a watchtree made this a watch's stream: send `out`, then take its events with
                // stream() whenever the watch wakes the caller (Watch::set_waker); what the
                // client sends from now on is read and dropped
};

struct Fed {
  SessionState state = SessionState::want_input;
  std::size_t consumed = 0;  // bytes at the front of `input` used up: the caller drops them
  bool answered = false;     // at least one request was taken (for idle timeouts)
  // Bytes the request at the front of what is left needs in all (line and data block), 0 if
  // unknown: the caller may grow its buffer to this once, instead of a read at a time.
  std::size_t wanted = 0;
};

class Session {
 public:
  // `trace_id` names the client in -vv logs (the connection's descriptor).
  Session(Engine& engine, Counters& counters, int trace_id = -1);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Takes whole requests from the front of `input`, runs them, and appends their replies to
  // `out`, in order. Stops when nothing whole is left, at a request that closes, once `out`
  // holds `max_output` bytes or more, and after each part of a long reply (so that the caller
  // can send it and give other clients a turn before the next).
  Fed feed(std::string_view input, std::string& out,
           std::size_t max_output = std::numeric_limits<std::size_t>::max());

  // A long reply has parts still to come.
  bool replying() const { return pending(more_); }

  // The watch this session streams (after feed() said stream), else nullptr.
  Watch* watch() const { return watch_.get(); }
  std::weak_ptr<Watch> watch_ref() const { return watch_; }
  // Appends the watch's next events (about `max` bytes at most): see Watch::take.
  Watch::Step stream(std::string& out, std::size_t max);
  // The client is gone: the watch stops (the hub forgets it).
  void end_watch();

 private:
  // Makes the next part of the pending long reply; true when the caller may go on to the next
  // request at once (the reply is done and made nothing), else `fed` says more_output.
  bool resume(std::string& out, Fed& fed);
  // -vv: the first lines of a request and of its reply.
  void log(std::string_view request, std::string_view reply) const;
  // feed() for a binary session.
  Fed feed_binary(std::string_view input, std::string& out, std::size_t max_output);

  enum class Protocol : uint8_t { undecided, text, binary };

  Engine& engine_;
  Counters& counters_;
  Parser parser_;
  Command command_;
  Protocol protocol_ = Protocol::undecided;
  BinaryParser binary_parser_;
  BinaryRequest binary_request_;
  LongReply more_;
  bool more_noreply_ = false;     // the pending long reply's request said noreply
  std::shared_ptr<Watch> watch_;  // after a watchtree
  int trace_id_;
};

}  // namespace nestcache
