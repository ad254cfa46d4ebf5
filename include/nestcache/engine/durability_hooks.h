// What the engine asks of a journal (--data-dir), without knowing one: whether a change may be
// applied, and the persist_* figures for `stats`. The durability module implements it; without
// --data-dir the engine has none and asks nothing (one null check per write).
#pragma once

#include <cstddef>

#include "nestcache/common/path.h"

namespace nestcache {

class Composer;

class DurabilityHooks {
 public:
  virtual ~DurabilityHooks() = default;
  // Asked before a change is applied: `path` is the change's (nullptr for one that is not of
  // one path: flush_all, cache_memlimit, gat), `bytes` about what its record takes. False when
  // the journal cannot take it now (the disk is full): the command then changes nothing and
  // answers SERVER_ERROR out of disk space. Any thread.
  virtual bool admit(const Path* path, std::size_t bytes) = 0;
  // `snapshot`: asks for a snapshot to be taken soon, in the background. Any thread.
  virtual void request_snapshot() = 0;
  // Appends the persist_* lines of `stats`. Any thread.
  virtual void stats(Composer& reply) const = 0;
};

}  // namespace nestcache
