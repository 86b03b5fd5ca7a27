#include "apm/request_headers.h"

#include <charconv>

namespace sidecar::apm {
namespace {

int64_t ParseCount(std::string_view value) {
  int64_t count = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
  if (error != std::errc() || end != value.data() + value.size() || count < 0) {
    return 0;
  }
  return count;
}

}  // namespace

bool IsHeaderTrue(std::string_view value) {
  if (value.empty()) {
    return false;
  }
  for (std::string_view falsy : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (value == falsy) {
      return false;
    }
  }
  return true;
}

std::optional<int64_t> ParseTraceCount(std::string_view value) {
  if (value.empty()) {
    return std::nullopt;
  }
  int64_t count = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
  if (error != std::errc() || end != value.data() + value.size() || count < 0) {
    return std::nullopt;
  }
  return count;
}

TracerInfo ReadTracerInfo(const std::function<std::string_view(std::string_view)>& header) {
  TracerInfo info;
  info.lang = header("Datadog-Meta-Lang");
  info.lang_version = header("Datadog-Meta-Lang-Version");
  info.lang_interpreter = header("Datadog-Meta-Lang-Interpreter");
  info.lang_vendor = header("Datadog-Meta-Lang-Interpreter-Vendor");
  info.tracer_version = header("Datadog-Meta-Tracer-Version");
  const std::string_view entity = header("Datadog-Entity-ID");
  for (std::string_view prefix : {"ci-", "cid-"}) {
    if (entity.substr(0, prefix.size()) == prefix && entity.size() > prefix.size()) {
      info.container_id = entity.substr(prefix.size());
      break;
    }
  }
  if (info.container_id.empty()) {
    info.container_id = header("Datadog-Container-ID");
  }
  info.client_computed_top_level = IsHeaderTrue(header("Datadog-Client-Computed-Top-Level"));
  info.client_computed_stats = IsHeaderTrue(header("Datadog-Client-Computed-Stats"));
  info.client_dropped_p0_traces = ParseCount(header("Datadog-Client-Dropped-P0-Traces"));
  info.client_dropped_p0_spans = ParseCount(header("Datadog-Client-Dropped-P0-Spans"));
  info.obfuscation_version = header("Datadog-Obfuscation-Version");
  return info;
}

}  // namespace sidecar::apm
