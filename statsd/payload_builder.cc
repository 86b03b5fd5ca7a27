#include "statsd/payload_builder.h"

#include <utility>

namespace sidecar::statsd::internal {

PayloadBuilder::PayloadBuilder(const EncoderOptions& options, const PayloadLimits& limits,
                               PayloadShape shape, PayloadFraming framing)
    : options_(options), limits_(limits), shape_(std::move(shape)), framing_(std::move(framing)) {
  absl::StatusOr<std::unique_ptr<forwarder::StreamCompressor>> probe =
      forwarder::StreamCompressor::Create(options_.compression, options_.zstd_level);
  if (probe.ok()) {
    probe_ = std::move(*probe);
  }
}

PayloadBuilder::~PayloadBuilder() = default;

bool PayloadBuilder::FitsEmptyPayload(std::string_view item, uint64_t count) const {
  if (count > limits_.max_item_count) {
    return false;
  }
  const size_t total = framing_.header.size() + item.size() + framing_.footer.size();
  if (total > limits_.max_uncompressed_bytes) {
    return false;
  }
  // Without a probe (allocation failure) Open() fails too and reports the error.
  return probe_ == nullptr || probe_->UpperBoundWith(total) <= limits_.max_compressed_bytes;
}

PayloadBuilder::AddResult PayloadBuilder::Add(std::string_view item, uint64_t count) {
  if (!FitsEmptyPayload(item, count)) {
    return AddResult::kTooBig;
  }
  if (current_ == nullptr && !Open()) {
    return AddResult::kCompressionError;
  }
  if (!FitsCurrent(item, count)) {
    if (current_ == nullptr) {
      return AddResult::kCompressionError;  // The Flush inside FitsCurrent failed.
    }
    if (current_items_ == 0) {
      // The empty-payload estimate and a real empty payload differ by a few header bytes.
      return AddResult::kTooBig;
    }
    Close();
    if (!Open()) {
      return AddResult::kCompressionError;
    }
    if (!FitsCurrent(item, count)) {
      return current_ == nullptr ? AddResult::kCompressionError : AddResult::kTooBig;
    }
  }
  if (current_items_ > 0 && !framing_.separator.empty()) {
    if (!current_->Append(framing_.separator).ok()) {
      Fail();
      return AddResult::kCompressionError;
    }
    unflushed_bytes_ += framing_.separator.size();
  }
  if (!current_->Append(item).ok()) {
    Fail();
    return AddResult::kCompressionError;
  }
  unflushed_bytes_ += item.size();
  ++current_items_;
  current_count_ += count;
  return AddResult::kAdded;
}

EncodeResult PayloadBuilder::Finish() {
  Close();
  return std::move(result_);
}

bool PayloadBuilder::Open() {
  absl::StatusOr<std::unique_ptr<forwarder::StreamCompressor>> compressor =
      forwarder::StreamCompressor::Create(options_.compression, options_.zstd_level);
  if (!compressor.ok()) {
    ++result_.compression_errors;
    return false;
  }
  current_ = std::move(*compressor);
  current_items_ = 0;
  current_count_ = 0;
  unflushed_bytes_ = 0;
  if (!framing_.header.empty()) {
    if (!current_->Append(framing_.header).ok()) {
      Fail();
      return false;
    }
    unflushed_bytes_ = framing_.header.size();
  }
  return true;
}

EncodeResult PayloadBuilder::TakeClosed() { return std::exchange(result_, EncodeResult{}); }

void PayloadBuilder::Close() {
  if (current_ == nullptr) {
    return;
  }
  std::unique_ptr<forwarder::StreamCompressor> compressor = std::move(current_);
  if (current_items_ == 0) {
    return;  // Never send an empty payload.
  }
  if (!framing_.footer.empty() && !compressor->Append(framing_.footer).ok()) {
    ++result_.compression_errors;
    return;
  }
  absl::StatusOr<std::string> body = compressor->Finish();
  if (!body.ok()) {
    ++result_.compression_errors;
    return;
  }
  forwarder::Payload& payload = result_.payloads.emplace_back();
  payload.intake = forwarder::Intake::kMetrics;
  payload.route = shape_.route;
  payload.kind = shape_.kind;
  payload.body = std::move(*body);
  payload.content_type = shape_.content_type;
  payload.content_encoding = std::string(forwarder::ContentEncoding(options_.compression));
  payload.extra_headers = shape_.extra_headers;
  payload.item_count = current_count_;
  payload.priority = forwarder::Priority::kNormal;
}

bool PayloadBuilder::FitsCurrent(std::string_view item, uint64_t count) {
  if (current_count_ + count > limits_.max_item_count) {
    return false;
  }
  const size_t separator = current_items_ > 0 ? framing_.separator.size() : 0;
  const size_t extra = separator + item.size() + framing_.footer.size();
  if (current_->UncompressedSize() + extra > limits_.max_uncompressed_bytes) {
    return false;
  }
  if (current_->UpperBoundWith(extra) <= limits_.max_compressed_bytes) {
    return true;
  }
  if (unflushed_bytes_ == 0) {
    return false;  // The bound is already exact for what was appended.
  }
  // Near the cap: push buffered input out so the size so far is exact, then decide.
  if (!current_->Flush().ok()) {
    Fail();
    return false;
  }
  unflushed_bytes_ = 0;
  return current_->UpperBoundWith(extra) <= limits_.max_compressed_bytes;
}

void PayloadBuilder::Fail() {
  ++result_.compression_errors;
  current_.reset();
  current_items_ = 0;
  current_count_ = 0;
  unflushed_bytes_ = 0;
}

}  // namespace sidecar::statsd::internal
