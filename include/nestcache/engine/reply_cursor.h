// A reply the engine could not finish in one step, and what it needs to go on (Engine::resume).
//
// Lifetime: owned by the connection, one per connection, reused from request to request. A
// pending multi-get keeps views of its keys into the request's bytes, so the connection must
// keep those bytes in place until the cursor is no longer pending; a pending gettree owns its
// paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nestcache/protocol/command.h"
#include "nestcache/tree/tree.h"

namespace nestcache {

class ReplyCursor {
 public:
  // True while the last reply begun with this cursor has more to come.
  bool pending() const { return kind_ != Kind::none; }

 private:
  friend class Engine;
  enum class Kind : uint8_t { none, keys, tree, children };

  // gettree and getch: a reply about the node at `path`, from its start.
  void begin_node_reply(Kind kind, const Command& command) {
    kind_ = kind;
    verb_ = command.verb;
    noreply_ = command.noreply;
    root_.assign(command.path.begin(), command.path.end());
    position_.clear();
    values_ = 0;
  }
  // Its last part is made: nothing pending, and what the walk held is given back.
  void end_node_reply() {
    kind_ = Kind::none;
    std::vector<std::string>().swap(root_);
    position_ = WalkCursor();
  }

  Kind kind_ = Kind::none;
  Verb verb_ = Verb::get;
  bool noreply_ = false;
  // get gets gat gats: the keys (views into the request's bytes) and the next one to answer.
  KeyTokens keys_;
  std::size_t next_key_ = 0;
  int64_t exptime_ = 0;  // gat gats: the new absolute deadline
  // gettree: the walked node's path and the last node looked at, and how many values so far;
  // getch: the node's path and the last child name listed.
  std::vector<std::string> root_;
  WalkCursor position_;
  uint64_t values_ = 0;
};

}  // namespace nestcache
