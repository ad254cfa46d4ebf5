// The tree: the cache itself. Knows nothing of protocol text; every key is a Path.
//
// Concurrency: the tree is split into shards by the first segment of a path, so a whole namespace
// (a top-level node and everything below it) lives under one mutex. Every method is thread-safe.
// Visitors run while the shard's lock is held: they must be quick and must not call the tree.
//
// Lifetimes: a removed or expired subtree is detached in O(1) and handed to the shard's graveyard;
// collect() frees it in bounded batches (the Reclaimer calls it from a background thread), so
// deleting a namespace of millions of nodes never stalls other clients.
//
// Writes: update() is the one write primitive (memcached's store modes and incr/decr are rules
// over it, in the engine). Every change of the tree passes one observer point (change.h).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/functional/function_ref.h>

#include "nestcache/common/clock.h"
#include "nestcache/common/path.h"
#include "nestcache/common/slab_classes.h"
#include "nestcache/common/status.h"
#include "nestcache/tree/change.h"
#include "nestcache/tree/value.h"

namespace nestcache {

// A position in a reply made a part at a time (Tree::walk_step, Tree::children_step): where
// the last step stopped and the child names read ahead in wide nodes, so that a reply resumed in
// a node with a million children does not scan them again at every step. Opaque: only the tree
// reads it. Starts empty; clear() makes it so again and gives back what it holds.
class WalkCursor {
 public:
  WalkCursor();
  ~WalkCursor();
  WalkCursor(WalkCursor&& other) noexcept;
  WalkCursor& operator=(WalkCursor&& other) noexcept;

  // True until a step has stopped somewhere (and after clear()).
  bool empty() const;
  void clear();

  struct State;  // src/tree/walk_state.h
  // What the cursor holds (nullptr while nothing is), for the tree's own tests to look into.
  const State* state() const { return state_.get(); }

 private:
  friend class Tree;
  // The state, made on first use.
  State& make_state();

