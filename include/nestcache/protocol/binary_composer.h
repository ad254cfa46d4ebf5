// Binary replies to bytes: memcached 1.6.18's reply packets (header, extras, key, body),
// appended to the same output buffer the text composer writes to. Every packet answers one
// request and carries its opcode (a quiet opcode as sent) and its opaque.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nestcache/protocol/binary_header.h"
#include "nestcache/protocol/binary_parser.h"

namespace nestcache {

class BinaryComposer {
 public:
  // `request` must outlive the composer.
  BinaryComposer(std::string& out, const BinaryRequest& request) : out_(out), request_(request) {}

  // Success with no body (a store's new cas; 0 for delete, flush, noop, quit).
  void success(uint64_t cas = 0);
  // A hit: the flags as extras, then `key` (getk, gatk; empty otherwise) and `data`.
  void value(uint32_t flags, std::string_view key, std::string_view data, uint64_t cas);
  // incr/decr: the new value as 8 bytes.
  void number(uint64_t value, uint64_t cas);
  // Success with a text body (version).
  void text(std::string_view body);
  // An error with memcached's text for `status`, or `text` when given.
  void error(binary::Status status, std::string_view text = {});
  // ENOMEM with memcached's text for a store that found no memory (`new_item`: incr/decr's
  // initial value), or nestcache's for a journal whose disk is full (--data-dir).
  enum class NoRoom : uint8_t { item, new_item, disk };
  void no_room(NoRoom what);
  // getk's miss: key_not_found with the key and no text.
  void miss_with_key(std::string_view key);
  // One stat packet (the name as key, the value as body); stats_end() is the empty one that
  // ends a stat reply.
  void stat(std::string_view name, std::string_view value);
  void stats_end() { stat({}, {}); }
  // A packet per `STAT <name> <value>\r\n` line of `lines` (the text stats reply, without its
  // END), so that one engine function makes the figures for both protocols.
  void stats_from_text(std::string_view lines);

 private:
  void header(binary::Status status, uint8_t extlen, std::size_t keylen, std::size_t bodylen,
              uint64_t cas);

  std::string& out_;
  const BinaryRequest& request_;
};

}  // namespace nestcache
