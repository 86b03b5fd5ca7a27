#include "agent/forwarder/curl_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <utility>

namespace sidecar::forwarder {
namespace {

std::string DlError() {
  const char* error = dlerror();
  return error != nullptr ? error : "unknown dlopen error";
}

// Looks `name` up in `handle` into `function`; false, with `error` set, when it is missing.
template <typename Function>
bool Resolve(void* handle, const char* name, Function& function, std::string& error) {
  dlerror();  // Clears a stale error, so a null result is told apart from a null symbol.
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) {
    error = std::string(name) + ": " + DlError();
    return false;
  }
  function = reinterpret_cast<Function>(symbol);
  return true;
}

}  // namespace

void SkipUnusedGnutlsInit() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): documented as called before any other thread exists.
  setenv("GNUTLS_NO_IMPLICIT_INIT", "1", /*overwrite=*/0);
}

DlopenCurlApi& DlopenCurlApi::Default() {
  static DlopenCurlApi* const api = new DlopenCurlApi();
  return *api;
}

DlopenCurlApi::DlopenCurlApi(std::string library) : library_(std::move(library)) {}

absl::Status DlopenCurlApi::Load() {
  std::call_once(once_, [this] { status_ = LoadOnce(); });
  return status_;
}

absl::Status DlopenCurlApi::LoadOnce() {
  // RTLD_LOCAL: libcurl's dependencies (OpenSSL, gnutls via libldap, ...) stay out of the global
  // namespace. RTLD_NOW: a missing symbol fails here rather than in the middle of a request.
  void* handle = dlopen(library_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return absl::FailedPreconditionError(library_ + " could not be loaded: " + DlError());
  }
  Symbols symbols;
  std::string error;
  const bool resolved =
      Resolve(handle, "curl_global_init", symbols.global_init, error) &&
      Resolve(handle, "curl_easy_init", symbols.easy_init, error) &&
      Resolve(handle, "curl_easy_cleanup", symbols.easy_cleanup, error) &&
      Resolve(handle, "curl_easy_setopt", symbols.easy_setopt, error) &&
      Resolve(handle, "curl_easy_getinfo", symbols.easy_getinfo, error) &&
      Resolve(handle, "curl_easy_strerror", symbols.easy_strerror, error) &&
      Resolve(handle, "curl_multi_init", symbols.multi_init, error) &&
      Resolve(handle, "curl_multi_cleanup", symbols.multi_cleanup, error) &&
      Resolve(handle, "curl_multi_add_handle", symbols.multi_add_handle, error) &&
      Resolve(handle, "curl_multi_remove_handle", symbols.multi_remove_handle, error) &&
      Resolve(handle, "curl_multi_perform", symbols.multi_perform, error) &&
      Resolve(handle, "curl_multi_poll", symbols.multi_poll, error) &&
      Resolve(handle, "curl_multi_wakeup", symbols.multi_wakeup, error) &&
      Resolve(handle, "curl_multi_info_read", symbols.multi_info_read, error) &&
      Resolve(handle, "curl_multi_strerror", symbols.multi_strerror, error) &&
      Resolve(handle, "curl_slist_append", symbols.slist_append, error) &&
      Resolve(handle, "curl_slist_free_all", symbols.slist_free_all, error);
  if (!resolved) {
    dlclose(handle);  // Nothing from it ran yet, so unloading is safe.
    return absl::FailedPreconditionError(library_ + " is not a usable libcurl: " + error);
  }
  if (CURLcode code = symbols.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    // Kept loaded: a failed curl_global_init may have initialized part of OpenSSL.
    return absl::FailedPreconditionError(std::string("curl_global_init failed: ") +
                                         symbols.easy_strerror(code));
  }
  curl_ = symbols;
  return absl::OkStatus();
}

CURL* DlopenCurlApi::EasyInit() { return curl_.easy_init(); }

void DlopenCurlApi::EasyCleanup(CURL* easy) { curl_.easy_cleanup(easy); }

CURLcode DlopenCurlApi::EasySetoptLong(CURL* easy, CURLoption option, long value) {
  return curl_.easy_setopt(easy, option, value);
}

CURLcode DlopenCurlApi::EasySetoptOffset(CURL* easy, CURLoption option, curl_off_t value) {
  return curl_.easy_setopt(easy, option, value);
}

CURLcode DlopenCurlApi::EasySetoptPointer(CURL* easy, CURLoption option, const void* value) {
  return curl_.easy_setopt(easy, option, value);
}

CURLcode DlopenCurlApi::EasySetoptCallback(CURL* easy, CURLoption option,
                                           curl_write_callback value) {
  return curl_.easy_setopt(easy, option, value);
}

CURLcode DlopenCurlApi::EasyGetinfoLong(CURL* easy, CURLINFO info, long* value) {
  return curl_.easy_getinfo(easy, info, value);
}

const char* DlopenCurlApi::EasyStrerror(CURLcode code) { return curl_.easy_strerror(code); }

CURLM* DlopenCurlApi::MultiInit() { return curl_.multi_init(); }

CURLMcode DlopenCurlApi::MultiCleanup(CURLM* multi) { return curl_.multi_cleanup(multi); }

CURLMcode DlopenCurlApi::MultiAddHandle(CURLM* multi, CURL* easy) {
  return curl_.multi_add_handle(multi, easy);
}

CURLMcode DlopenCurlApi::MultiRemoveHandle(CURLM* multi, CURL* easy) {
  return curl_.multi_remove_handle(multi, easy);
}

CURLMcode DlopenCurlApi::MultiPerform(CURLM* multi, int* running) {
  return curl_.multi_perform(multi, running);
}

CURLMcode DlopenCurlApi::MultiPoll(CURLM* multi, int timeout_ms) {
  return curl_.multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
}

CURLMcode DlopenCurlApi::MultiWakeup(CURLM* multi) { return curl_.multi_wakeup(multi); }

CURLMsg* DlopenCurlApi::MultiInfoRead(CURLM* multi, int* left) {
  return curl_.multi_info_read(multi, left);
}

const char* DlopenCurlApi::MultiStrerror(CURLMcode code) { return curl_.multi_strerror(code); }

curl_slist* DlopenCurlApi::SlistAppend(curl_slist* list, const char* text) {
  return curl_.slist_append(list, text);
}

void DlopenCurlApi::SlistFreeAll(curl_slist* list) { curl_.slist_free_all(list); }

}  // namespace sidecar::forwarder
