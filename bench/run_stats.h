// What a run counted: one RunStats per load thread (no sharing while running), merged at the
// end; ChurnStats for the subtree-delete connection.
#pragma once

#include <chrono>
#include <cstdint>

#include "histogram.h"

namespace nestcache::bench {

using BenchClock = std::chrono::steady_clock;

// The interval whose replies are counted: warm-up before it, nothing after it.
struct Window {
  BenchClock::time_point from;
  BenchClock::time_point until;
  bool contains(BenchClock::time_point t) const { return t >= from && t < until; }
};

struct RunStats {
  uint64_t sets = 0;         // set replies in the window
  uint64_t reads = 0;        // get/getn/gettree replies in the window
  uint64_t hits = 0;         // reads that returned at least one value
  uint64_t misses = 0;       // reads that returned none
  uint64_t values = 0;       // values returned (gettree returns several per read)
  uint64_t not_stored = 0;   // set answered with anything but STORED (not an error line)
  uint64_t errors = 0;       // ERROR / CLIENT_ERROR / SERVER_ERROR / unknown reply lines
  uint64_t disconnects = 0;  // connections lost before the end of the run
  uint64_t replies_all = 0;  // every reply, warm-up included (for server CPU per op)
  Histogram latency;         // request written -> reply parsed, in the window

  uint64_t ops() const { return sets + reads; }

  void merge(const RunStats& other) {
    sets += other.sets;
    reads += other.reads;
    hits += other.hits;
    misses += other.misses;
    values += other.values;
    not_stored += other.not_stored;
    errors += other.errors;
    disconnects += other.disconnects;
    replies_all += other.replies_all;
    latency.merge(other.latency);
  }
};

struct ChurnStats {
  uint64_t builds = 0;
  uint64_t deletes = 0;
  uint64_t errors = 0;       // a build or delete that did not answer as expected
  uint64_t overruns = 0;     // cycles that took longer than --churn-period
  Histogram build_time;      // nanoseconds to store the whole subtree (sets + sync)
  Histogram delete_latency;  // nanoseconds from `delete <root>` written to DELETED read
};

}  // namespace nestcache::bench
