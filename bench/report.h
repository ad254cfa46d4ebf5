// The figures of a finished run, as text for a person or as one JSON object for a script
// (bench/compare.py reads the JSON).
#pragma once

#include <iosfwd>
#include <optional>

#include "options.h"
#include "run_stats.h"

namespace nestcache::bench {

struct Results {
  double seconds = 0;           // length of the measured window
  double prefill_seconds = -1;  // < 0: no prefill ran
  RunStats load;
  std::optional<ChurnStats> churn;  // subtree-delete only
};

void print_text(std::ostream& out, const BenchOptions& options, const Results& results);
void print_json(std::ostream& out, const BenchOptions& options, const Results& results);

}  // namespace nestcache::bench
