#include "statsd/ddsketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sidecar::statsd {
namespace {

// ln(gamma), computed as the Agent does (log1p is more accurate than log near 1).
const double kLnGamma = std::log1p(2.0 * kSketchRelativeAccuracy);
// The smallest magnitude with a non-zero key: gamma^(1 - bias) ~ 9.9419e-10 (Agent norm.min).
const double kNormMin = std::pow(kSketchGamma, 1 - kSketchBias);

constexpr uint16_t kFullBin = static_cast<uint16_t>(kSketchMaxBinCount);

// Round half to even (Go math.RoundToEven) without a libm call: for |x| < 2^51, adding 1.5 * 2^52
// lands in [2^52, 2^53) where the spacing of doubles is 1, so the default rounding mode (nearest,
// ties to even) rounds x there, and the subtraction is exact. Infinities pass through.
double RoundToEven(double x) {
  constexpr double kMagic = 0x1.8p52;
  return (x + kMagic) - kMagic;
}

// Key of a non-negative, non-NaN magnitude.
int32_t KeyOfMagnitude(double v) {
  if (v < kNormMin) {  // Also 0 and -0.
    return 0;
  }
  // ln(v)/ln(gamma) is within [-1338, 45780] for finite doubles; +Inf stays +Inf.
  const double exponent = RoundToEven(std::log(v) / kLnGamma);
  if (exponent > static_cast<double>(kSketchMaxKey - kSketchBias)) {
    return kSketchInfKey;
  }
  const int32_t key = static_cast<int32_t>(exponent) + kSketchBias;
  return key < 1 ? 1 : key;  // Cannot happen for v >= norm.min; the Agent guards it too.
}

// Key of a non-NaN value.
int32_t KeyOf(double v) { return v < 0 ? -KeyOfMagnitude(-v) : KeyOfMagnitude(v); }

// gamma^(k - bias) (Agent Config.f64): keys round ln(v)/ln(gamma) to nearest, so this is the centre
// (in log space) of the values with key k, within 1/128 of each of them.
double KeyValue(int32_t key) {
  if (key < 0) {
    return -KeyValue(-key);
  }
  if (key == 0) {
    return 0;
  }
  if (key == kSketchInfKey) {
    return std::numeric_limits<double>::infinity();
  }
  return std::pow(kSketchGamma, key - kSketchBias);
}

}  // namespace

int32_t SketchKey(double value) {
  if (std::isnan(value)) {
    return 1;  // Go: int(RoundToEven(NaN)) is MinInt64 on amd64, floored to 1.
  }
  return KeyOf(value);
}

bool DDSketch::Insert(double value, double sample_rate) {
  if (!std::isfinite(value)) {
    return false;
  }
  // A rate outside (0, 1] (NaN included) counts as unsampled (Agent.Insert bounds enforcement).
  if (!(sample_rate > 0 && sample_rate <= 1)) {
    sample_rate = 1;
  }
  const uint64_t room =
      total_weight_ >= kSketchMaxTotalWeight ? 0 : kSketchMaxTotalWeight - total_weight_;
  const auto key = static_cast<int16_t>(KeyOf(value));

  if (sample_rate == 1) {
    if (room == 0) {
      return false;
    }
    InsertSummary(value);
    // Hot path: bump the first bin of the key's run (the Agent's appendSafe(b.n + 1)).
    const Bin* data = bins_.data();
    size_t size = bins_.size();
    size_t index = 0;
    if (size > 0) {
      const Bin* base = data;
      while (size > 1) {
        const size_t half = size / 2;
        base = base[half].key < key ? base + half : base;
        size -= half;
      }
      index = static_cast<size_t>(base - data) + (base->key < key ? size_t{1} : size_t{0});
    }
    const auto it = bins_.begin() + static_cast<std::ptrdiff_t>(index);
    if (it != bins_.end() && it->key == key) {
      if (it->count < kFullBin) {
        ++it->count;
      } else {  // 65535 + 1 = [1, 65535].
        it->count = 1;
        bins_.insert(it + 1, Bin{key, kFullBin});
      }
    } else {
      bins_.insert(it, Bin{key, 1});
    }
    ++total_weight_;
    // The Agent merges its 512-key buffer (and trims) when it fills.
    if (++pending_ == kSketchInsertBufferSize) {
      Trim();
      pending_ = 0;
    }
    return true;
  }

  const double n = 1 / sample_rate;  // In (1, 2^1074]; the bins get it truncated.
  if (n > static_cast<double>(room)) {
    return false;
  }
  // The Agent flushes its key buffer first (a trim if it held keys), then merges the counted key
  // (another trim).
  if (pending_ > 0) {
    Trim();
    pending_ = 0;
  }
  MergeSummary(static_cast<int64_t>(n), value, value, n * value, value);
  AddToBins(key, static_cast<uint64_t>(n));
  Trim();
  return true;
}