  // Made by the first step; nullptr while nothing is held.
  std::unique_ptr<State> state_;
};

// The value Tree::update's function gives the node at its path.
struct NewValue {
  std::string_view data;  // must stay valid until update() returns and not view the old value
  uint32_t flags = 0;
  int64_t exptime = 0;        // absolute (see absolute_exptime), 0 = never
  bool keep_exptime = false;  // the node keeps its deadline and `exptime` is ignored
  // The meta protocol's marks for the written value: kStaleMark, kTokenMark (value.h).
  uint8_t marks = 0;
  // 0: the value takes the next unique. Otherwise the value keeps this one (a journal's replay
  // restores what was acknowledged; the counter is then raised with raise_cas).
  uint64_t cas = 0;
};

// How Tree::read_meta reads a value (memcached's mg).
struct MetaAccess {
  std::optional<int64_t> new_exptime;  // mg T: the value's new deadline (absolute, 0 = never)
  bool mark_read = true;               // false for mg u: the fetched mark stays as it is
};

// How Tree::update treats a missing node and the memory budget.
struct UpdatePolicy {
  // A missing node may be created for the value: missing parents are created as valueless
  // nodes, or under TreeOptions::strict_parents a missing parent ends the update (no_parent)
  // before the function runs. Without it, the function sees a missing node (or parent) as no
  // value, and a value it gives then is not written.
  bool create = false;
  // Value bytes to make room for under the budget before the lock is taken, with a new node per
  // segment (what a store of them can take at most); after the update, what a table that grew
  // took beyond that is evicted. nullopt: nothing is reserved.
  std::optional<std::size_t> reserve;
  // The value written counts in TreeStats::total_items (memcached's total_items counts stores,
  // not incr/decr).
  bool counts_as_item = true;
  // A unique is taken from the counter as soon as a value is found, before the function runs,
  // and is the written value's (incr/decr: a non-numeric value still uses up a unique).
  bool unique_on_hit = false;
  // The function sees the current value's fetched and meta marks (ValueView): ms with I.
  bool with_marks = false;
};

enum class UpdateOutcome : uint8_t {
  stored,         // the function gave a value, now at the path
  unchanged,      // the function gave none: nothing changed
  no_parent,      // create under strict_parents, and a parent is missing: nothing changed
  bad_path,       // empty, or deeper than TreeOptions::max_depth
  out_of_memory,  // the budget could not take the reservation
};

struct UpdateResult {
  UpdateOutcome outcome = UpdateOutcome::unchanged;
  uint64_t cas = 0;  // stored: the value's new unique
};

struct TreeOptions {
  bool strict_parents = false;  // storing below a missing parent fails instead of creating it
  std::size_t max_depth = kDefaultMaxDepth;
  // Byte budget for all the memory the tree holds (values, names, nodes, children tables,
  // allocator rounding, detached nodes awaiting the reclaimer); 0 = unlimited (-m).
  uint64_t memory_limit = 0;
  // At the budget, evict values in LRU order; false refuses the store instead (-M).
  bool evict = true;
};

// Figures for `stats`; summed over shards, each read under its lock.
struct TreeStats {
  uint64_t nodes = 0;  // live nodes, valued or not
  uint64_t items = 0;  // nodes holding a value (memcached's curr_items)
  // Logical size of the live nodes (header, name, value, table slot), like memcached's item
  // sizes; a detached subtree leaves it at once, even before the reclaimer frees it.
  uint64_t bytes = 0;
  // Memory really held (allocations by usable size plus malloc's chunk header, children
  // tables, detached nodes not yet freed): what the -m budget counts. >= bytes, mostly.
  uint64_t allocated = 0;
  uint64_t total_items = 0;   // values ever stored
  uint64_t max_depth = 0;     // deepest node held (1 = top level; detached ones until freed)
  uint64_t pending_free = 0;  // nodes of detached subtrees not yet freed
  uint64_t reclaimed = 0;     // nodes detached when their deadline passed (with subtrees)
  uint64_t expired_unfetched = 0;
  uint64_t evictions = 0;          // values dropped to stay within the budget
  uint64_t evicted_unfetched = 0;  // ... that nobody had read
};

// The values held, per memcached slab class (common/slab_classes.h), each value placed by its
// item size as memcached would place it with the node's own name as its key. Counted where a
// value is stored and where its memory is freed (a detached subtree's values count until the
// reclaimer frees them, as their memory does), never by a walk.
struct SlabUsage {
  uint64_t items = 0;              // values in the class's LRU (a chunked item: the largest class)
  uint64_t requested = 0;          // their memcached item sizes (memcached's mem_requested)
  uint64_t chunks = 0;             // chunks used: a value's, a chunked item's header and data
  uint64_t evicted = 0;            // values of the class evicted (-m), ...
  uint64_t evicted_unfetched = 0;  // ... of which nobody had read
  uint64_t reclaimed = 0;          // expired nodes of the class taken away
  uint64_t expired_unfetched = 0;  // ... of which nobody had read
};
struct SlabStats {
  std::array<SlabUsage, kSlabClassSlots> classes{};
};

class Tree {
 public:
  Tree(const Clock& clock, TreeOptions options = {});
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // Runs `decide` under the lock with the live value at `path` (nullptr when there is none,
  // the node missing or valueless) and writes the value it returns (a NewValue of the caller's,
  // alive until update returns; nullptr leaves the node as it is) with a new unique;
  // see UpdatePolicy for missing nodes and the budget. When nothing is written and there is no
  // value at `path`, a parent left empty (by an expired node met on the way) is pruned.
  // `decide` must be quick and must not call the tree.
  UpdateResult update(const Path& path, const UpdatePolicy& policy,
                      absl::FunctionRef<const NewValue*(const ValueView* current)> decide);

  // Calls `visit` with the live value at `path`, under the lock; false on a miss.
  bool read(const Path& path, absl::FunctionRef<void(const ValueView&)> visit);
  // The same for gat: the value's deadline is replaced by `new_exptime` first.
  bool read_and_touch(const Path& path, int64_t new_exptime,
                      absl::FunctionRef<void(const ValueView&)> visit);

  // mg: calls `visit` under the lock with the live value at `path` as it was before this read
  // (its fetched and meta marks included), after applying `access`; when `visit` returns true
  // the value is marked token_sent (the client won the right to recache it). False on a miss.
  bool read_meta(const Path& path, const MetaAccess& access,
                 absl::FunctionRef<bool(const ValueView&)> visit);
  // md with I: marks the value at `path` stale, clears its token_sent mark, gives it a new
  // unique and, when `new_exptime` is set, that deadline. not_found without a value, exists
  // when `expected_cas` is set and differs from its unique, else stored.
  Status invalidate(const Path& path, std::optional<uint64_t> expected_cas,
                    std::optional<int64_t> new_exptime);

  // Sets the deadline of the node at `path` (valued or not), bounding its subtree.
  Status touch(const Path& path, int64_t new_exptime);

