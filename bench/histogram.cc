#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace nestcache::bench {

// Bucket layout: values < 2^(kSubBits+1) map to themselves; a larger value v with top bit e
// keeps its kSubBits+1 leading bits m (in [2^kSubBits, 2^(kSubBits+1))) and goes to
// (e - kSubBits) * 2^kSubBits + m. Both ranges meet without a gap at 2^(kSubBits+1).
std::size_t Histogram::index_of(uint64_t value) {
  if (value < (uint64_t{2} << kSubBits)) return static_cast<std::size_t>(value);
  const unsigned top = static_cast<unsigned>(std::bit_width(value)) - 1;
  const unsigned shift = top - kSubBits;
  return (static_cast<std::size_t>(shift) << kSubBits) + static_cast<std::size_t>(value >> shift);
}

uint64_t Histogram::lowest_of(std::size_t index) {
  if (index < (std::size_t{2} << kSubBits)) return index;
  const unsigned shift = static_cast<unsigned>(index >> kSubBits) - 1;
  const uint64_t mantissa = (index & ((std::size_t{1} << kSubBits) - 1)) | (1u << kSubBits);
  return mantissa << shift;
}

uint64_t Histogram::width_of(std::size_t index) {
  if (index < (std::size_t{2} << kSubBits)) return 1;
  return uint64_t{1} << ((index >> kSubBits) - 1);
}

void Histogram::record(uint64_t nanos) {
  const std::size_t index = std::min(index_of(nanos), kBuckets - 1);
  ++counts_[index];
  ++count_;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(max_, lowest_of(i) + width_of(i) / 2);
  }
  return max_;
}

}  // namespace nestcache::bench
