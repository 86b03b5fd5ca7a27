// FakeCurlApi: the real libcurl (DlopenCurlApi::Default()) with failures injected on demand, so
// CurlHttpClient's error paths run against real transfers: libcurl failing to load,
// curl_multi_init / curl_easy_init returning null, curl_multi_add_handle refusing a handle. Knobs
// are atomics: tests set them while the client's worker thread reads them.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "agent/forwarder/curl_api.h"

namespace sidecar::forwarder {

class FakeCurlApi final : public CurlApi {
 public:
  // Knobs.
  // When set, Load() returns this error (as DlopenCurlApi does when dlopen fails) and the real
  // libcurl is never touched.
  void FailLoad(std::string message) { load_error_ = absl::FailedPreconditionError(message); }
  std::atomic<int> multi_init_failures{0};  // The next N curl_multi_init calls return null.
  std::atomic<int> easy_init_failures{0};   // The next N curl_easy_init calls return null.
  std::atomic<int> add_handle_failures{0};  // The next N curl_multi_add_handle calls fail.
  std::atomic<int> multi_init_delay_ms{0};  // curl_multi_init sleeps this long first.

  // Observations.
  std::atomic<int> load_calls{0};
  std::atomic<int> multi_init_calls{0};
  std::atomic<int> easy_init_calls{0};
  std::atomic<int> easy_cleanup_calls{0};
  std::atomic<int> other_calls{0};  // Any other CurlApi method.

  absl::Status Load() override {
    ++load_calls;
    if (!load_error_.ok()) {
      return load_error_;
    }
    return real_.Load();
  }

  CURL* EasyInit() override {
    ++easy_init_calls;
    if (TakeFailure(easy_init_failures)) {
      return nullptr;
    }
    return real_.EasyInit();
  }
  void EasyCleanup(CURL* easy) override {
    ++easy_cleanup_calls;
    real_.EasyCleanup(easy);
  }
  CURLcode EasySetoptLong(CURL* easy, CURLoption option, long value) override {
    ++other_calls;
    return real_.EasySetoptLong(easy, option, value);
  }
  CURLcode EasySetoptOffset(CURL* easy, CURLoption option, curl_off_t value) override {
    ++other_calls;
    return real_.EasySetoptOffset(easy, option, value);
  }
  CURLcode EasySetoptPointer(CURL* easy, CURLoption option, const void* value) override {
    ++other_calls;
    return real_.EasySetoptPointer(easy, option, value);
  }
  CURLcode EasySetoptCallback(CURL* easy, CURLoption option, curl_write_callback value) override {
    ++other_calls;
    return real_.EasySetoptCallback(easy, option, value);
  }
  CURLcode EasyGetinfoLong(CURL* easy, CURLINFO info, long* value) override {
    ++other_calls;
    return real_.EasyGetinfoLong(easy, info, value);
  }
  const char* EasyStrerror(CURLcode code) override {
    ++other_calls;
    return real_.EasyStrerror(code);
  }

  CURLM* MultiInit() override {
    ++multi_init_calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(multi_init_delay_ms.load()));
    if (TakeFailure(multi_init_failures)) {
      return nullptr;
    }
    return real_.MultiInit();
  }
  CURLMcode MultiCleanup(CURLM* multi) override {
    ++other_calls;
    return real_.MultiCleanup(multi);
  }
  CURLMcode MultiAddHandle(CURLM* multi, CURL* easy) override {
    ++other_calls;
    if (TakeFailure(add_handle_failures)) {
      return CURLM_OUT_OF_MEMORY;
    }
    return real_.MultiAddHandle(multi, easy);
  }
  CURLMcode MultiRemoveHandle(CURLM* multi, CURL* easy) override {
    ++other_calls;
    return real_.MultiRemoveHandle(multi, easy);
  }
  CURLMcode MultiPerform(CURLM* multi, int* running) override {
    ++other_calls;
    return real_.MultiPerform(multi, running);
  }
  CURLMcode MultiPoll(CURLM* multi, int timeout_ms) override {
    ++other_calls;
    return real_.MultiPoll(multi, timeout_ms);
  }
  CURLMcode MultiWakeup(CURLM* multi) override {
    ++other_calls;
    return real_.MultiWakeup(multi);
  }
  CURLMsg* MultiInfoRead(CURLM* multi, int* left) override {
    ++other_calls;
    return real_.MultiInfoRead(multi, left);
  }
  const char* MultiStrerror(CURLMcode code) override {
    ++other_calls;
    return real_.MultiStrerror(code);
  }
  curl_slist* SlistAppend(curl_slist* list, const char* text) override {
    ++other_calls;
    return real_.SlistAppend(list, text);
  }
  void SlistFreeAll(curl_slist* list) override {
    ++other_calls;
    real_.SlistFreeAll(list);
  }

  // Every call of any method.
  int TotalCalls() const {
    return load_calls + multi_init_calls + easy_init_calls + easy_cleanup_calls + other_calls;
  }

 private:
  static bool TakeFailure(std::atomic<int>& failures) {
    int left = failures.load();
    while (left > 0) {
      if (failures.compare_exchange_weak(left, left - 1)) {
        return true;
      }
    }
    return false;
  }

  CurlApi& real_ = DlopenCurlApi::Default();
  absl::Status load_error_;  // Set before the client exists; read-only afterwards.
};

}  // namespace sidecar::forwarder
