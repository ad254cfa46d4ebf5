// Replies the engine makes a part at a time (Engine::resume), one type per kind, each owning
// every byte it needs: the request's bytes may be reused as soon as the command has run.
//
// Lifetime: held by the session that began it, until its last part is made (it then holds
// std::monostate again). Each kind's step() is defined beside the command that begins it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "nestcache/protocol/command.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

class Engine;
class Counters;

// get gets gat gats: the keys not answered yet.
class MultiGetReply {
 public:
  // The keys of `command` from `next` on, copied.
  MultiGetReply(const Command& command, std::size_t next, int64_t deadline);
  // Answers the next keys (a bounded step); true after the last, which ends in END.
  bool step(Engine& engine, Counters& counters, std::string& out);

 private:
  Verb verb_;
  int64_t deadline_;  // gat gats: the new absolute deadline
  std::string keys_;  // the keys left, each followed by one space (keys hold no spaces)
  std::size_t next_ = 0;
};

// gettree and dumptree: the walked node's path and how far the walk has got.
class SubtreeReply {
 public:
  // `dump`: dumptree's NODE lines (exptime and cas unique too) instead of VALUE lines.
  explicit SubtreeReply(const Path& root, bool dump = false)
      : root_(root.begin(), root.end()), dump_(dump) {}
  bool step(Engine& engine, Counters& counters, std::string& out);

 private:
  std::vector<std::string> root_;
  bool dump_ = false;
  WalkCursor cursor_;
  uint64_t values_ = 0;  // values sent so far: a hit or a miss for get_hits
};

// getch: the node's path and how far its children have been listed.
class ChildrenReply {
 public:
  explicit ChildrenReply(const Path& node) : node_(node.begin(), node.end()) {}
  bool step(Engine& engine, Counters& counters, std::string& out);

 private:
  std::vector<std::string> node_;
  WalkCursor cursor_;
};

// lru_crawler metadump: how far the walk of the tree has got.
class MetadumpReply {
 public:
  bool step(Engine& engine, Counters& counters, std::string& out);

 private:
  WalkCursor cursor_;
};

class Watch;

// watchtree: the watch that the connection streams from now on. The session takes it over
// (Session::feed) and never resumes it as a reply.
class WatchReply {
 public:
  explicit WatchReply(std::shared_ptr<Watch> watch) : watch_(std::move(watch)) {}
  bool step(Engine& engine, Counters& counters, std::string& out);
  std::shared_ptr<Watch>& watch() { return watch_; }

 private:
  std::shared_ptr<Watch> watch_;
};

// No reply pending (std::monostate), or the rest of one.
using LongReply = std::variant<std::monostate, MultiGetReply, SubtreeReply, ChildrenReply,
                               MetadumpReply, WatchReply>;

inline bool pending(const LongReply& reply) {
  return !std::holds_alternative<std::monostate>(reply);
}

}  // namespace nestcache
