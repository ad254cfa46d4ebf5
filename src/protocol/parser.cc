// Line framing, tokenizing and the per-command argument rules. memcached 1.6.18's
// proto_text.c is the reference for every error and token count in compat mode; nested mode
// reads single-key commands from the right so the path can take any number of tokens.
#include "nestcache/protocol/parser.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "command_table.h"
#include "meta_parser.h"
#include "nestcache/common/item_size.h"
#include "nestcache/common/numbers.h"
#include "nestcache/protocol/path_args.h"

namespace nestcache {
namespace {

using Tokens = absl::InlinedVector<std::string_view, 24>;

void tokenize(std::string_view line, Tokens& tokens) {
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
}

// memcached lets a line without a newline grow past 2048 bytes only for a multi-get.
bool looks_like_get(std::string_view input) {
  std::size_t spaces = 0;
  while (spaces < input.size() && input[spaces] == ' ') ++spaces;
  if (spaces > 100) return false;
  input.remove_prefix(spaces);
  return input.starts_with("get ") || input.starts_with("gets ");
}

ParseResult outcome(ParseStatus status, std::size_t consumed) {
  return ParseResult{status, consumed, ParseError::none, {}};
}

ParseResult failure(ParseError error, std::size_t consumed, std::string_view detail = {}) {
  return ParseResult{ParseStatus::error, consumed, error, detail};
}

// Everything the per-command functions need to know about the line at hand.
struct Line {
  const Tokens& tokens;
  std::size_t size;  // bytes of the line including its newline
  const ParseOptions& options;
};

// memcached 1.6.18 (64-bit) reads its 32-bit fields in 64 bits and cuts them without a range
// check; compat mode does the same, nested mode refuses what does not fit (protocol-decisions).
std::optional<uint32_t> parse_u32_field(const Line& line, std::string_view text) {
  return line.options.compat ? parse_u32_truncating(text) : parse_u32(text);
}

std::optional<int32_t> parse_i32_field(const Line& line, std::string_view text) {
  return line.options.compat ? parse_i32_truncating(text) : parse_i32(text);
}

// Strips a trailing "noreply" into the command; returns the number of tokens left.
std::size_t take_noreply(const Tokens& tokens, std::size_t min_left, Command& command) {
  std::size_t n = tokens.size();
  if (n > min_left && tokens[n - 1] == "noreply") {
    command.noreply = true;
    --n;
  }
  return n;
}

KeyRules key_rules(const ParseOptions& options) {
  return KeyRules{options.separator, !options.compat, options.max_depth, options.max_segment};
}

// Fills command.path and command.key from tokens[first, last).
ParseResult take_path(const Line& line, std::size_t first, std::size_t last, Command& command) {
  const KeyRules rules = key_rules(line.options);
  const std::string_view* tokens = line.tokens.data();
  if (rules.separator == '\0') {
    // A segment per token (a getn's usual path): check them all, then copy them in one go, which
    // costs less than a checked push_back each (~20 instructions per segment).
    const std::size_t depth = command.path.size();
    for (std::size_t i = first; i < last; ++i) {
      std::string_view detail;
      if (auto error = check_path_segment(tokens[i], rules, depth + (i - first), detail);
          error != ParseError::none) {
        return failure(error, line.size, detail);
      }
    }
    command.path.insert(command.path.end(), tokens + first, tokens + last);
  } else {
    for (std::size_t i = first; i < last; ++i) {
      std::string_view detail;
      if (auto error = append_key(tokens[i], rules, command.path, detail);
          error != ParseError::none) {
        return failure(error, line.size, detail);
      }
    }
  }
  if (last > first) {
    const char* begin = line.tokens[first].data();
    const std::string_view end_token = line.tokens[last - 1];
    command.key = std::string_view(begin, end_token.data() + end_token.size() - begin);
  }
  return outcome(ParseStatus::complete, line.size);
}

// Checks each key of a multi-key command and keeps its token for the engine.
ParseResult take_keys(const Line& line, std::size_t first, Command& command) {
  const KeyRules rules = key_rules(line.options);
  for (std::size_t i = first; i < line.tokens.size(); ++i) {
    std::string_view detail;
    if (auto error = check_key(line.tokens[i], rules, detail); error != ParseError::none) {
      return failure(error, line.size, detail);
    }
    command.keys.push_back(line.tokens[i]);
  }
  return outcome(ParseStatus::complete, line.size);
}

// get|gets <key>+; gat|gats <exptime> <key>+. memcached 1.6.18 reads gat's exptime before
// looking for keys, so in compat mode "gat x" is an exptime error and "gat 0" a get of no keys
// (END); nested mode holds to the grammar: no key is too few tokens.
ParseResult parse_get(const Line& line, bool touching, Command& command) {
  const std::size_t first_key = touching ? 2 : 1;
  const std::size_t min_tokens = line.options.compat ? 2 : first_key + 1;
  if (line.tokens.size() < min_tokens) return failure(ParseError::unknown_command, line.size);
  if (touching) {
    auto exptime = parse_i32_field(line, line.tokens[1]);
    if (!exptime) return failure(ParseError::invalid_exptime, line.size);
    command.exptime = *exptime;
  }
  return take_keys(line, first_key, command);
}

// getn/getns need a path; getch/gettree take an optional one (none = the root). A trailing
// noreply is the option here too, never a segment, so "getn a noreply" reads a and answers
// nothing (protocol-decisions; protocol.md 2.4).
ParseResult parse_node_read(const Line& line, bool needs_path, Command& command) {
  const std::size_t n = take_noreply(line.tokens, 1, command);
  if (needs_path && n < 2) return failure(ParseError::unknown_command, line.size);
  return take_path(line, 1, n, command);
}

// watchtree <revision> [<seg>*] [noreply]
ParseResult parse_revision_path(const Line& line, Command& command) {
  const std::size_t n = take_noreply(line.tokens, 1, command);
  if (n < 2) return failure(ParseError::unknown_command, line.size);
  const auto revision = parse_u64(line.tokens[1]);
  if (!revision) return failure(ParseError::bad_path, line.size, "invalid revision");
  command.cas_unique = *revision;
  return take_path(line, 2, n, command);
}

// set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]
// cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]
// The data block is not parsed here; see Parser::parse_line.
ParseResult parse_storage_line(const Line& line, bool is_cas, Command& command, int32_t& bytes) {
  const std::size_t numbers = is_cas ? 4 : 3;
  std::size_t n = line.tokens.size();
  std::size_t key_end;
  if (line.options.compat) {
    // memcached takes exactly one key; one extra token is accepted, and is noreply or ignored.
    // Like memcached's set_noreply_maybe, a last token "noreply" is the option even when it
    // stands where a number belongs: the number is then bad, and its error unsent.
    if (n != 2 + numbers && n != 3 + numbers)
      return failure(ParseError::unknown_command, line.size);
    command.noreply = line.tokens[n - 1] == "noreply";
    key_end = 2;
  } else {
    n = take_noreply(line.tokens, 1 + numbers, command);
    if (n < 2 + numbers) return failure(ParseError::unknown_command, line.size);
    key_end = n - numbers;
  }
  const std::size_t at = key_end;
  auto flags = parse_u32_field(line, line.tokens[at]);
  auto exptime = parse_i32_field(line, line.tokens[at + 1]);
  auto length = parse_i32_field(line, line.tokens[at + 2]);
  std::optional<uint64_t> cas_unique = is_cas ? parse_u64(line.tokens[at + 3]) : 0;
  // The key is checked first (memcached checks its length before the numbers).
  if (auto path = take_path(line, 1, key_end, command); path.status != ParseStatus::complete) {
    return path;
  }
  if (!flags || !exptime || !length || !cas_unique || *length < 0 || *length > INT32_MAX - 2) {
    return failure(ParseError::bad_format, line.size);
  }
  command.flags = *flags;
  command.exptime = *exptime;
  command.cas_unique = *cas_unique;
  bytes = *length;
  return outcome(ParseStatus::complete, line.size);
}

// incr|decr <key> <delta> [noreply]; touch <key> <exptime> [noreply]
ParseResult parse_key_and_number(const Line& line, bool is_exptime, Command& command) {
  std::size_t n = line.tokens.size();
  if (line.options.compat) {
    if (n != 3 && n != 4) return failure(ParseError::unknown_command, line.size);
    command.noreply = line.tokens[n - 1] == "noreply";  // "incr k noreply": a silent bad delta
    n = 3;
  } else {
    n = take_noreply(line.tokens, 2, command);
    if (n < 3) return failure(ParseError::unknown_command, line.size);
  }
  if (auto path = take_path(line, 1, n - 1, command); path.status != ParseStatus::complete) {
    return path;
  }
  const std::string_view number = line.tokens[n - 1];
  if (is_exptime) {
    auto exptime = parse_i32_field(line, number);
    if (!exptime) return failure(ParseError::invalid_exptime, line.size);
    command.exptime = *exptime;
  } else {
    auto delta = parse_u64(number);
    if (!delta) return failure(ParseError::invalid_delta, line.size);
    command.delta = *delta;
  }
  return outcome(ParseStatus::complete, line.size);
}

ParseResult parse_delete(const Line& line, Command& command) {
  const std::size_t n = line.tokens.size();
  if (n < 2) return failure(ParseError::unknown_command, line.size);
  if (!line.options.compat) {
    const std::size_t left = take_noreply(line.tokens, 1, command);
    if (left < 2) return failure(ParseError::unknown_command, line.size);  // "delete noreply"
    return take_path(line, 1, left, command);
  }
  // memcached: delete <key> [0] [noreply]; the legacy hold time must be 0.
  if (n > 4) return failure(ParseError::unknown_command, line.size);
  if (n > 2) {
    const bool hold_is_zero = line.tokens[2] == "0";
    command.noreply = line.tokens[n - 1] == "noreply";
    const bool valid = (n == 3 && (hold_is_zero || command.noreply)) ||
                       (n == 4 && hold_is_zero && command.noreply);
    if (!valid) return failure(ParseError::delete_usage, line.size);
  }
  return take_path(line, 1, 2, command);
}

// flush_all [delay] [noreply]
ParseResult parse_flush_all(const Line& line, Command& command) {
  const std::size_t n = line.tokens.size();
  if (n > 3) return failure(ParseError::unknown_command, line.size);
  command.noreply = n > 1 && line.tokens[n - 1] == "noreply";
  if (n == (command.noreply ? 2u : 1u)) return outcome(ParseStatus::complete, line.size);
  auto delay = parse_i32_field(line, line.tokens[1]);
  if (!delay) return failure(ParseError::invalid_exptime, line.size);
  command.delay = *delay;
  command.has_delay = true;
  return outcome(ParseStatus::complete, line.size);
}

// verbosity <level> [noreply] and cache_memlimit <megabytes> [noreply]: one 32-bit number, a
// third token ignored unless it is noreply. memcached 1.6.18 checks the number like any other,
// so "verbosity noreply" is a bad number whose error the noreply hides: no reply at all (older
// memcacheds answered ERROR). A bad number is `bad_number`: bad_format for verbosity, ERROR for
// cache_memlimit; the engine judges the range. The number goes to `field`.
ParseResult parse_admin_number(const Line& line, ParseError bad_number, uint32_t& field,
                               Command& command) {
  const std::size_t n = line.tokens.size();
  if (n != 2 && n != 3) return failure(ParseError::unknown_command, line.size);
  command.noreply = line.tokens[n - 1] == "noreply";
  auto number = parse_u32_field(line, line.tokens[1]);
  if (!number) return failure(bad_number, line.size);
  field = *number;
  return outcome(ParseStatus::complete, line.size);
}

// slabs|lru|lru_crawler <subcommand> <arg>*: the tokens go to the engine, which answers each
// subcommand (engine/memcached_admin_ops.cc). memcached reads a last `noreply` as the option on
// every lru line and on `slabs automove` lines, never on lru_crawler or `slabs reassign` lines
// (`lru_crawler crawl all noreply` is a wrong token count: ERROR). A bare name is ERROR.
ParseResult parse_subcommand(const Line& line, Verb verb, Command& command) {
  const Tokens& tokens = line.tokens;
  if (tokens.size() < 2) return failure(ParseError::unknown_command, line.size);
  const bool reads_noreply =
      verb == Verb::lru || (verb == Verb::slabs && tokens.size() >= 3 && tokens[1] == "automove");
  command.noreply = reads_noreply && tokens.back() == "noreply";
  command.args.assign(tokens.begin() + 1, tokens.end());
  return outcome(ParseStatus::complete, line.size);
}

// memcached 1.6.18 sends a line whose first byte is one of these to a group of its commands
// that answers ERROR when the name is not found there, before its HTTP check.
bool memcached_answers_error(std::string_view name) {
  return std::string_view("acdgist").find(name.front()) != std::string_view::npos;
}

}  // namespace

ParseResult Parser::parse(std::string_view input, Command& command) {
  wanted_ = 0;
  if (swallow_ > 0) {
    const std::size_t n = std::min(swallow_, input.size());
    if (n == 0) return outcome(ParseStatus::need_more, 0);
    swallow_ -= n;
    return outcome(ParseStatus::skipped, n);
  }
  if (input.empty()) return outcome(ParseStatus::need_more, 0);  // memchr wants a real pointer
  const char* newline = static_cast<const char*>(std::memchr(input.data(), '\n', input.size()));
  if (newline == nullptr) {
    if (input.size() > options_.max_line &&
        (!looks_like_get(input) || input.size() > options_.max_get_line)) {
      return outcome(ParseStatus::close, 0);
    }
    return outcome(ParseStatus::need_more, 0);
  }
  const std::size_t line_size = static_cast<std::size_t>(newline - input.data()) + 1;
  std::string_view line = input.substr(0, line_size - 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // memcached 1.6.18 tokenizes a line as a C string: it ends at its first NUL byte, and the rest
  // of the line is ignored (tests/compat/sessions/nul-in-line.txt). Nested mode keeps the whole
  // line, and a NUL in a key is a control character.
  if (options_.compat) line = line.substr(0, line.find('\0'));
  command.clear();
  return parse_line(line, line_size, input, command);
}

ParseResult Parser::parse_line(std::string_view text, std::size_t line_size, std::string_view input,
                               Command& command) {
  Tokens tokens;
  tokenize(text, tokens);
  const Line line{tokens, line_size, options_};
  if (tokens.empty()) return failure(ParseError::unknown_command, line_size);

  const auto verb = find_verb(tokens[0]);
  const CommandInfo* info = verb ? &command_info(*verb) : nullptr;
  if (info == nullptr || (info->modes == Modes::nested && options_.compat)) {
    // A browser talking HTTP to us: memcached hangs up without a word (in compat mode, only where
    // memcached gets as far as its HTTP check).
    if (tokens.back().starts_with("HTTP/") &&
        !(options_.compat && memcached_answers_error(tokens[0]))) {
      return outcome(ParseStatus::close, line_size);
    }
    return failure(ParseError::unknown_command, line_size);
  }
  command.verb = *verb;

  // One call site per function, so that each is inlined here (a call per request costs more
  // than the shape test).
  const Shape shape = info->shape;
  switch (shape) {
    case Shape::keys:
    case Shape::exptime_keys:
      return parse_get(line, shape == Shape::exptime_keys, command);
    case Shape::path:
    case Shape::optional_path:
      return parse_node_read(line, shape == Shape::path, command);
    case Shape::path_delta:
    case Shape::path_exptime:
      return parse_key_and_number(line, shape == Shape::path_exptime, command);
    case Shape::revision_path:
      return parse_revision_path(line, command);
    case Shape::delete_path:
      return parse_delete(line, command);
    case Shape::flush_delay:
      return parse_flush_all(line, command);
    case Shape::verbosity_level:
    case Shape::memlimit_megabytes: {
      const bool level = shape == Shape::verbosity_level;
      return parse_admin_number(line, level ? ParseError::bad_format : ParseError::unknown_command,
                                level ? command.level : command.megabytes, command);
    }
    case Shape::stats_group: {
      const std::size_t start =
          static_cast<std::size_t>(tokens[0].data() - text.data()) + tokens[0].size();
      command.stats_args = start < text.size() ? text.substr(start) : std::string_view{};
      return outcome(ParseStatus::complete, line_size);
    }
    case Shape::subcommand:
      return parse_subcommand(line, *verb, command);
    case Shape::none:
      return outcome(ParseStatus::complete, line_size);
    case Shape::meta:
    case Shape::meta_debug: {
      const MetaLineResult meta = parse_meta_line(tokens, options_, command);
      if (meta.error != ParseError::none) return failure(meta.error, line_size, meta.detail);
      return outcome(ParseStatus::complete, line_size);
    }
    case Shape::storage:
    case Shape::cas_storage:
    case Shape::meta_storage:
      break;  // below: the line, then its data block
  }

  int32_t bytes = 0;
  std::size_t key_size = 0;
  if (shape == Shape::meta_storage) {
    const MetaLineResult meta = parse_meta_line(tokens, options_, command);
    if (meta.error != ParseError::none) {
      // memcached discards the data block of an ms whose length it could read.
      if (meta.swallow) swallow_ = static_cast<std::size_t>(meta.bytes) + 2;
      return failure(meta.error, line_size, meta.detail);
    }
    bytes = meta.bytes;
    command.flags = command.meta.client_flags;
    key_size = command.meta.base64_key ? command.decoded_key.size() : command.key.size();
  } else {
    ParseResult result = parse_storage_line(line, shape == Shape::cas_storage, command, bytes);
    if (result.status != ParseStatus::complete) return result;
    key_size = command.key.size();
  }
  const std::size_t block = static_cast<std::size_t>(bytes) + 2;
  // -I limits the whole item as memcached counts it, key included: the key as sent (in nested
  // mode a path of several tokens counts from its first byte to its last, spaces included).
  if (memcached_item_size(key_size, command.flags, static_cast<std::size_t>(bytes)) >
      options_.max_item_size) {
    // Refuse before a byte of it is buffered: the block is discarded as it arrives.
    swallow_ = block;
    return failure(ParseError::too_large, line_size);
  }
  const std::size_t total = line_size + block;
  if (input.size() < total) {
    wanted_ = total;
    return outcome(ParseStatus::need_more, 0);
  }
  if (input.substr(line_size + bytes, 2) != "\r\n") {
    return failure(ParseError::bad_data_chunk, total);
  }
  command.data = input.substr(line_size, static_cast<std::size_t>(bytes));
  return outcome(ParseStatus::complete, total);
}

}  // namespace nestcache
