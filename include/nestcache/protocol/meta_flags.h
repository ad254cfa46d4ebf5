// The flags of a meta command line (mg ms md ma), as memcached 1.6.18 reads them: one token per
// flag, its first byte naming it and the rest its argument. Plain data and one pure function, so
// the flag rules can be tested (tests/protocol/meta_flags_test.cc) and fuzzed alone.
#pragma once

#include <cstdint>
#include <string_view>

namespace nestcache {

// memcached's MFLAG_MAX_OPT_LENGTH: a meta line of more tokens than this (the name and the key
// counted, and one more) is refused; and MFLAG_MAX_OPAQUE_LENGTH, an O token's longest.
inline constexpr std::size_t kMetaMaxTokens = 20;
inline constexpr std::size_t kMetaMaxOpaque = 32;

struct MetaFlags {
  bool base64_key = false;   // b: the key token is base64
  bool value = false;        // v: return the value
  bool quiet = false;        // q: hide the nominal reply
  bool no_bump = false;      // u: do not mark the value read
  bool invalidate = false;   // I
  bool vivify = false;       // N<ttl>: create on a miss
  bool has_ttl = false;      // T<ttl>
  bool has_recache = false;  // R<ttl>
  bool has_cas = false;      // C<cas>
  char mode = '\0';          // M<mode>
  int32_t ttl = 0;
  int32_t vivify_ttl = 0;
  int32_t recache_ttl = 0;
  uint32_t client_flags = 0;  // F<flags>
  uint64_t cas = 0;
  uint64_t delta = 1;    // D<delta> (ma)
  uint64_t initial = 0;  // J<initial> (ma)
};

// The outcome of reading the flag tokens; `error` is the text after "CLIENT_ERROR " or empty.
// `duplicate_or_unknown` tells a duplicate or unknown flag from a bad argument (md and ma
// answer "invalid or duplicate flag" for any error of this step, mg and ms the text itself).
struct MetaFlagsResult {
  std::string_view error;
  bool stopped = false;  // a duplicate or unknown flag ended the reading at once
};

// Reads `flags` (the tokens after the key, or after ms's length) into `out`, every flag memcached
// 1.6.18 knows accepted by every meta command; P and L (proxy hints) and O are taken and
// ignored here. Argument errors do not stop the reading (memcached goes on, and reports the
// last); a duplicate or unknown flag does.
template <typename Tokens>
MetaFlagsResult parse_meta_flags(const Tokens& flags, MetaFlags& out);

// One token: the work of parse_meta_flags. `seen` has 128 entries, all false at first.
MetaFlagsResult parse_meta_flag(std::string_view token, bool* seen, MetaFlags& out,
                                std::string_view& error);

template <typename Tokens>
MetaFlagsResult parse_meta_flags(const Tokens& flags, MetaFlags& out) {
  bool seen[128] = {};
  std::string_view error;
  for (const std::string_view token : flags) {
    MetaFlagsResult step = parse_meta_flag(token, seen, out, error);
    if (step.stopped) return step;
  }
  return MetaFlagsResult{error, false};
}

}  // namespace nestcache
