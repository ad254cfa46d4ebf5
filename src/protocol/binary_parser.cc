// Binary framing and the per-opcode shape rules. memcached 1.6.18's try_read_command_binary and
// dispatch_bin_command are the reference for every check, its order, and what is consumed;
// tests/compat/binary_diff.py holds us to the real server.
#include "nestcache/protocol/binary_parser.h"

#include <algorithm>

#include "nestcache/common/item_size.h"
#include "nestcache/protocol/path_args.h"

namespace nestcache {
namespace {

using binary::Opcode;

ParseResult outcome(ParseStatus status, std::size_t consumed) {
  return ParseResult{status, consumed, ParseError::none, {}};
}

ParseResult failure(ParseError error, std::size_t consumed, std::string_view detail = {}) {
  return ParseResult{ParseStatus::error, consumed, error, detail};
}

// The command a quiet opcode is the quiet form of; any other opcode is itself.
Opcode loud(Opcode op, bool& quiet) {
  quiet = true;
  switch (op) {
    case Opcode::setq:
      return Opcode::set;
    case Opcode::addq:
      return Opcode::add;
    case Opcode::replaceq:
      return Opcode::replace;
    case Opcode::deleteq:
      return Opcode::del;
    case Opcode::incrementq:
      return Opcode::increment;
    case Opcode::decrementq:
      return Opcode::decrement;
    case Opcode::quitq:
      return Opcode::quit;
    case Opcode::flushq:
      return Opcode::flush;
    case Opcode::appendq:
      return Opcode::append;
    case Opcode::prependq:
      return Opcode::prepend;
    case Opcode::getq:
      return Opcode::get;
    case Opcode::getkq:
      return Opcode::getk;
    case Opcode::gatq:
      return Opcode::gat;
    case Opcode::gatkq:
      return Opcode::gatk;
    default:
      quiet = false;
      return op;
  }
}

// What memcached's dispatch requires of each opcode's lengths; false is its protocol error
// (Invalid arguments, then the connection is closed). An opcode it does not serve is
// `known = false`.
bool well_formed(Opcode op, const binary::Header& h, bool& known) {
  known = true;
  const bool bare = h.extlen == 0 && h.keylen == 0 && h.bodylen == 0;
  switch (op) {
    case Opcode::version:
    case Opcode::noop:
    case Opcode::quit:
    case Opcode::sasl_list_mechs:
      return bare;
    case Opcode::flush:
      return h.keylen == 0 && h.bodylen == h.extlen && (h.extlen == 0 || h.extlen == 4);
    case Opcode::set:
    case Opcode::add:
    case Opcode::replace:
      return h.extlen == 8 && h.keylen != 0 && h.bodylen >= uint32_t{h.keylen} + 8;
    case Opcode::get:
    case Opcode::getk:
      return h.extlen == 0 && h.bodylen == h.keylen && h.keylen > 0;
    case Opcode::del:
      return h.keylen > 0 && h.extlen == 0 && h.bodylen == h.keylen;
    case Opcode::increment:
    case Opcode::decrement:
      return h.keylen > 0 && h.extlen == 20 && h.bodylen == uint32_t{h.keylen} + h.extlen;
    case Opcode::append:
    case Opcode::prepend:
      return h.keylen > 0 && h.extlen == 0;
    case Opcode::stat:
      return h.extlen == 0;
    case Opcode::sasl_auth:
    case Opcode::sasl_step:
      return h.extlen == 0 && h.keylen != 0;
    case Opcode::touch:
    case Opcode::gat:
    case Opcode::gatk:
      return h.extlen == 4 && h.keylen != 0;
    default:
      known = false;
      return true;
  }
}

// The Verb a binary command runs as (the engine's counters and the too-large rule read it).
Verb verb_of(Opcode op) {
  switch (op) {
    case Opcode::set:
      return Verb::set;
    case Opcode::add:
      return Verb::add;
    case Opcode::replace:
      return Verb::replace;
    case Opcode::append:
      return Verb::append;
    case Opcode::prepend:
      return Verb::prepend;
    case Opcode::del:
      return Verb::del;
    case Opcode::increment:
      return Verb::incr;
    case Opcode::decrement:
      return Verb::decr;
    case Opcode::touch:
      return Verb::touch;
    case Opcode::gat:
    case Opcode::gatk:
      return Verb::gat;
    case Opcode::flush:
      return Verb::flush_all;
    case Opcode::stat:
      return Verb::stats;
    case Opcode::version:
      return Verb::version;
    case Opcode::quit:
      return Verb::quit;
    case Opcode::noop:
      return Verb::mn;
    default:
      return Verb::get;
  }
}

bool has_path(Opcode op) {
  switch (op) {
    case Opcode::get:
    case Opcode::getk:
    case Opcode::set:
    case Opcode::add:
    case Opcode::replace:
    case Opcode::append:
    case Opcode::prepend:
    case Opcode::del:
    case Opcode::increment:
    case Opcode::decrement:
    case Opcode::touch:
    case Opcode::gat:
    case Opcode::gatk:
      return true;
    default:
      return false;
  }
}

}  // namespace

ParseResult BinaryParser::parse(std::string_view input, BinaryRequest& request, Command& command) {
  wanted_ = 0;
  if (swallow_ > 0) {
    const std::size_t n = std::min(swallow_, input.size());
    if (n == 0) return outcome(ParseStatus::need_more, 0);
    swallow_ -= n;
    return outcome(ParseStatus::skipped, n);
  }
  // wanted() is set only while a value arrives, as the text parser's for a data block: the
  // connection's idle timeout spares a client in the middle of a value and no one else.
  if (input.size() < binary::kHeaderSize) {
    // memcached decides on the magic once the whole header is in: so do we.
    return outcome(ParseStatus::need_more, 0);
  }
  const binary::Header h = binary::decode_header(input.data());
  if (h.magic != binary::kRequestMagic) return outcome(ParseStatus::close, 0);
  // Extras and key are read before anything is checked (at most 255 + 65535 bytes).
  const std::size_t head = binary::kHeaderSize + h.extlen + h.keylen;
  if (input.size() < head) return outcome(ParseStatus::need_more, 0);
  const char* extras = input.data() + binary::kHeaderSize;
  request = BinaryRequest{};
  request.opcode = static_cast<Opcode>(h.opcode);
  request.base = loud(request.opcode, request.quiet);
  request.opaque = h.opaque;
  request.cas = h.cas;
  request.key = input.substr(binary::kHeaderSize + h.extlen, h.keylen);
  command.clear();
  const Opcode op = request.base;
  command.verb = verb_of(op);

  if (h.keylen > h.bodylen || uint64_t{h.keylen} + h.extlen > h.bodylen) {
    request.close_after_reply = true;
    return failure(ParseError::unknown_command, head);
  }
  if (h.keylen > binary::kMaxKeyLength) {
    request.close_after_reply = true;
    return failure(ParseError::bad_format, head);
  }
  bool known = true;
  if (!well_formed(op, h, known)) {
    request.close_after_reply = true;
    return failure(ParseError::bad_format, head);
  }
  if (!known || op == Opcode::sasl_list_mechs || op == Opcode::sasl_auth ||
      op == Opcode::sasl_step) {
    // Without SASL memcached answers Unknown command and discards the body: for an opcode it
    // does not know, a body's worth after the extras and key (which it has read already); for
    // the SASL opcodes, the body after the key.
    swallow_ = known ? h.bodylen - h.keylen : h.bodylen;
    return failure(ParseError::unknown_command, head);
  }

  std::string_view path_detail;
  ParseError path_error = ParseError::none;
  if (has_path(op)) {
    // One key, as in the meta commands: split on --key-separator, else one segment; any bytes.
    const KeyRules rules{options_.separator, false, options_.max_depth, options_.max_segment};
    path_error = append_key(request.key, rules, command.path, path_detail);
    command.key = request.key;
  }

  switch (op) {
    case Opcode::set:
    case Opcode::add:
    case Opcode::replace:
    case Opcode::append:
    case Opcode::prepend: {
      const bool with_extras = h.extlen == 8;
      if (with_extras) {
        command.flags = binary::load32(extras);
        command.exptime = binary::load32(extras + 4);
      }
      const std::size_t length = h.bodylen - h.keylen - h.extlen;
      if (memcached_item_size(h.keylen, command.flags, length) > options_.max_item_size) {
        // Refused before a byte of the value is buffered; the value is discarded as it comes.
        swallow_ = length;
        if (path_error != ParseError::none) command.path.clear();
        return failure(ParseError::too_large, head);
      }
      const std::size_t total = head + length;
      if (input.size() < total) {
        wanted_ = total;
        return outcome(ParseStatus::need_more, 0);
      }
      if (path_error != ParseError::none) return failure(path_error, total, path_detail);
      command.data = input.substr(head, length);
      command.cas_unique = h.cas;
      return outcome(ParseStatus::complete, total);
    }
    case Opcode::increment:
    case Opcode::decrement:
      command.delta = binary::load64(extras);
      request.initial = binary::load64(extras + 8);
      request.expiration = binary::load32(extras + 16);
      break;
    case Opcode::touch:
    case Opcode::gat:
    case Opcode::gatk:
    case Opcode::flush:
      if (h.extlen == 4) request.expiration = binary::load32(extras);
      command.exptime = request.expiration;
      break;
    default:
      break;
  }
  if (path_error != ParseError::none) return failure(path_error, head, path_detail);
  command.cas_unique = h.cas;
  return outcome(ParseStatus::complete, head);
}

}  // namespace nestcache