void DDSketch::AddToBins(int16_t key, uint64_t weight) {
  const auto it = std::lower_bound(bins_.begin(), bins_.end(), key,
                                   [](const Bin& bin, int16_t k) { return bin.key < k; });
  const bool existing = it != bins_.end() && it->key == key;
  const uint64_t total = weight + (existing ? it->count : 0);
  // appendSafe(key, total): one bin if it fits, else the remainder (if any) then full bins.
  uint16_t first = 0;
  size_t bins = 0;
  if (total <= kSketchMaxBinCount) {
    first = static_cast<uint16_t>(total);
    bins = 1;
  } else {
    const uint64_t remainder = total % kSketchMaxBinCount;
    const uint64_t full = total / kSketchMaxBinCount;
    first = remainder != 0 ? static_cast<uint16_t>(remainder) : kFullBin;
    bins = static_cast<size_t>(full) + (remainder != 0 ? 1 : 0);
  }
  const auto index = it - bins_.begin();
  if (existing) {
    bins_.insert(it + 1, bins - 1, Bin{key, kFullBin});
  } else {
    bins_.insert(it, bins, Bin{key, kFullBin});
  }
  bins_[static_cast<size_t>(index)].count = first;
  total_weight_ += weight;
}

void DDSketch::Trim() { TrimBins(bins_); }

void DDSketch::TrimBins(std::vector<Bin>& bins) {
  // The Agent's trimLeft: fold the lowest bins into the first kept one. Whatever does not fit in
  // a uint16 stays in front as full bins under the removed keys (so the result can exceed 4096).
  if (bins.size() <= kSketchBinLimit) {
    return;
  }
  const size_t remove = bins.size() - kSketchBinLimit;
  uint64_t missing = 0;
  std::vector<Bin> overflow;  // Empty (no allocation) unless > 65535 is folded.
  for (size_t i = 0; i < remove; ++i) {
    missing += bins[i].count;
    if (missing > kSketchMaxBinCount) {
      overflow.push_back(Bin{bins[i].key, kFullBin});
      missing -= kSketchMaxBinCount;
    }
  }
  Bin& kept = bins[remove];
  const uint64_t next = missing + kept.count;
  if (next > kSketchMaxBinCount) {
    kept.count = kFullBin;
    missing = next - kSketchMaxBinCount;  // <= 65535.
    overflow.push_back(Bin{kept.key, static_cast<uint16_t>(missing)});
  } else {
    kept.count = static_cast<uint16_t>(next);
  }
  // overflow.size() <= remove (the Agent panics otherwise; it cannot happen).
  std::copy(overflow.begin(), overflow.end(), bins.begin());
  bins.erase(bins.begin() + static_cast<std::ptrdiff_t>(overflow.size()),
             bins.begin() + static_cast<std::ptrdiff_t>(remove));
}

