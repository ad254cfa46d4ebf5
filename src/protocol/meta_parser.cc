#include "meta_parser.h"

#include "nestcache/common/numbers.h"
#include "nestcache/protocol/base64.h"
#include "nestcache/protocol/path_args.h"

namespace nestcache {
namespace {

MetaLineResult error(ParseError kind, std::string_view detail = {}) {
  return MetaLineResult{kind, detail, 0, false};
}

MetaLineResult meta_error(std::string_view detail) {
  return MetaLineResult{ParseError::meta_error, detail, 0, false};
}

// The key token as a path: one segment, or its pieces on --key-separator. A base64 key's bytes
// may be anything (control bytes and spaces included), as in memcached.
ParseError take_meta_key(std::string_view key, bool binary, const ParseOptions& options,
                         Command& command, std::string_view& detail) {
  KeyRules rules{options.separator, !options.compat && !binary, options.max_depth,
                 options.max_segment};
  return append_key(binary ? std::string_view(command.decoded_key) : key, rules, command.path,
                    detail);
}

bool decode_key(std::string_view key, Command& command) {
  command.decoded_key.clear();
  return base64_decode(key, command.decoded_key);
}

// me <key> [b]: memcached answers its errors with "bad command line format" only.
MetaLineResult parse_me(std::span<const std::string_view> tokens, const ParseOptions& options,
                        Command& command) {
  if (tokens.size() < 2 || tokens[1].size() > kMaxSegmentLength) {
    return error(ParseError::bad_format);
  }
  command.key = tokens[1];
  const bool binary = tokens.size() >= 3 && tokens[2] == "b";
  if (binary && !decode_key(tokens[1], command)) return error(ParseError::bad_format);
  command.meta.base64_key = binary;
  std::string_view detail;
  if (auto kind = take_meta_key(tokens[1], binary, options, command, detail);
      kind != ParseError::none) {
    return error(kind, detail);
  }
  return {};
}

}  // namespace

MetaLineResult parse_meta_line(std::span<const std::string_view> tokens,
                               const ParseOptions& options, Command& command) {
  command.meta = MetaFlags{};  // not reset by Command::clear()
  command.decoded_key.clear();
  const Verb verb = command.verb;
  if (verb == Verb::me) return parse_me(tokens, options, command);
  if (tokens.size() < 2) return error(ParseError::unknown_command);  // memcached: ERROR
  const std::string_view key = tokens[1];
  if (key.size() > kMaxSegmentLength) return error(ParseError::bad_format);
  const bool is_set = verb == Verb::ms;
  if (is_set && tokens.size() == 2) return error(ParseError::bad_format);
  // memcached counts its terminal token too: at most 19 tokens are read.
  if (tokens.size() + 1 > kMetaMaxTokens) {
    return meta_error(verb == Verb::mg ? "options flags are too long" : "options flags too long");
  }
  MetaLineResult result;
  std::size_t first_flag = 2;
  if (is_set) {
    auto length = parse_i32(tokens[2]);
    if (!length || *length < 0 || *length > INT32_MAX - 2) return error(ParseError::bad_format);
    result.bytes = *length;
    result.swallow = true;  // from here on, an error still discards the block
    first_flag = 3;
  }
  const std::span<const std::string_view> flags = tokens.subspan(first_flag);
  MetaFlags& meta = command.meta;
  const MetaFlagsResult read = parse_meta_flags(flags, meta);
  std::string_view problem = read.error;
  if (!read.stopped && meta.base64_key && !decode_key(key, command) && problem.empty()) {
    problem = "error decoding key";
  }
  if (!problem.empty()) {
    // md and ma answer one text for any error of the flags (memcached's FIXME).
    result.error = ParseError::meta_error;
    result.detail = (verb == Verb::md || verb == Verb::ma) ? "invalid or duplicate flag" : problem;
    return result;
  }
  for (const std::string_view flag : flags) {
    if (flag.front() == 'O' && flag.size() > kMetaMaxOpaque) {
      result.error = ParseError::meta_error;
      result.detail = "opaque token too long";
      return result;
    }
  }
  if (is_set && meta.mode != '\0' &&
      std::string_view("EAPRS").find(meta.mode) == std::string_view::npos) {
    result.error = ParseError::meta_error;
    result.detail = "invalid mode for ms M token";
    return result;
  }
  if (verb == Verb::ma && meta.mode != '\0' &&
      std::string_view("I+D-").find(meta.mode) == std::string_view::npos) {
    return meta_error("invalid mode for ma M token");
  }
  command.key = key;
  std::string_view detail;
  if (auto kind = take_meta_key(key, meta.base64_key, options, command, detail);
      kind != ParseError::none) {
    result.error = kind;
    result.detail = detail;
    return result;
  }
  command.args.assign(flags.begin(), flags.end());
  result.swallow = false;
  return result;
}

}  // namespace nestcache
