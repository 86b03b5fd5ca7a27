// FakeHttpClient: records every request and answers from a script. Completions are held until the
// test calls CompleteNext()/CompleteAll(), so a test controls exactly when a response "arrives".
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "agent/forwarder/http_client.h"

namespace sidecar::testing {

class FakeHttpClient final : public forwarder::HttpClient {
 public:
  struct Pending {
    forwarder::HttpRequest request;
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };

  // Responses used in order by CompleteNext(); when the script is empty, `default_status` answers.
  void ScriptStatus(int status) {
    script_.push_back(forwarder::HttpResult{absl::OkStatus(), {status, {}, ""}});
  }
  void ScriptTransportError(std::string message = "connection refused") {
    script_.push_back(forwarder::HttpResult{absl::UnavailableError(std::move(message)), {}});
  }
  void SetDefaultStatus(int status) { default_status_ = status; }
  // When set, every Send() also schedules one CompleteNext() through `executor` (e.g. a post to
  // an io_context), for tests of threaded adapters where the test cannot call it in order.
  void SetAutoCompleteExecutor(std::function<void(std::function<void()>)> executor) {
    auto_complete_ = std::move(executor);
  }

  void Send(forwarder::HttpRequest request, std::chrono::steady_clock::time_point deadline,
            Done done) override {
    sent_.push_back(request);
    pending_.push_back(Pending{std::move(request), deadline, std::move(done)});
    if (auto_complete_) {
      auto_complete_([this] { CompleteNext(); });
    }
  }

  void Drain(std::chrono::steady_clock::time_point /*deadline*/) override {
    drained_ = true;
    CompleteAll();
  }

  // Completes the oldest in-flight request with the next scripted result. False if none in flight.
  bool CompleteNext() {
    if (pending_.empty()) {
      return false;
    }
    Pending pending = std::move(pending_.front());
    pending_.pop_front();
    forwarder::HttpResult result;
    if (!script_.empty()) {
      result = std::move(script_.front());
      script_.pop_front();
    } else {
      result.response.status = default_status_;
    }
    pending.done(std::move(result));
    return true;
  }

  // Completes in-flight requests (including ones started by completions) until none is left.
  int CompleteAll() {
    int completed = 0;
    while (CompleteNext()) {
      ++completed;
    }
    return completed;
  }

  const std::vector<forwarder::HttpRequest>& sent() const { return sent_; }
  size_t in_flight() const { return pending_.size(); }
  bool drained() const { return drained_; }

 private:
  std::vector<forwarder::HttpRequest> sent_;
  std::deque<Pending> pending_;
  std::deque<forwarder::HttpResult> script_;
  int default_status_ = 202;
  std::function<void(std::function<void()>)> auto_complete_;
  bool drained_ = false;
};

}  // namespace sidecar::testing
