// A small client for nestcached (and memcached): requests by path, replies read in order, and
// pipelining (queue many requests, then read their replies one by one). Used by nestcache-cli,
// the examples and the tests; C++ programs can embed it (library nestcache_client).
//
// Lifetime: a Client owns its Connection. Not thread-safe: one thread per Client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nestcache/client/connection.h"
#include "nestcache/client/path.h"
#include "nestcache/client/reply_reader.h"
#include "nestcache/client/watch_reader.h"

namespace nestcache::client {

// One value as a reply carries it.
struct Item {
  Segments path;  // the full path (gettree, dumptree) or the path asked for (get)
  uint32_t flags = 0;
  int64_t exptime = 0;  // absolute Unix time, 0 = never (dumptree only)
  uint64_t cas = 0;     // gets/getns/dumptree only
  std::string data;
};

// A whole reply: its last line (the status) and what came before it.
struct Reply {
  LineKind kind = LineKind::other;  // of the last line
  std::string line;                 // the last line, e.g. "STORED", "CLIENT_ERROR path too deep"
  std::vector<Item> items;          // VALUE blocks
  std::vector<std::string> lines;   // CHILD names, or STAT "name value" lines
  bool is_error() const {
    return kind == LineKind::error || kind == LineKind::client_error ||
           kind == LineKind::server_error;
  }
};

// What a reply's VALUE lines carry besides flags and bytes.
enum class ValueShape { plain, with_cas };

class Client {
 public:
  explicit Client(Connection connection, ReaderLimits limits = {});

  Connection& connection() { return connection_; }
  // The server's mode (nested / compat, key separator, limits), asked once with `stats settings`.
  const ServerMode& mode();
  // Uses `mode` instead of asking (a server that lacks `stats settings`, or tests).
  void set_mode(const ServerMode& mode) { mode_ = mode; }

  // ---- one request, one reply ----
  // The value at `path` (getn, or getns `with_cas`), or nullopt on a miss.
  std::optional<Item> get(const Segments& path, bool with_cas = false);
  // set/add/...: `verb` with flags and exptime; the reply (STORED, NOT_STORED, an error ...).
  Reply store(std::string_view verb, const Segments& path, std::string_view data,
              uint32_t flags = 0, int64_t exptime = 0);
  // delete: DELETED or NOT_FOUND (or an error).
  Reply remove(const Segments& path);
  // getch: the child names, sorted.
  Reply children(const Segments& path);
  // stats [args]: the STAT lines as name -> value, in order.
  std::vector<std::pair<std::string, std::string>> stats(std::string_view args = {});
  // A raw request line (no "\r\n") and its reply.
  Reply call(std::string_view line, ValueShape shape = ValueShape::plain);

  // Streams the node at `path` and every valued node below it (gettree), calling `visit` per
  // value as it arrives: the reply is never held whole. Returns the reply's last line (END, or
  // an error).
  Reply walk(const Segments& path, const std::function<void(const Item&)>& visit);
  // The same with each value's exptime and cas unique (dumptree).
  Reply dump(const Segments& path, const std::function<void(const Item&)>& visit);

  // ---- pipelining ----
  // Queues request bytes (whole lines, data blocks included); they leave with flush() or when
  // the queue passes 64 KiB.
  void queue(std::string_view bytes);
  void flush();
  // Reads the next reply (flushing first). Replies come in request order.
  Reply read_reply(ValueShape shape = ValueShape::plain);
  // Reads one unit (a line, or a value with its data), flushing first; `visit` sees it before
  // its bytes are consumed. For replies that are not END-terminated lists (watchtree).
  void read_unit(bool with_cas, const std::function<void(const Unit&)>& visit);

  // ---- watches ----
  // Sends `watchtree <from> <path>` (0: from now). The connection is then the watch's stream:
  // read it with next_event(); nothing else can be asked on it.
  void watch(const Segments& path, uint64_t from);
  // Reads the stream's next line (WATCHING first, then events, and the line that ends it),
  // waiting up to `wait`; `visit` sees it before its bytes are consumed. False when nothing
  // complete came within `wait`. client::Error closed when the server closed the stream,
  // protocol when it sent something that is not a watch line.
  bool next_event(std::chrono::milliseconds wait,
                  const std::function<void(const WatchEvent&)>& visit);

  // The request line that names `path` for `verb` (e.g. "getn a b"), checked against the mode.
  std::string line_for(std::string_view verb, const Segments& path);

 private:
  Reply stream(std::string_view verb, const Segments& path, bool dump,
               const std::function<void(const Item&)>& visit);
  ReadStatus read_unit_from(std::string_view input, bool with_cas, Unit& unit,
                            std::size_t& consumed) const;

  Connection connection_;
  ReaderLimits limits_;
  std::optional<ServerMode> mode_;
  std::string out_;
};

// `data` as one storage request: "<verb> <path> <flags> <exptime> <bytes>\r\n<data>\r\n".
std::string store_request(std::string_view verb, std::string_view wire_path, std::string_view data,
                          uint32_t flags, int64_t exptime, bool noreply = false);

}  // namespace nestcache::client
