// CurlApi: every libcurl function CurlHttpClient calls, behind one seam. Production uses
// DlopenCurlApi, which loads libcurl.so.4 with dlopen the first time a request is sent: linking
// libcurl (Debian's libcurl4-openssl) maps ~25 libraries at exec (OpenSSL; through libldap also
// gnutls, nettle, krb5, ...) and curl_global_init initializes OpenSSL, together ~7-8 MiB of
// resident memory in a sidecar that may never send anything. Tests use FakeCurlApi
// (tests/agent/forwarder/fake_curl_api.h) to make libcurl fail where the real one will not.
//
// curl.h is used for its types and constants only: no project target links libcurl, so a direct
// curl_* call fails to link.
#pragma once

#include <curl/curl.h>

#include <mutex>
#include <string>

#include "absl/status/status.h"

namespace sidecar::forwarder {

class CurlApi {
 public:
  virtual ~CurlApi() = default;

  // Makes libcurl usable (production: dlopen, dlsym, curl_global_init), once: thread-safe, and
  // every call returns the first call's result. No other method may be called before Load()
  // returned OK.
  virtual absl::Status Load() = 0;

  virtual CURL* EasyInit() = 0;
  virtual void EasyCleanup(CURL* easy) = 0;
  // curl_easy_setopt is variadic: one method per argument type we pass.
  virtual CURLcode EasySetoptLong(CURL* easy, CURLoption option, long value) = 0;
  virtual CURLcode EasySetoptOffset(CURL* easy, CURLoption option, curl_off_t value) = 0;
  virtual CURLcode EasySetoptPointer(CURL* easy, CURLoption option, const void* value) = 0;
  virtual CURLcode EasySetoptCallback(CURL* easy, CURLoption option, curl_write_callback value) = 0;
  virtual CURLcode EasyGetinfoLong(CURL* easy, CURLINFO info, long* value) = 0;
  virtual const char* EasyStrerror(CURLcode code) = 0;

  virtual CURLM* MultiInit() = 0;
  virtual CURLMcode MultiCleanup(CURLM* multi) = 0;
  virtual CURLMcode MultiAddHandle(CURLM* multi, CURL* easy) = 0;
  virtual CURLMcode MultiRemoveHandle(CURLM* multi, CURL* easy) = 0;
  virtual CURLMcode MultiPerform(CURLM* multi, int* running) = 0;
  // curl_multi_poll without extra file descriptors.
  virtual CURLMcode MultiPoll(CURLM* multi, int timeout_ms) = 0;
  virtual CURLMcode MultiWakeup(CURLM* multi) = 0;
  virtual CURLMsg* MultiInfoRead(CURLM* multi, int* left) = 0;
  virtual const char* MultiStrerror(CURLMcode code) = 0;

  virtual curl_slist* SlistAppend(curl_slist* list, const char* text) = 0;
  virtual void SlistFreeAll(curl_slist* list) = 0;
};

// Debian's libcurl4-openssl also maps GnuTLS (through librtmp and libldap) for protocols
// CurlHttpClient never enables: it allows http and https only, and those use OpenSSL. GnuTLS
// initializes itself as it is loaded unless GNUTLS_NO_IMPLICIT_INIT is set (a documented GnuTLS
// variable), which kept ~0.8 MiB more resident once libcurl was loaded. Sets it to "1" unless the
// environment has a value. Call at process start, before any other thread exists: setenv is not
// thread-safe.
void SkipUnusedGnutlsInit();

class DlopenCurlApi final : public CurlApi {
 public:
  static constexpr char kLibrary[] = "libcurl.so.4";

  // The process-wide instance CurlHttpClient uses by default. Never destroyed, and libcurl, once
  // loaded, is never unloaded: OpenSSL cannot be unloaded safely and curl_global_cleanup is not
  // thread-safe.
  static DlopenCurlApi& Default();

  // `library` is a dlopen name; tests pass one that does not exist or is not libcurl.
  explicit DlopenCurlApi(std::string library = kLibrary);
  DlopenCurlApi(const DlopenCurlApi&) = delete;
  DlopenCurlApi& operator=(const DlopenCurlApi&) = delete;

  // Errors are FailedPrecondition, e.g. "libcurl.so.4 could not be loaded: <dlerror>".
  absl::Status Load() override;

  CURL* EasyInit() override;
  void EasyCleanup(CURL* easy) override;
  CURLcode EasySetoptLong(CURL* easy, CURLoption option, long value) override;
  CURLcode EasySetoptOffset(CURL* easy, CURLoption option, curl_off_t value) override;
  CURLcode EasySetoptPointer(CURL* easy, CURLoption option, const void* value) override;
  CURLcode EasySetoptCallback(CURL* easy, CURLoption option, curl_write_callback value) override;
  CURLcode EasyGetinfoLong(CURL* easy, CURLINFO info, long* value) override;
  const char* EasyStrerror(CURLcode code) override;
  CURLM* MultiInit() override;
  CURLMcode MultiCleanup(CURLM* multi) override;
  CURLMcode MultiAddHandle(CURLM* multi, CURL* easy) override;
  CURLMcode MultiRemoveHandle(CURLM* multi, CURL* easy) override;
  CURLMcode MultiPerform(CURLM* multi, int* running) override;
  CURLMcode MultiPoll(CURLM* multi, int timeout_ms) override;
  CURLMcode MultiWakeup(CURLM* multi) override;
  CURLMsg* MultiInfoRead(CURLM* multi, int* left) override;
  const char* MultiStrerror(CURLMcode code) override;
  curl_slist* SlistAppend(curl_slist* list, const char* text) override;
  void SlistFreeAll(curl_slist* list) override;

 private:
  // Resolved by Load(); decltype of the curl.h declarations keeps the signatures exact without
  // referencing (and so linking) the functions.
  struct Symbols {
    decltype(&::curl_global_init) global_init = nullptr;
    decltype(&::curl_easy_init) easy_init = nullptr;
    decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&::curl_easy_setopt) easy_setopt = nullptr;
    decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&::curl_easy_strerror) easy_strerror = nullptr;
    decltype(&::curl_multi_init) multi_init = nullptr;
    decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
    decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
    decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
    decltype(&::curl_multi_perform) multi_perform = nullptr;
    decltype(&::curl_multi_poll) multi_poll = nullptr;
    decltype(&::curl_multi_wakeup) multi_wakeup = nullptr;
    decltype(&::curl_multi_info_read) multi_info_read = nullptr;
    decltype(&::curl_multi_strerror) multi_strerror = nullptr;
    decltype(&::curl_slist_append) slist_append = nullptr;
    decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  };

  absl::Status LoadOnce();

  const std::string library_;
  std::once_flag once_;
  absl::Status status_;  // Written once, inside once_; read only after it.
  Symbols curl_;         // Likewise.
};

}  // namespace sidecar::forwarder
