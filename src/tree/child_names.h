// One sorted stream of a node's child names, read ahead a batch at a time: what a reply made a
// part at a time (gettree's Tree::walk_step, getch's Tree::children_step) holds between steps,
// so that a node with a million children is not scanned again at every step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <absl/functional/function_ref.h>

#include "kids.h"
#include "nestcache/common/path.h"

namespace nestcache {

// The names of the children of one node (or of the top level), in name order: the next
// kReadAhead of them are held, and read again from where they end once they run out. A child
// added meanwhile in a range already read is not seen; one removed is skipped by the caller,
// who looks each name up when its turn comes. Guarded by whoever holds it (a WalkCursor); the
// node's own fields are read only under its shard's lock, in ready_in_table.
class ChildNames {
 public:
  // A node with more children than this is "wide": a resumed reply reads its names ahead
  // instead of scanning all its children at every step. A wide node of n children is then
  // scanned about n / kReadAhead times in a whole walk, not n / budget times, and the names
  // held stay under about a megabyte per wide level (two while a scan for the next ones is
  // under way: the last names read stay until it ends, the scan starts after them).
  static constexpr std::size_t kWide = 1024;
  static constexpr std::size_t kReadAhead = 16384;
  // A scan for the next names looks at this many slots of the wide node's hash table per step
  // (about a millisecond: each live slot is a child's Entry to load), so that a node with 400k
  // children holds its namespace's lock for about that long per step, not for the 40-80 ms of a
  // whole scan. A scan that had to start over this many times (the table kept changing) is
  // finished in one go. Pinned by WalkStepTest and ChildNamesTest.
  static constexpr std::size_t kScanSlots = 8192;
  static constexpr int kScanRestarts = 2;

  enum class Ready : uint8_t {
    name,   // peek() / take() give the next name
    end,    // no name comes after the position
    pause,  // a slice of a scan was made; the names come in a later call
  };

  // Makes this the stream of the node at `owner`: the names held for another node are dropped.
  void own(const Path& owner);

  // Moves past the names up to `after` (all when null), then, when the names held have run
  // out, makes one slice of a scan of `kids` (the owner's hash table, under its shard's lock)
  // for the next ones. The scan starts over when `slot_moves` (Tree::Shard::slot_moves) or the
  // table changed since its last slice.
  Ready ready_in_table(const Kids& kids, const std::string* after, uint64_t slot_moves,
                       int64_t now);
  // Moves past the names before `after` (up to it unless `inclusive`; none when null), then,
  // when the names held have run out, reads the next kReadAhead in one go with
  // gather(start, start_inclusive, limit): the live names from `start` on, in order.
  using Gather = absl::FunctionRef<std::vector<std::string>(
      const std::string* start, bool start_inclusive, std::size_t limit)>;
  Ready ready_from(const std::string* after, bool inclusive, Gather gather);

  // The next name; requires that the last ready call gave Ready::name.
  const std::string& peek() const { return names_[next_]; }
  // The next name, moving past it.
  std::string take() { return names_[next_++]; }
  void skip() { ++next_; }

  // The stream holds every name left to come, no more than kWide of them.
  bool short_and_complete() const { return complete_ && names_.size() <= kWide; }

 private:
  // A scan of a wide node's hash table made a slice at a time (each under the lock, which is
  // let go of in between): how far it has got.
  struct TableScan {
    const Kids* table = nullptr;  // nullptr: no scan under way
    std::string after;            // only names after this one (all when !has_after)
    bool has_after = false;
    std::size_t slot = 0;      // the next slot to look at
    std::size_t capacity = 0;  // the table's slot count when the scan began
    uint64_t moves = 0;        // the shard's slot moves then
    int restarts = 0;
    std::vector<std::string> best;  // a max-heap of the smallest names seen so far
  };

  void skip_to(const std::string* after, bool inclusive);
  // Where the next names start: after the last held, or at `after` when that is further on.
  // Returns the start (nullptr: from the first) and sets `inclusive`; `last` holds a copy.
  const std::string* next_start(const std::string* after, bool& inclusive, std::string& last);
  // Takes `names` as the next ones; fewer than kReadAhead means they are the last.
  Ready accept(std::vector<std::string> names);
  // One slice of the scan; true when it is complete and its names accepted.
  bool scan_slice(const Kids& kids, const std::string* start, uint64_t slot_moves, int64_t now);

  std::vector<std::string> owner_;  // the node's full path
  std::vector<std::string> names_;
  std::size_t next_ = 0;   // names_[next_...] are still to come
  bool complete_ = false;  // nothing comes after names_
  TableScan scan_;
};

}  // namespace nestcache
