// Replies to bytes: appends memcached's exact wire texts to an output buffer (a session's caller
// keeps one per batch of pipelined requests, so a batch leaves in one write).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nestcache/common/path.h"
#include "nestcache/protocol/command.h"
#include "nestcache/protocol/parser.h"

namespace nestcache {

enum class Reply : uint8_t {
  stored,
  not_stored,
  exists,
  not_found,
  deleted,
  touched,
  ok,
  end,
  reset,
  error,                  // ERROR
  out_of_memory_storing,  // SERVER_ERROR out of memory storing object
  out_of_disk_space,      // SERVER_ERROR out of disk space (--data-dir: the journal is full)
  needs_data_dir,         // CLIENT_ERROR snapshot needs --data-dir
  non_numeric,            // CLIENT_ERROR cannot increment or decrement non-numeric value
  memlimit_too_small,     // MEMLIMIT_TOO_SMALL ... (cache_memlimit under 8 MB)
  memlimit_not_bytes,     // MEMLIMIT_ADJUST_FAILED ... (cache_memlimit over 10^9 MB)
  illegal_slab_id,        // CLIENT_ERROR Illegal slab id (stats cachedump)
  // memcached's tuning commands (slabs, lru, lru_crawler), each with memcached's text.
  slabs_same,                // SAME src and dst class are identical
  slabs_bad_class,           // BADCLASS invalid src or dst class id
  slabs_no_spare,            // NOSPARE source class has no spare pages
  lru_pcts_too_high,         // ERROR hot and warm pcts must not exceed 80
  lru_factors_not_positive,  // ERROR hot/warm age factors must be greater than 0
  crawler_disabled,          // CLIENT_ERROR lru crawler disabled
  crawler_bad_class,         // BADCLASS invalid class id
  crawler_not_started,       // NOTSTARTED no items to crawl
  crawler_error,             // ERROR an unknown error happened
  crawler_start_failed,      // ERROR failed to start lru crawler thread
  crawler_sleep_too_long,    // CLIENT_ERROR sleep must be one second or less
};

// One item of `lru_crawler metadump`, in memcached's terms.
struct MetadumpItem {
  int64_t exptime = 0;      // absolute Unix time; 0 = never (sent as -1)
  int64_t last_access = 0;  // Unix time
  uint64_t cas = 0;
  bool fetched = false;
  uint32_t slab_class = 0;
  uint64_t size = 0;  // memcached's item size (item_size.h)
};

// The status codes of the meta commands.
enum class MetaCode : uint8_t { va, hd, en, ns, ex, nf, mn };

class Composer {
 public:
  explicit Composer(std::string& out) : out_(out) {}

  void reply(Reply reply);
  void error(ParseError error, std::string_view detail = {});
  // CLIENT_ERROR <detail>, for an extension's precise complaint.
  void client_error(std::string_view detail);

  // VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n
  void value(std::string_view key, uint32_t flags, std::string_view data,
             std::optional<uint64_t> cas = std::nullopt);
  // The same with a key of several tokens or segments (KeyTokens and Path are one type),
  // joined by `joiner`.
  void value(const Path& key, char joiner, uint32_t flags, std::string_view data,
             std::optional<uint64_t> cas = std::nullopt);

  void number(uint64_t value);        // incr/decr result
  void child(std::string_view name);  // CHILD <name>
  // ITEM <key> [<bytes> b; <exptime> s] (stats cachedump), the key's segments joined by `joiner`.
  void item(const Path& key, char joiner, uint64_t bytes, int64_t exptime);
  // key=<key> exp=<exp> la=<la> cas=<cas> fetch=<yes|no> cls=<id> size=<n>\n (memcached's
  // metadump line; it ends in "\n" alone), the key's segments joined by `joiner` and
  // URI-encoded as memcached encodes them: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX.
  void metadump_item(const Path& key, char joiner, const MetadumpItem& item);
  void stat(std::string_view name, std::string_view value);
  void stat(std::string_view name, uint64_t value);
  void version(std::string_view version);  // VERSION <v>
  void line(std::string_view text);        // free text + \r\n (help)

  // Meta replies: meta_begin(code) (VA takes the value's length), then the return flags in the
  // order asked, then meta_end(); after VA, meta_data(value).
  void meta_begin(MetaCode code, std::size_t length = 0);
  void meta_flag(char flag, uint64_t value);         // " <flag><value>"
  void meta_flag_signed(char flag, int64_t value);   // " <flag><value>", a ttl of -1
  void meta_mark(char flag);                         // " <flag>" (W X Z)
  void meta_token(std::string_view token);           // " <token>" (an opaque, as sent)
  void meta_key(std::string_view key, bool base64);  // " k<key>", and " b" for a base64 key
  void meta_end();
  void meta_data(std::string_view data);  // <data>\r\n
  // ME <key> exp=<exp> la=<la> cas=<cas> fetch=<yes|no> cls=<id> size=<n>\r\n (memcached's me)
  void meta_debug(std::string_view key, const MetadumpItem& item, int64_t exp);

  std::size_t size() const { return out_.size(); }
  // Drops everything appended after `mark` (noreply).
  void truncate(std::size_t mark) { out_.resize(mark); }

 private:
  void key_then_fields(uint32_t flags, std::string_view data, std::optional<uint64_t> cas);

  std::string& out_;
};

}  // namespace nestcache
