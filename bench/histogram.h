// Latency histogram with log-linear buckets (the HdrHistogram idea, written for this tool):
// values below 256 ns are exact, larger ones fall in one of 128 buckets per power of two, so a
// reported percentile is within 0.8% of the true sample. Fixed size, no allocation per record.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace nestcache::bench {

class Histogram {
 public:
  void record(uint64_t nanos);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The value at quantile q in [0, 1] (0 when empty): the midpoint of the bucket that holds the
  // ceil(q * count)-th smallest sample, capped at the largest sample seen.
  uint64_t percentile(double q) const;

 private:
  static constexpr unsigned kSubBits = 7;  // 128 buckets per octave
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;
  static std::size_t index_of(uint64_t value);
  static uint64_t lowest_of(std::size_t index);
  static uint64_t width_of(std::size_t index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace nestcache::bench
