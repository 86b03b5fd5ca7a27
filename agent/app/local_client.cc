#include "agent/app/local_client.h"

#include <curl/curl.h>

#include <memory>

#include "fmt/format.h"

namespace sidecar::app {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

}  // namespace

absl::StatusOr<LocalReply> GetLocal(uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, CurlEasyDeleter> handle(curl_easy_init());
  if (handle == nullptr) {
    return absl::InternalError("curl_easy_init failed");
  }
  const std::string url = fmt::format("http://127.0.0.1:{}{}", port, path);
  LocalReply reply;
  curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle.get(), CURLOPT_NOPROXY, "*");
  curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &reply.body);
  const CURLcode code = curl_easy_perform(handle.get());
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        fmt::format("No sidecar answered on 127.0.0.1:{} (DD_HEALTH_PORT): {}", port,
                    curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

}  // namespace sidecar::app