  // Removes the node at `path` with its whole subtree: deleted or not_found.
  // With `expected_cas`, only when the node holds a value with that unique (exists when the
  // unique differs, not_found without a value), checked and removed under one hold of the lock
  // (meta md with C).
  Status remove(const Path& path, std::optional<uint64_t> expected_cas = std::nullopt);
  // Drops only the value at `path`; the node stays while it has children (not_found if no value).
  Status remove_value(const Path& path);

  // Appends the names of the children of the node at `path` (the top level for an empty path),
  // sorted; false if there is no live node at a non-empty path.
  bool children(const Path& path, std::vector<std::string>& names);
  // The same a step at a time, for a reply made a part at a time (getch): visits up to
  // `max_names` child names after `cursor` (which holds the last name listed) in name order, and
  // returns true when there are no more. A wide node's names are read ahead and scanned in
  // slices as walk_step does, so a step holds the node's lock for a bounded time and may list
  // nothing; each name is listed only if its node is still there when its turn comes.
  bool children_step(const Path& path, WalkCursor& cursor, std::size_t max_names,
                     absl::FunctionRef<void(std::string_view name)> visit);

  // Visits the node at `path` (every top-level node for an empty path) and every valued node
  // below it, depth first in name order; `full` is the node's whole path. False if nothing live
  // is at a non-empty path.
  bool walk(const Path& path, absl::FunctionRef<void(const Path& full, const ValueView&)> visit);

  // One bounded step of walk(), for a reply that must not be built in one go: visits, in
  // walk()'s order, the valued nodes at or below `path` that come after `cursor` (from the start
  // when `cursor` is empty), looking at no more than `max_nodes` nodes (valued or not, at least
  // 1) and stopping after a node for which `visit` returns false. Returns true when the walk is
  // complete; otherwise `cursor` is set to the full path of the last node looked at, to resume
  // from.
  //
  // walk() order is the order of full paths compared segment by segment (a node before its
  // children), so "after `cursor`" means the same whether or not that node still exists. Each
  // step sees the tree as it is then, like memcached's LRU crawler: no node is visited twice and
  // the order holds; nodes added or removed after the cursor are seen as they are when reached;
  // nodes added before it are not. Each shard lock is held for at most `max_nodes` nodes; a node
  // with more than 1024 children (and a top level that large) has its next child names read
  // ahead into the cursor, 16384 at a time, so a walk scans it about n / 16384 times, not
  // n / max_nodes times; a child added meanwhile in a range already read ahead is not seen.
  // Such a scan looks at 8192 slots of the node's hash table per step, so a step may end
  // having visited no node (false, cursor unchanged but the scan further on); it starts over
  // if the table moved children meanwhile, and after two such restarts is done in one step.
  bool walk_step(const Path& path, WalkCursor& cursor, std::size_t max_nodes,
                 absl::FunctionRef<bool(const Path& full, const ValueView&)> visit) {
    return walk_step(path, cursor, max_nodes, WalkOptions{}, visit);
  }
  // What a walk_step looks at besides the values, and what it leaves behind.
  struct WalkOptions {
    // A visited value counts as read (memcached's fetched bit), as a reply shows it; a
    // snapshot does not read for a client and leaves it as it is.
    bool mark_fetched = true;
    // Also visits the valueless nodes that have a deadline (which bounds their subtree), with
    // a ValueView of no data and cas 0 (no value has unique 0): a snapshot keeps them.
    bool valueless_deadlines = false;
  };
  bool walk_step(const Path& path, WalkCursor& cursor, std::size_t max_nodes,
                 const WalkOptions& options,
                 absl::FunctionRef<bool(const Path& full, const ValueView&)> visit);
  // Under one hold of shard `shard_index`'s lock, walks whole (walk()'s order within each) the
  // subtrees of the top-level names[first], names[first + 1], ... of that shard
  // (TopNameScan) while their nodes and logical bytes fit in `max_nodes` and `max_bytes`; a
  // name no longer there is passed over. Returns the index of the first name not walked (==
  // first when that name's subtree alone is over the bounds: walk it with walk_step). A walk of
  // the whole tree in no order (a snapshot) takes a shard's lock once per batch of namespaces
  // instead of once per namespace: taking it once per small namespace, back to back, kept
  // workers that wanted it waking only to find it taken again.
  std::size_t walk_names(std::size_t shard_index, const std::vector<std::string>& names,
                         std::size_t first, std::size_t max_nodes, std::size_t max_bytes,
                         const WalkOptions& options,
                         absl::FunctionRef<void(const Path& full, const ValueView&)> visit);

