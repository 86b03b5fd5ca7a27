// FakeEcsMetadataServer: a local ECS task metadata endpoint v4 (TMDE). It serves, under
// base_url() = http://127.0.0.1:<port>/v4/<endpoint id> (the value for
// ECS_CONTAINER_METADATA_URI_V4):
//   {base}               container document        {base}/task          task document
//   {base}/taskWithTags  task document with tags   {base}/task/stats    stats of every container
//   {base}/stats         stats of this container (when not set explicitly: the /task/stats entry
//                        keyed by the container document's DockerId, at request time)
// A document left empty answers 404. Other paths answer 404 (as TMDS does for unknown ids), non-GET
// methods 405. Faults apply in this order: FailNext, then the FailFor window, then the mode
// (kNotFound answers 404 everywhere, kMalformed sends the first half of each document). A delay
// applies to every answer. Thread-safe; the server has its own thread and stops in the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sidecar::testing {

namespace internal {
class LoopbackHttpServer;
struct ServerRequest;
struct ServerReply;
}  // namespace internal

enum class EcsFlavor { kFargate, kEc2Awsvpc };

// JSON documents served by the fake; "" means "answer 404".
struct EcsDocuments {
  std::string container;
  std::string task;
  std::string task_with_tags;
  std::string task_stats;
  std::string container_stats;  // "" derives it from task_stats (see above).
};

// Reads the fixture set of a flavor from `dir` ("" = tests/testdata/ecs):
//   kFargate:   fargate_container.json, fargate_task.json, fargate_task_stats.json
//   kEc2Awsvpc: ec2_awsvpc_container.json, ec2_awsvpc_task.json (+ ec2_awsvpc_task_stats.json if
//               present)
// The task file is served as /taskWithTags; /task gets the same document without TaskTags and
// ContainerInstanceTags (ECS only adds those on /taskWithTags).
absl::StatusOr<EcsDocuments> LoadEcsFixtures(EcsFlavor flavor, std::string_view dir = "");

class FakeEcsMetadataServer {
 public:
  enum class Mode {
    kNormal,
    kNotFound,   // Every path answers 404.
    kMalformed,  // Documents are cut in half (truncated JSON, status 200).
  };

  struct Options {
    uint16_t port = 0;  // 0 picks a free port.
    // Last path segment of the base URL; opaque to clients. Fargate ids look like DockerIds.
    std::string endpoint_id = "5f3a8c2e-1b7d-4e6a-9c0f-2d4b6e8a1c3f";
  };

  static absl::StatusOr<std::unique_ptr<FakeEcsMetadataServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<FakeEcsMetadataServer>> Start() { return Start(Options{}); }

  FakeEcsMetadataServer(const FakeEcsMetadataServer&) = delete;
  FakeEcsMetadataServer& operator=(const FakeEcsMetadataServer&) = delete;
  ~FakeEcsMetadataServer();

  void Stop();  // Idempotent.

  uint16_t port() const;
  // "http://127.0.0.1:<port>/v4/<endpoint id>".
  std::string base_url() const;
  const std::string& endpoint_id() const { return endpoint_id_; }

  // --- Documents -----------------------------------------------------------------------------
  void SetDocuments(EcsDocuments documents);
  // `relative_path` is one of "", "/task", "/taskWithTags", "/task/stats", "/stats".
  // InvalidArgument for any other path.
  absl::Status SetDocument(std::string_view relative_path, std::string json);
  // LoadEcsFixtures + SetDocuments.
  absl::Status LoadFixtures(EcsFlavor flavor, std::string_view dir = "");

  // --- Faults --------------------------------------------------------------------------------
  void SetMode(Mode mode);
  // The next `count` requests answer `status` (e.g. 500) with a text body.
  void FailNext(int status, int count);
  // Requests arriving during the next `duration` answer `status`.
  void FailFor(int status, std::chrono::nanoseconds duration);
  // Every answer waits `delay` first (a slow endpoint); 0 disables.
  void SetDelay(std::chrono::nanoseconds delay);
  // Back to kNormal, no scripted failures, no delay.
  void ClearFaults();

  // --- Inspection ----------------------------------------------------------------------------
  // Requests received for a path relative to the base ("" is the container document); paths
  // outside the base are counted under their full path.
  int RequestCount(std::string_view relative_path) const;
  int TotalRequests() const;
  bool WaitForRequests(std::string_view relative_path, int n,
                       std::chrono::nanoseconds timeout) const;
  void ClearCounts();

 private:
  explicit FakeEcsMetadataServer(std::string endpoint_id);
  internal::ServerReply Handle(internal::ServerRequest request);

  const std::string endpoint_id_;
  const std::string base_path_;  // "/v4/<endpoint id>"
  std::unique_ptr<internal::LoopbackHttpServer> server_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  EcsDocuments documents_;
  Mode mode_ = Mode::kNormal;
  int fail_next_status_ = 0;
  int fail_next_count_ = 0;
  int fail_for_status_ = 0;
  std::chrono::steady_clock::time_point fail_until_;
  std::chrono::nanoseconds delay_{0};
  std::map<std::string, int, std::less<>> counts_;
  int total_ = 0;
};

}  // namespace sidecar::testing
