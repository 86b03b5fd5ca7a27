#include "logs/partial_reassembler.h"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace sidecar::logs {
namespace {

constexpr const char* kPartialFields[] = {"partial_message", "partial_id", "partial_ordinal",
                                          "partial_last"};

bool IsTrue(const nlohmann::json& attributes, const char* key) {
  const auto it = attributes.find(key);
  if (it == attributes.end()) {
    return false;
  }
  return (it->is_string() && it->get_ref<const std::string&>() == "true") ||
         (it->is_boolean() && it->get<bool>());
}

// The ordinal as a positive number, 0 when absent or unusable.
int64_t OrdinalOf(const nlohmann::json& attributes) {
  const auto it = attributes.find("partial_ordinal");
  if (it == attributes.end()) {
    return 0;
  }
  if (it->is_number_integer()) {
    const auto value = it->get<int64_t>();
    return value > 0 ? value : 0;
  }
  if (it->is_string()) {
    const auto& text = it->get_ref<const std::string&>();
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size() && value > 0) {
      return value;
    }
  }
  return 0;
}

}  // namespace

PartialReassembler::PartialReassembler(PartialLimits limits) : limits_(limits) {}

void PartialReassembler::Add(LogRecord record, TimePoint now, std::vector<LogRecord>& out) {
  const auto id = record.attributes.find("partial_id");
  if (!IsTrue(record.attributes, "partial_message") || id == record.attributes.end() ||
      !id->is_string()) {
    out.push_back(std::move(record));
    return;
  }
  Key key(record.tag, id->get<std::string>());
  const int64_t given_ordinal = OrdinalOf(record.attributes);
  const bool last = IsTrue(record.attributes, "partial_last");
  const size_t bytes = record.message.size();

  auto it = groups_.find(key);
  int64_t first_ordinal = 1;
  if (it != groups_.end() && it->second.bytes + bytes > limits_.max_message_bytes) {
    ++stats_.overflow_flushes;
    // The new piece starts a fresh group that completes without the flushed ordinals.
    first_ordinal = given_ordinal > 0 ? given_ordinal : it->second.next_ordinal;
    Emit(it, out);
    it = groups_.end();
  }
  if (it == groups_.end()) {
    Group group;
    group.started = now;
    group.first_ordinal = first_ordinal;
    group.next_ordinal = first_ordinal;
    it = groups_.emplace(std::move(key), std::move(group)).first;
  }
  Group& group = it->second;
  const int64_t ordinal = given_ordinal > 0 ? given_ordinal : group.next_ordinal;
  group.next_ordinal = ordinal + 1;
  if (group.pieces.empty() || ordinal < group.pieces.begin()->first) {
    group.first = LogRecord{};
    group.first.source = record.source;
    group.first.tag = record.tag;
    group.first.timestamp_ns = record.timestamp_ns;
    group.first.attributes = record.attributes;
  }
  if (last) {
    group.last_ordinal = ordinal;
  }
  auto [piece, inserted] = group.pieces.emplace(ordinal, std::move(record.message));
  if (inserted) {
    group.bytes += bytes;
    held_bytes_ += bytes;
  }

  const bool complete =
      group.last_ordinal >= group.first_ordinal &&
      group.pieces.size() == static_cast<size_t>(group.last_ordinal - group.first_ordinal + 1) &&
      group.pieces.begin()->first == group.first_ordinal;
  if (complete) {
    ++stats_.joined;
    Emit(it, out);
  } else if (group.bytes >= limits_.max_message_bytes) {
    ++stats_.overflow_flushes;
    Emit(it, out);
  }
  // Total bound: flush the oldest groups first.
  while (held_bytes_ > limits_.max_total_bytes && !groups_.empty()) {
    auto oldest = groups_.begin();
    for (auto candidate = groups_.begin(); candidate != groups_.end(); ++candidate) {
      if (candidate->second.started < oldest->second.started) {
        oldest = candidate;
      }
    }
    ++stats_.overflow_flushes;
    Emit(oldest, out);
  }
}

void PartialReassembler::FlushStale(TimePoint now, std::vector<LogRecord>& out) {
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto next = std::next(it);
    if (now - it->second.started >= limits_.max_age) {
      ++stats_.stale_flushes;
      Emit(it, out);
    }
    it = next;
  }
}

void PartialReassembler::FlushAll(std::vector<LogRecord>& out) {
  while (!groups_.empty()) {
    ++stats_.stale_flushes;
    Emit(groups_.begin(), out);
  }
}

PartialReassembler::TimePoint PartialReassembler::NextDeadline() const {
  TimePoint deadline = TimePoint::max();
  for (const auto& [key, group] : groups_) {
    const TimePoint stale =
        group.started + std::chrono::duration_cast<TimePoint::duration>(limits_.max_age);
    deadline = std::min(deadline, stale);
  }
  return deadline;
}

LogRecord PartialReassembler::Join(Group& group) {
  LogRecord record = std::move(group.first);
  for (const char* field : kPartialFields) {
    record.attributes.erase(field);
  }
  size_t size = 0;
  for (const auto& [ordinal, piece] : group.pieces) {
    size += piece.size();
  }
  record.message.reserve(size);
  for (const auto& [ordinal, piece] : group.pieces) {
    record.message += piece;
  }
  return record;
}

void PartialReassembler::Emit(std::map<Key, Group>::iterator it, std::vector<LogRecord>& out) {
  held_bytes_ -= it->second.bytes;
  out.push_back(Join(it->second));
  groups_.erase(it);
}

}  // namespace sidecar::logs
