// FakeIntake: a local stand-in for the Datadog intakes (metrics, traces, logs). It records every
// request (method, path, headers, raw and decompressed body) and decodes known routes into JSON so
// tests assert values, not bytes:
//   /api/v2/series       MetricPayload protobuf   /api/beta/sketches  SketchPayload protobuf
//   /api/v0.2/traces     AgentPayload protobuf    /api/v0.2/stats     msgpack StatsPayload
//   /api/v1/series, /api/v1/check_run, /intake/, /api/v2/logs        JSON
// Protobuf bodies are parsed into the full-runtime mirrors of the schemas (sidecar_proto_reflect,
// tests/testing/CMakeLists.txt) and rendered with google::protobuf::util::MessageToJsonString,
// using the proto field names and printing default-valued scalars; as in the proto3 JSON mapping,
// 64-bit integers are JSON strings and enums are names ("GAUGE"). msgpack bin values become base64
// strings.
//
// Answers 202 with body "{}" unless a fault is scripted. Scripted faults are consumed in this
// order: ResetNext, StallNext, FailNext, then the FailFor window. Thread-safe; the server runs on
// its own thread and stops in the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace sidecar::testing {

namespace internal {
class LoopbackHttpServer;
struct ServerRequest;
struct ServerReply;
}  // namespace internal

struct RecordedRequest {
  std::string method;
  std::string target;                                        // As sent, query string included.
  std::string path;                                          // `target` without the query string.
  std::vector<std::pair<std::string, std::string>> headers;  // In arrival order, names as sent.
  std::string content_encoding;                              // Content-Encoding header or "".
  std::string raw_body;                                      // Bytes as received.
  std::string body;  // Decompressed body ("" when decompression failed).
  // Decoded view of `body` for known routes; null for unknown routes or when decoding failed.
  nlohmann::json decoded;
  std::string decode_error;  // Why decompression or decoding failed; "" on success.
  // What the fake did: the HTTP status it answered, or 0 for a reset or stalled request.
  int status = 0;

  // Value of the first header named `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class FakeIntake {
 public:
  struct Options {
    uint16_t port = 0;  // 0 picks a free port.
    // Answers without decompressing, decoding or keeping the body: for load benchmarks, where the
    // intake shares the machine's cores with what is measured. Requests are still recorded
    // (without `raw_body`, `body` and `decoded`) and counted.
    bool discard_bodies = false;
  };

  // Starts listening on 127.0.0.1. Fails only if the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<FakeIntake>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<FakeIntake>> Start() { return Start(Options{}); }

  FakeIntake(const FakeIntake&) = delete;
  FakeIntake& operator=(const FakeIntake&) = delete;
  ~FakeIntake();

  // Stops the server: stalled connections are closed, later requests are refused. Idempotent.
  void Stop();

  uint16_t port() const;
  // "http://127.0.0.1:<port>", the value for DD_DD_URL / DD_APM_DD_URL /
  // DD_LOGS_CONFIG_LOGS_DD_URL.
  std::string base_url() const;

  // --- Fault injection -----------------------------------------------------------------------
  // The next `count` requests are answered with `status` (body {"errors":["injected failure"]}).
  void FailNext(int status, int count);
  // Requests arriving during the next `duration` are answered with `status`.
  void FailFor(int status, std::chrono::nanoseconds duration);
  // The next `count` requests are read and recorded but never answered (until Stop()).
  void StallNext(int count);
  // The next `count` requests are read and recorded, then the connection is reset (no answer).
  void ResetNext(int count);
  // Every answer is delayed by `delay` (0 disables).
  void SetResponseDelay(std::chrono::nanoseconds delay);
  // Clears every scripted fault and the response delay.
  void ClearFaults();

  // --- Inspection ----------------------------------------------------------------------------
  std::vector<RecordedRequest> Requests() const;
  std::vector<RecordedRequest> RequestsTo(std::string_view path) const;
  // Waits until at least `n` requests to `path` ("" = any path) were recorded, or `timeout` passed.
  // True if the count was reached.
  bool WaitForRequests(std::string_view path, size_t n, std::chrono::nanoseconds timeout) const;
  // Forgets recorded requests (scripted faults stay).
  void ClearRequests();
  // TCP connections accepted so far; fewer than requests means keep-alive reuse.
  int ConnectionsAccepted() const;

  // Called on the server thread after each request is recorded (the tool prints from here).
  // Must not call back into Stop().
  void SetOnRequest(std::function<void(const RecordedRequest&)> callback);

 private:
  FakeIntake();
  internal::ServerReply Handle(internal::ServerRequest request);
  static void DecodeBody(RecordedRequest& record);

  std::unique_ptr<internal::LoopbackHttpServer> server_;
  bool discard_bodies_ = false;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<RecordedRequest> requests_;
  int fail_next_count_ = 0;
  int fail_next_status_ = 0;
  int fail_for_status_ = 0;
  std::chrono::steady_clock::time_point fail_until_;
  int stall_next_count_ = 0;
  int reset_next_count_ = 0;
  std::chrono::nanoseconds response_delay_{0};
  std::function<void(const RecordedRequest&)> on_request_;
};

// Decodes a (decompressed) body received on `path` the way FakeIntake does. Exposed for tests that
// capture payloads another way (e.g. FakeHttpClient). NotFound for a path with no known decoder.
absl::StatusOr<nlohmann::json> DecodeIntakeBody(std::string_view path, std::string_view body);

// msgpack document to JSON (maps with non-string keys get their keys dumped as JSON text).
absl::StatusOr<nlohmann::json> MsgpackToJson(std::string_view data);

}  // namespace sidecar::testing