void DDSketch::Merge(const DDSketch& other) {
  if (&other == this) {
    const DDSketch copy = other;
    Merge(copy);
    return;
  }
  // Both sides as Finish() leaves them: a pending key buffer means one more trim.
  if (pending_ > 0) {
    Trim();
    pending_ = 0;
  }
  const std::vector<Bin>* other_bins = &other.bins_;
  std::vector<Bin> other_trimmed;
  if (other.pending_ > 0 && other.bins_.size() > kSketchBinLimit) {
    other_trimmed = other.bins_;
    TrimBins(other_trimmed);
    other_bins = &other_trimmed;
  }
  MergeSummary(other.count_, other.min_, other.max_, other.sum_, other.avg_);
  total_weight_ += other.total_weight_;

  // sparseStore.merge: bins of one key pair up in order, each pair through appendSafe.
  std::vector<Bin> merged;
  merged.reserve(bins_.size() + other_bins->size());
  size_t i = 0;
  for (const Bin& ob : *other_bins) {
    while (i < bins_.size() && bins_[i].key < ob.key) {
      merged.push_back(bins_[i++]);
    }
    if (i >= bins_.size() || bins_[i].key > ob.key) {
      merged.push_back(ob);
      continue;
    }
    const uint32_t total = uint32_t{ob.count} + bins_[i++].count;
    if (total <= kSketchMaxBinCount) {
      merged.push_back(Bin{ob.key, static_cast<uint16_t>(total)});
    } else if (total == 2 * kSketchMaxBinCount) {
      merged.push_back(Bin{ob.key, kFullBin});
      merged.push_back(Bin{ob.key, kFullBin});
    } else {
      merged.push_back(Bin{ob.key, static_cast<uint16_t>(total - kSketchMaxBinCount)});
      merged.push_back(Bin{ob.key, kFullBin});
    }
  }
  merged.insert(merged.end(), bins_.begin() + static_cast<std::ptrdiff_t>(i), bins_.end());
  TrimBins(merged);
  bins_.swap(merged);
}

SketchPoint DDSketch::ToSketchPoint(int64_t timestamp) const {
  SketchPoint point;
  point.timestamp = timestamp;
  point.count = count_;
  point.min = min_;
  point.max = max_;
  point.avg = avg_;
  point.sum = sum_;
  const std::vector<Bin>* bins = &bins_;
  std::vector<Bin> trimmed;
  if (pending_ > 0 && bins_.size() > kSketchBinLimit) {
    trimmed = bins_;
    TrimBins(trimmed);
    bins = &trimmed;
  }
  point.keys.reserve(bins->size());
  point.counts.reserve(bins->size());
  for (const Bin& bin : *bins) {
    point.keys.push_back(bin.key);
    point.counts.push_back(bin.count);
  }
  return point;
}

double DDSketch::Quantile(double q) const {
  if (total_weight_ == 0) {
    return 0;
  }
  if (q <= 0) {
    return min_;
  }
  if (q >= 1) {
    return max_;
  }
  const std::vector<Bin>* bins = &bins_;
  std::vector<Bin> trimmed;
  if (pending_ > 0 && bins_.size() > kSketchBinLimit) {
    trimmed = bins_;
    TrimBins(trimmed);
    bins = &trimmed;
  }
  const double rank = RoundToEven(q * (static_cast<double>(total_weight_) - 1));
  double cumulative = 0;
  for (const Bin& bin : *bins) {
    cumulative += bin.count;
    if (cumulative > rank) {
      return std::clamp(KeyValue(bin.key), min_, max_);
    }
  }
  return max_;
}

void DDSketch::Clear() {
  bins_.clear();
  total_weight_ = 0;
  pending_ = 0;
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
  avg_ = 0;
}

void DDSketch::InsertSummary(double value) {
  // summary.Summary.Insert.
  if (value > max_ || count_ == 0) {
    max_ = value;
  }
  if (value < min_ || count_ == 0) {
    min_ = value;
  }
  ++count_;
  sum_ += value;
  avg_ += (value - avg_) / static_cast<double>(count_);  // Incremental, as the Agent.
}

void DDSketch::MergeSummary(int64_t count, double min, double max, double sum, double avg) {
  // summary.Summary.Merge (InsertN is a merge with {cnt n, sum n*v, min=max=avg=v}).
  if (count_ == 0) {
    count_ = count;
    min_ = min;
    max_ = max;
    sum_ = sum;
    avg_ = avg;
    return;
  }
  if (count == 0) {
    return;
  }
  if (max > max_) {
    max_ = max;
  }
  if (min < min_) {
    min_ = min;
  }
  count_ += count;
  sum_ += sum;
  avg_ = avg_ + (avg - avg_) * static_cast<double>(count) / static_cast<double>(count_);
}

}  // namespace sidecar::statsd