  // flush_all: at `when` (absolute Unix time; <= now means at once) every node goes. A later
  // flush replaces a pending one, as in memcached. With an observer attached, a flush empties
  // every shard under all their locks at once and is reported as one change (a delayed one
  // also when it is asked for, as flush_pending), so that a journal can replay it exactly.
  void flush(int64_t when);

  // Background work for one pass: applies due flushes, detaches expired nodes, and frees up to
  // `budget` detached nodes per shard. Returns true if work remains.
  bool collect(std::size_t budget = 4096);

  // The figures as of now: due flushes and expiries are applied first.
  TreeStats stats() const;
  // The per-class figures as of now (see SlabStats).
  SlabStats slab_stats() const;
  uint64_t memory_limit() const { return memory_limit_.load(std::memory_order_relaxed); }
  // Changes the budget at run time (memcached's cache_memlimit; 0 = unlimited). Lowering it
  // evicts values in LRU order down to the new limit when evicting is allowed; under -M nothing
  // is evicted and stores are refused until deletes make room. True if usage is within it.
  bool set_memory_limit(uint64_t limit);
  const TreeOptions& options() const { return options_; }

  // Reports every change from now on to `observer` (nullptr: to nobody); see change.h. Set it
  // before the tree serves: it is not synchronized with changes under way.
  void set_observer(ChangeObserver* observer);
  // Reports every change from now on to `watcher` too (a watch hub), at any time, once: under
  // every shard's lock, so that no change is half reported. First raises the counter of
  // revisions to at least `at_least`, then calls `attached` with the last revision taken
  // before it, under those locks, before any change reaches the watcher: the watcher sees every
  // later number, each exactly once (change.h).
  void attach_watcher(ChangeObserver* watcher, uint64_t at_least,
                      absl::FunctionRef<void(uint64_t last)> attached);
  // The live top-level names held by shard `index` (< kShardCount), in no order, read under its
  // lock a slice of its table at a time (scan_top_names), so that no hold is long (copying 15k
  // names at once held a shard's lock for ~5 ms): a walk of the whole tree in no particular order
  // (a snapshot) goes shard by shard from them, each shard's names read once, and picks the
  // thread of each slice.
  class TopNameScan {
   public:
    bool done() const { return done_; }
    // The names, in no order; complete (each once) when done().
    std::vector<std::string>& names() { return names_; }

   private:
    friend class Tree;
    std::vector<std::string> names_;
    bool done_ = false;
    const void* table_ = nullptr;
    std::size_t capacity_ = 0;
    uint64_t moves_ = 0;
    std::size_t slot_ = 0;
    int restarts_ = 0;
  };
  // Reads `slots` more slots of shard `index`'s table under one hold of its lock. A slice after
  // the table moved names starts the scan over (a name could have moved to a slot already read);
  // after a few of those the rest is read in one go.
  void scan_top_names(std::size_t index, TopNameScan& scan, std::size_t slots);
  // Observer mode: when a delayed flush_all is due (0: none pending).
  int64_t pending_flush() const { return pending_flush_at_.load(std::memory_order_relaxed); }
  // The last unique handed out (0: none yet).
  uint64_t last_cas() const { return next_cas_.load(std::memory_order_relaxed); }
  // The next unique will be above `at_least` (after a replay restored values' uniques).
  void raise_cas(uint64_t at_least);

  // ---- atomic subtree replacement (src/tree/graft.cc; protocol.md 5.15, stage and swap) ----
  // A name for staging a new subtree to replace the node at non-empty `target`: a sibling of
  // it (stage_prefix, a random part, the target's name) that no live node has, in the target's
  // shard (so a top-level one too), free of `avoid` (the key separator). Empty when the target's
  // name is too long to fit in one with it.
  std::string stage_name(const Path& target, char avoid);
  // Replaces the node at `target` (present or not) with the sibling `staged` under one hold of
  // the namespace's lock, in O(1) of the subtrees' sizes: the target takes the staged node's
  // value and children, gets the deadline `exptime` (absolute, 0 = never), and its old subtree
  // goes to the graveyard with the staged node (freed in the background, as by delete). Readers
  // see the old subtree or the new one, never a mix. stored; not_found when no live `staged`
  // node is there (nothing changes); not_stored when `staged` is not a sibling in the target's
  // shard.
  Status graft(const Path& target, std::string_view staged, int64_t exptime);
  // The target name a name from stage_name() was made for, or empty for any other name (the
  // journal of --persist NS keeps a top-level staged subtree with its target's namespace).
  static std::string_view staged_target(std::string_view name);

