#include "apm/stats_sketch.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace sidecar::apm {
namespace {

// Precomputed mapping constants (sketches-go LogarithmicMapping with index offset 0).
struct Mapping {
  double gamma;
  double multiplier;  // 1 / ln(gamma)
  double relative_accuracy;
  double min_indexable;
  double max_indexable;
};

const Mapping& GetMapping() {
  static const Mapping mapping = [] {
    Mapping m{};
    m.gamma = (1 + kStatsSketchRelativeAccuracy) / (1 - kStatsSketchRelativeAccuracy);
    m.multiplier = 1 / std::log(m.gamma);
    m.relative_accuracy = 1 - 2 / (1 + m.gamma);
    // Smallest value whose index is representable, and never a subnormal.
    m.min_indexable = std::max(
        std::exp(static_cast<double>(std::numeric_limits<int32_t>::min()) / m.multiplier + 1),
        std::numeric_limits<double>::min() * m.gamma);
    // Largest value whose index fits an int32 and whose bin value does not overflow exp().
    constexpr double kExpOverflow = 7.094361393031e+02;
    m.max_indexable = std::min(
        std::exp(static_cast<double>(std::numeric_limits<int32_t>::max()) / m.multiplier - 1),
        std::exp(kExpOverflow) / (2 * m.gamma) * (m.gamma + 1));
    return m;
  }();
  return mapping;
}

}  // namespace

double TruncateDurationForSketch(int64_t duration_ns) {
  // Keep sign, 11 exponent bits and the top 9 stored mantissa bits.
  constexpr uint64_t kMask = 0xfffff80000000000ULL;
  const uint64_t bits = std::bit_cast<uint64_t>(static_cast<double>(duration_ns)) & kMask;
  return std::bit_cast<double>(bits);
}

double StatsSketch::Gamma() { return GetMapping().gamma; }

int32_t StatsSketch::Index(double positive_value) {
  const double index = std::log(positive_value) * GetMapping().multiplier;
  // Go's int() truncates toward zero; sketches-go subtracts one for negatives, so an exact
  // negative integer maps one bin lower than floor() would. Keep that quirk for identical bins.
  if (index >= 0) {
    return static_cast<int32_t>(index);
  }
  return static_cast<int32_t>(index) - 1;
}

double StatsSketch::Value(int32_t index) {
  const Mapping& m = GetMapping();
  return std::exp(static_cast<double>(index) / m.multiplier) * (1 + m.relative_accuracy);
}

bool StatsSketch::Add(double value, double weight) {
  const Mapping& m = GetMapping();
  if (!std::isfinite(value) || !std::isfinite(weight) || weight <= 0 ||
      std::fabs(value) > m.max_indexable) {
    return false;
  }
  if (value > m.min_indexable) {
    positive_.Add(Index(value), weight);
  } else if (value < -m.min_indexable) {
    negative_.Add(Index(-value), weight);
  } else {
    zero_count_ += weight;
  }
  return true;
}

double StatsSketch::Count() const { return zero_count_ + positive_.Total() + negative_.Total(); }

double StatsSketch::Quantile(double q) const {
  const double count = Count();
  if (!(q >= 0 && q <= 1) || count == 0) {
    return 0;
  }
  const double rank = q * (count - 1);
  const double negative_count = negative_.Total();
  if (rank < negative_count) {
    return -Value(negative_.KeyAtRank(negative_count - 1 - rank));
  }
  if (rank < zero_count_ + negative_count) {
    return 0;
  }
  return Value(positive_.KeyAtRank(rank - zero_count_ - negative_count));
}

datadog::sketches::DDSketch StatsSketch::ToProto() const {
  datadog::sketches::DDSketch proto;
  auto* mapping = proto.mutable_mapping();
  mapping->set_gamma(GetMapping().gamma);
  mapping->set_indexoffset(0);
  mapping->set_interpolation(datadog::sketches::IndexMapping::NONE);
  positive_.ToProto(proto.mutable_positivevalues());
  negative_.ToProto(proto.mutable_negativevalues());
  proto.set_zerocount(zero_count_);
  return proto;
}

std::string StatsSketch::Serialize() const { return ToProto().SerializeAsString(); }

void StatsSketch::Store::Add(int32_t index, double weight) {
  const int64_t max_bins = kStatsSketchMaxBins;
  if (bins_.empty()) {
    bins_.push_back(weight);
    min_index_ = index;
    return;
  }
  const int64_t min_index = min_index_;
  const int64_t max_index = min_index + static_cast<int64_t>(bins_.size()) - 1;
  if (index < min_index) {
    if (collapsed_) {
      bins_.front() += weight;
      return;
    }
    // Grow downwards, but never past max_bins below the top: what falls further goes to the new
    // lowest bin.
    const int64_t new_min = std::max<int64_t>(index, max_index - max_bins + 1);
    if (new_min > index) {
      collapsed_ = true;
    }
    bins_.insert(bins_.begin(), static_cast<size_t>(min_index - new_min), 0.0);
    min_index_ = static_cast<int32_t>(new_min);
    bins_.front() += weight;
    return;
  }
  if (index > max_index) {
    const int64_t new_min = std::max<int64_t>(min_index, index - max_bins + 1);
    if (new_min > min_index) {
      // Fold every bin below new_min into new_min.
      collapsed_ = true;
      double folded = 0;
      const int64_t fold_end = std::min<int64_t>(new_min, max_index + 1);  // exclusive
      for (int64_t i = min_index; i < fold_end; ++i) {
        folded += bins_[static_cast<size_t>(i - min_index)];
      }
      bins_.erase(bins_.begin(), bins_.begin() + (fold_end - min_index));
      if (bins_.empty() || new_min > max_index) {
        bins_.assign(1, 0.0);
      }
      bins_.front() += folded;
      min_index_ = static_cast<int32_t>(new_min);
    }
    bins_.resize(static_cast<size_t>(int64_t{index} - min_index_ + 1), 0.0);
    bins_.back() += weight;
    return;
  }
  bins_[static_cast<size_t>(index - min_index)] += weight;
}

double StatsSketch::Store::Total() const {
  double total = 0;
  for (double count : bins_) {
    total += count;
  }
  return total;
}

int32_t StatsSketch::Store::KeyAtRank(double rank) const {
  double cumulative = 0;
  for (size_t i = 0; i < bins_.size(); ++i) {
    cumulative += bins_[i];
    if (cumulative > rank) {
      return min_index_ + static_cast<int32_t>(i);
    }
  }
  return min_index_ + static_cast<int32_t>(bins_.size()) - 1;
}

void StatsSketch::Store::ToProto(datadog::sketches::Store* out) const {
  if (bins_.empty()) {
    return;
  }
  out->mutable_contiguousbincounts()->Assign(bins_.begin(), bins_.end());
  out->set_contiguousbinindexoffset(min_index_);
}

}  // namespace sidecar::apm
