// The journal record for a change of the tree: the one mapping between the two vocabularies
// (change.h and persistence/record.h).
#pragma once

#include "nestcache/persistence/record.h"
#include "nestcache/tree/change.h"

namespace nestcache {

// A record viewing `change`'s path and value: valid while `change` is.
inline persistence::Record record_of(const Change& change) {
  using persistence::RecordKind;
  persistence::Record record;
  record.revision = change.cas;
  record.path = *change.path;
  switch (change.kind) {
    case ChangeKind::store:
      record.kind = RecordKind::store;
      record.data = change.value.data;
      record.flags = change.value.flags;
      record.exptime = change.value.exptime;
      break;
    case ChangeKind::touch:
      record.kind = RecordKind::touch;
      record.exptime = change.exptime;
      break;
    case ChangeKind::remove:
      record.kind = RecordKind::remove;
      break;
    case ChangeKind::remove_value:
    case ChangeKind::evict:  // the value went to make room; the node stays while it has children
      record.kind = RecordKind::remove_value;
      break;
    case ChangeKind::expire:
      record.kind = RecordKind::expire;
      break;
    case ChangeKind::flush:
      record.kind = RecordKind::flush;
      record.flush_at = change.time;
      break;
    case ChangeKind::flush_pending:
      record.kind = RecordKind::flush_pending;
      record.flush_at = change.time;
      break;
    case ChangeKind::graft:
      record.kind = RecordKind::graft;
      record.data = change.staged;
      record.exptime = change.exptime;
      break;
    case ChangeKind::memory_limit:
      record.kind = RecordKind::memory_limit;
      record.memory_limit = change.memory_limit;
      break;
    case ChangeKind::unused:  // never journaled (Durability::on_change)
      break;
  }
  return record;
}

}  // namespace nestcache
