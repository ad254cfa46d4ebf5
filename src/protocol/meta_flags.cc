// memcached 1.6.18's _meta_flag_preparse, rule for rule (the texts are its own).
#include "nestcache/protocol/meta_flags.h"

#include "nestcache/common/numbers.h"

namespace nestcache {

MetaFlagsResult parse_meta_flag(std::string_view token, bool* seen, MetaFlags& out,
                                std::string_view& error) {
  const auto letter = static_cast<unsigned char>(token.front());
  if (letter >= 127 || seen[letter]) return MetaFlagsResult{"duplicate flag", true};
  seen[letter] = true;
  const std::string_view arg = token.substr(1);
  constexpr std::string_view kBadToken = "bad token in command line format";
  auto ttl = [&](int32_t& field) {
    if (auto number = parse_i32(arg)) {
      field = *number;
      return true;
    }
    error = kBadToken;
    return false;
  };
  switch (letter) {
    case 'b':
      out.base64_key = true;  // decoded by the caller, which owns the key
      break;
    case 'N':
      out.vivify = true;
      ttl(out.vivify_ttl);
      break;
    case 'T':
      if (ttl(out.ttl)) out.has_ttl = true;
      break;
    case 'R':
      if (ttl(out.recache_ttl)) out.has_recache = true;
      break;
    case 'O':
    case 'P':
    case 'L':
    case 'k':
    case 's':
    case 't':
    case 'c':
    case 'f':
    case 'l':
    case 'h':
      break;
    case 'v':
      out.value = true;
      break;
    case 'u':
      out.no_bump = true;
      break;
    case 'q':
      out.quiet = true;
      break;
    case 'I':
      out.invalidate = true;
      break;
    case 'F':
      if (auto number = parse_u32(arg)) {
        out.client_flags = *number;
      } else if (error.empty()) {
        error = "bad command line format";  // memcached sets no text of its own here
      }
      break;
    case 'C':
      if (auto number = parse_u64(arg)) {
        out.cas = *number;
        out.has_cas = true;
      } else {
        error = kBadToken;
      }
      break;
    case 'M':
      if (token.size() != 2) {
        error = "incorrect length for M token";
      } else {
        out.mode = token[1];
      }
      break;
    case 'J':
      if (auto number = parse_u64(arg)) {
        out.initial = *number;
      } else {
        error = "invalid numeric initial value";
      }
      break;
    case 'D':
      if (auto number = parse_u64(arg)) {
        out.delta = *number;
      } else {
        error = "invalid numeric delta value";
      }
      break;
    default:
      return MetaFlagsResult{"invalid flag", true};
  }
  return MetaFlagsResult{};
}

}  // namespace nestcache
