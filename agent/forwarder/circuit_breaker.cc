#include "agent/forwarder/circuit_breaker.h"

namespace sidecar::forwarder {
namespace {

// This abseil build has its own string_view type, so heterogeneous lookups need one.
absl::string_view Key(std::string_view url) { return absl::string_view(url.data(), url.size()); }

}  // namespace

std::string_view CircuitStateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kUnblocked:
      return "unblocked";
    case CircuitBreaker::State::kBlocked:
      return "blocked";
    case CircuitBreaker::State::kHalfOpen:
      break;
  }
  return "half_open";
}

CircuitBreaker::CircuitBreaker(const Backoff& backoff, const common::Clock& clock)
    : backoff_(backoff), clock_(clock) {}

const CircuitBreaker::Target* CircuitBreaker::Find(std::string_view url) const {
  auto it = targets_.find(Key(url));
  return it == targets_.end() ? nullptr : &it->second;
}

bool CircuitBreaker::WouldAllow(std::string_view url) const {
  const Target* target = Find(url);
  if (target == nullptr) {
    return true;
  }
  switch (target->state) {
    case State::kUnblocked:
      return true;
    case State::kBlocked:
      return clock_.SteadyNow() >= target->until;
    case State::kHalfOpen:
      break;
  }
  return false;
}

bool CircuitBreaker::AllowSend(std::string_view url) {
  if (!WouldAllow(url)) {
    return false;
  }
  auto it = targets_.find(Key(url));
  if (it != targets_.end() && it->second.state == State::kBlocked) {
    it->second.state = State::kHalfOpen;
  }
  return true;
}

void CircuitBreaker::RecordError(std::string_view url) {
  Target& target = targets_[Key(url)];
  if (target.state == State::kBlocked) {
    return;
  }
  target.errors = backoff_.IncrementErrors(target.errors);
  target.state = State::kBlocked;
  target.until = clock_.SteadyNow() + backoff_.Delay(target.errors);
}

void CircuitBreaker::RecordSuccess(std::string_view url) {
  auto it = targets_.find(Key(url));
  if (it == targets_.end() || it->second.state == State::kBlocked) {
    return;
  }
  Target& target = it->second;
  target.errors = backoff_.DecrementErrors(target.errors);
  target.state = State::kUnblocked;
  if (target.errors == 0) {
    targets_.erase(it);
  }
}

CircuitBreaker::State CircuitBreaker::StateOf(std::string_view url) const {
  const Target* target = Find(url);
  return target == nullptr ? State::kUnblocked : target->state;
}

int CircuitBreaker::ErrorCount(std::string_view url) const {
  const Target* target = Find(url);
  return target == nullptr ? 0 : target->errors;
}

std::chrono::steady_clock::time_point CircuitBreaker::BlockedUntil(std::string_view url) const {
  const Target* target = Find(url);
  return target == nullptr ? std::chrono::steady_clock::time_point{} : target->until;
}

}  // namespace sidecar::forwarder
