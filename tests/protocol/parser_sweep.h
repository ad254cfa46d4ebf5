// The parser sweep harness shared by the parser test files: feeds input the way a
// connection does, re-split into chunks of 100000, 1000, 100, 10, 5, 2 and 1 bytes.
#pragma once

#include "nestcache/protocol/parser.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nestcache {
namespace parser_testing {

using namespace std::string_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Strings = std::vector<std::string>;

// One result the connection acts on, with the command's fields copied out of the read buffer.
// Error results keep what the engine uses to answer them: verb and noreply (and, for too_large,
// the path, whose old value a set drops).
struct Event {
  ParseStatus status = ParseStatus::complete;
  std::size_t consumed = 0;
  ParseError error = ParseError::none;
  std::string detail;
  Verb verb = Verb::get;
  bool noreply = false;
  Strings path;
  Strings key_tokens;
  Strings keys;
  uint32_t flags = 0;
  int64_t exptime = 0;
  uint64_t cas_unique = 0;
  uint64_t delta = 0;
  int64_t delay = 0;
  bool has_delay = false;
  uint32_t level = 0;
  uint32_t megabytes = 0;
  std::string data;
  std::string stats_args;
  Strings args;

  bool operator==(const Event&) const = default;

  // Sets the segments and, until with_tokens says otherwise, the key tokens as sent.
  Event& with_path(Strings segments) {
    key_tokens = path = std::move(segments);
    return *this;
  }
  Event& with_tokens(Strings tokens) {
    key_tokens = std::move(tokens);
    return *this;
  }
  Event& with_keys(Strings value) {
    keys = std::move(value);
    return *this;
  }
  Event& with_noreply() {
    noreply = true;
    return *this;
  }
  Event& with_flags(uint32_t value) {
    flags = value;
    return *this;
  }
  Event& with_exptime(int64_t value) {
    exptime = value;
    return *this;
  }
  Event& with_cas(uint64_t value) {
    cas_unique = value;
    return *this;
  }
  Event& with_delta(uint64_t value) {
    delta = value;
    return *this;
  }
  Event& with_delay(int64_t value) {
    has_delay = true;
    delay = value;
    return *this;
  }
  Event& with_level(uint32_t value) {
    level = value;
    return *this;
  }
  Event& with_megabytes(uint32_t value) {
    megabytes = value;
    return *this;
  }
  Event& with_data(std::string value) {
    data = std::move(value);
    return *this;
  }
  Event& with_args(Strings value) {
    args = std::move(value);
    return *this;
  }
  Event& with_stats_args(std::string value) {
    stats_args = std::move(value);
    return *this;
  }
};

inline Event complete(std::string_view request, Verb verb) {
  Event event;
  event.consumed = request.size();
  event.verb = verb;
  return event;
}

inline Event rejected(std::string_view request, ParseError error, Verb verb = Verb::get) {
  Event event;
  event.status = ParseStatus::error;
  event.consumed = request.size();
  event.error = error;
  event.verb = verb;
  return event;
}

inline Event bad_path(std::string_view request, std::string detail, Verb verb) {
  Event event = rejected(request, ParseError::bad_path, verb);
  event.detail = std::move(detail);
  return event;
}

inline Event skipped(std::size_t bytes) {
  Event event;
  event.status = ParseStatus::skipped;
  event.consumed = bytes;
  return event;
}

inline Event closed(std::size_t bytes) {
  Event event;
  event.status = ParseStatus::close;
  event.consumed = bytes;
  return event;
}

template <typename Views>
inline Strings copy(const Views& views) {
  return Strings(views.begin(), views.end());
}

inline Event snapshot(const ParseResult& result, const Command& command) {
  Event event;
  event.status = result.status;
  event.consumed = result.consumed;
  event.error = result.error;
  event.detail = std::string(result.detail);
  const bool answered =
      result.status == ParseStatus::complete || result.status == ParseStatus::error;
  if (!answered) return event;
  event.verb = command.verb;
  event.noreply = command.noreply;
  if (result.status == ParseStatus::complete || result.error == ParseError::too_large) {
    event.path = copy(command.path);
    // command.key is the raw span of the key's tokens; compared here as its tokens.
    for (std::size_t at = 0; at < command.key.size();) {
      const std::size_t end = std::min(command.key.find(' ', at), command.key.size());
      if (end > at) event.key_tokens.emplace_back(command.key.substr(at, end - at));
      at = end + 1;
    }
  }
  if (result.status != ParseStatus::complete) return event;
  event.keys = copy(command.keys);
  event.flags = command.flags;
  event.exptime = command.exptime;
  event.cas_unique = command.cas_unique;
  event.delta = command.delta;
  event.delay = command.delay;
  event.has_delay = command.has_delay;
  event.level = command.level;
  event.megabytes = command.megabytes;
  event.data = std::string(command.data);
  event.stats_args = std::string(command.stats_args);
  event.args = copy(command.args);
  return event;
}

// How many skipped results a refused block takes depends on how its bytes arrive; their sum
// does not.
inline std::vector<Event> merge_skipped(std::vector<Event> events) {
  std::vector<Event> merged;
  for (Event& event : events) {
    if (event.status == ParseStatus::skipped && !merged.empty() &&
        merged.back().status == ParseStatus::skipped) {
      merged.back().consumed += event.consumed;
    } else {
      merged.push_back(std::move(event));
    }
  }
  return merged;
}

inline std::string_view name(ParseStatus status) {
  constexpr std::string_view kNames[] = {"complete", "need_more", "skipped", "error", "close"};
  return kNames[static_cast<int>(status)];
}

inline std::string_view name(ParseError error) {
  constexpr std::string_view kNames[] = {"none",           "unknown_command", "bad_format",
                                         "bad_data_chunk", "too_large",       "invalid_exptime",
                                         "invalid_delta",  "delete_usage",    "bad_stats_args",
                                         "bad_path",       "meta_error"};
  return kNames[static_cast<int>(error)];
}

inline std::string_view name(Verb verb) { return command_info(verb).name; }

inline void PrintTo(const Event& e, std::ostream* os) {
  using ::testing::PrintToString;
  *os << "{" << name(e.status) << " consumed=" << e.consumed << " " << name(e.error)
      << " detail=" << PrintToString(e.detail) << " verb=" << name(e.verb)
      << " noreply=" << e.noreply << " path=" << PrintToString(e.path)
      << " key_tokens=" << PrintToString(e.key_tokens) << " keys=" << PrintToString(e.keys)
      << " flags=" << e.flags << " exptime=" << e.exptime << " cas=" << e.cas_unique
      << " delta=" << e.delta << " delay=" << e.delay << " has_delay=" << e.has_delay
      << " level=" << e.level << " megabytes=" << e.megabytes << " data=" << PrintToString(e.data)
      << " stats_args=" << PrintToString(e.stats_args) << "}";
}

inline ParseOptions compat_mode() {
  ParseOptions options;
  options.compat = true;
  return options;
}

inline ParseOptions separated(char separator, bool compat = false) {
  ParseOptions options;
  options.separator = separator;
  options.compat = compat;
  return options;
}

inline constexpr std::size_t kChunkSizes[] = {100000, 1000, 100, 10, 5, 2, 1};

class ParserSweep : public ::testing::TestWithParam<std::size_t> {
 protected:
  std::vector<Event> run(std::string_view input) { return run(input, options_); }

