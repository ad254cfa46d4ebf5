#include "nestcache/stats/counters.h"

namespace nestcache {

void Counters::add_to(CounterValues& sum) const {
#define NESTCACHE_SUM(name) sum.name += name.load(std::memory_order_relaxed);
  NESTCACHE_COUNTERS(NESTCACHE_SUM)
#undef NESTCACHE_SUM
}

void Counters::reset() {
#define NESTCACHE_ZERO(name) name.store(0, std::memory_order_relaxed);
  NESTCACHE_COUNTERS(NESTCACHE_ZERO)
#undef NESTCACHE_ZERO
}

Counters& StatsRegistry::make_counters() {
  std::lock_guard lock(mu_);
  return counters_.emplace_back();
}

CounterValues StatsRegistry::sum() const {
  CounterValues sum;
  std::lock_guard lock(mu_);
  for (const Counters& counters : counters_) counters.add_to(sum);
  return sum;
}

void StatsRegistry::reset() {
  std::lock_guard lock(mu_);
  for (Counters& counters : counters_) counters.reset();
}

}  // namespace nestcache