  class Shard;
  static constexpr std::size_t kShardBits = 6;
  static constexpr std::size_t kShardCount = std::size_t{1} << kShardBits;

 private:
  Shard& shard_for(std::string_view top) const;
  // The shard for a top segment whose name hashes to `hash`: its top bits, so that the low bits
  // (which a shard's roots hash table probes by) stay spread within a shard.
  static std::size_t shard_index(std::size_t hash) {
    return hash >> (std::numeric_limits<std::size_t>::digits - kShardBits);
  }
  // Runs fn(shard, now) under the lock of the shard that holds `top`, once the shard has been
  // brought up to now (due flushes and expiries applied). Defined in shard.h.
  template <typename Fn>
  auto with_shard(std::string_view top, Fn&& fn);
  template <typename Fn>
  auto with_shard(Shard& shard, Fn&& fn);
  // The same, with fn(shard, node) given the live node at a non-empty `path` (or nullptr).
  template <typename Fn>
  auto with_node(const Path& path, Fn&& fn);
  // Makes room for `need` more bytes under the budget: frees detached nodes, then (unless -M)
  // evicts values in LRU order, from the shard of `top` first and then the others, one lock at
  // a time. False when the budget cannot take them (-M, or nodes alone fill it). Every store
  // asks twice: the common case (room enough, or no limit) is answered here, inline.
  bool reserve(std::string_view top, uint64_t need) {
    const uint64_t limit = memory_limit_.load(std::memory_order_relaxed);
    if (limit == 0 || used_bytes_.load(std::memory_order_relaxed) + need <= limit) return true;
    return make_room(top, need, limit);
  }
  // reserve() when the budget is short of `need` under `limit`.
  bool make_room(std::string_view top, uint64_t need, uint64_t limit);
  // The names of the first `limit` live top-level nodes, in order, from `from` on (after it
  // unless `inclusive`; from the first when null). Costs a scan of every top-level name.
  std::vector<std::string> top_names_from(const std::string* from, bool inclusive,
                                          std::size_t limit);
  // What a visit of a top-level name did (for_each_top_name).
  enum class NameTurn : uint8_t {
    taken,       // done with it: go on to the next name
    taken_last,  // done with it, and the step ends
    left,        // the step ends before it is done: the next step starts with it again
  };
  // Calls fn(name) with the live top-level names after `after` (from it when `inclusive`; from
  // the first when null), in order, read ahead into `cursor` a batch at a time, until fn ends the
  // step; true when the names ran out. Each name is fn's to look up under its shard's lock.
  bool for_each_top_name(WalkCursor::State& cursor, const std::string* after, bool inclusive,
                         absl::FunctionRef<NameTurn(const std::string& name)> fn);

  const Clock& clock_;
  TreeOptions options_;
  std::unique_ptr<Shard[]> shards_;
  // With an observer: empties every shard under all their locks and reports one flush due at
  // `time`, clearing any pending one. `pending`: only if the pending flush is still the one due
  // at `time` (another thread may have applied it, or a later flush_all replaced it).
  void flush_everything(int64_t time, bool pending) const;
  // Applies a pending flush (observer mode) once it is due; one relaxed load when none is.
  void catch_up(int64_t now) const {
    const int64_t pending = pending_flush_at_.load(std::memory_order_relaxed);
    if (pending != 0 && pending <= now) [[unlikely]] {
      flush_everything(pending, true);
    }
  }
  // Calls `read` with each shard in turn, under its lock, once due flushes and expiries are
  // applied (the figures of `stats` and `stats slabs`).
  void read_each_shard(absl::FunctionRef<void(const Shard&)> read) const;
  // Hands a change that belongs to no shard (flush, flush_pending, memory_limit) to the
  // observer.
  void report_global(Change& change) const;

  // The observer every shard reports to: set_observer's, attach_watcher's, or both through
  // fan_out_. Written under every shard's lock; read without one only by flush() and
  // set_memory_limit(), to choose how to report.
  std::atomic<ChangeObserver*> observer_{nullptr};
  ChangeObserver* journal_ = nullptr;  // set_observer's
  class FanOut;
  std::unique_ptr<FanOut> fan_out_;
  // Observer mode's delayed flush (0: none): due for every shard at once (flush()).
  mutable std::atomic<int64_t> pending_flush_at_{0};
  mutable std::atomic<uint64_t> next_cas_{0};  // the last unique (revision) taken
  std::atomic<uint64_t> used_bytes_{0};        // every shard's accounted bytes, summed
  std::atomic<uint64_t> memory_limit_;
};

}  // namespace nestcache