  // Appends the input to a buffer GetParam() bytes at a time and, after each arrival, parses
  // the unconsumed bytes until the parser wants more, as Connection::process does.
  std::vector<Event> run(std::string_view input, const ParseOptions& options) {
    Parser parser(options);
    Command command;  // reused across requests, like the connection's
    std::string buffer;
    std::vector<Event> events;
    for (std::size_t sent = 0; sent < input.size(); sent += GetParam()) {
      buffer.append(input.substr(sent, GetParam()));
      for (;;) {
        const ParseResult result = parser.parse(buffer, command);
        if (result.status == ParseStatus::need_more) {
          EXPECT_EQ(result.consumed, 0u) << "need_more consumed bytes";
          break;
        }
        events.push_back(snapshot(result, command));
        if (result.status == ParseStatus::close) return events;
        if (result.consumed == 0 || result.consumed > buffer.size()) {
          ADD_FAILURE() << "consumed " << result.consumed << " of " << buffer.size();
          return events;
        }
        buffer.erase(0, result.consumed);
      }
    }
    left_ = buffer.size();
    return events;
  }

  ParseOptions options_;  // nested mode, every default
  std::size_t left_ = 0;  // bytes unconsumed after the last chunk
};

inline std::string chunk_name(const ::testing::TestParamInfo<std::size_t>& chunk) {
  return "chunk" + std::to_string(chunk.param);
}

}  // namespace parser_testing
}  // namespace nestcache
