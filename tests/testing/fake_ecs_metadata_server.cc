#include "tests/testing/fake_ecs_metadata_server.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/testing/loopback_http_server.h"
#include "tests/testing/testdata.h"

namespace sidecar::testing {
namespace {

using internal::ServerReply;
using internal::ServerRequest;

// The /stats document of the container: its entry in the /task/stats map ("" if none).
std::string DeriveContainerStats(const std::string& container, const std::string& task_stats) {
  const nlohmann::json container_json = nlohmann::json::parse(container, nullptr, false);
  const nlohmann::json stats_json = nlohmann::json::parse(task_stats, nullptr, false);
  if (!container_json.is_object() || !stats_json.is_object()) {
    return "";
  }
  const auto id = container_json.find("DockerId");
  if (id == container_json.end() || !id->is_string()) {
    return "";
  }
  const auto entry = stats_json.find(id->get<std::string>());
  if (entry == stats_json.end()) {
    return "";
  }
  return entry->dump();
}

ServerReply TextReply(int status, std::string body) {
  ServerReply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  return reply;
}

}  // namespace

absl::StatusOr<EcsDocuments> LoadEcsFixtures(EcsFlavor flavor, std::string_view dir) {
  const std::string base = dir.empty() ? TestdataPath("ecs") : std::string(dir);
  const std::string prefix = flavor == EcsFlavor::kFargate ? "fargate" : "ec2_awsvpc";
  EcsDocuments documents;

  absl::StatusOr<std::string> container =
      ReadFileToString(absl::StrCat(base, "/", prefix, "_container.json"));
  if (!container.ok()) {
    return container.status();
  }
  absl::StatusOr<std::string> task =
      ReadFileToString(absl::StrCat(base, "/", prefix, "_task.json"));
  if (!task.ok()) {
    return task.status();
  }
  absl::StatusOr<std::string> stats =
      ReadFileToString(absl::StrCat(base, "/", prefix, "_task_stats.json"));
  if (!stats.ok() && flavor == EcsFlavor::kFargate) {
    return stats.status();
  }

  nlohmann::json task_json = nlohmann::json::parse(*task, nullptr, false);
  if (!task_json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "_task.json is not a JSON object."));
  }
  documents.container = *std::move(container);
  documents.task_with_tags = *task;
  const size_t erased = task_json.erase("TaskTags") + task_json.erase("ContainerInstanceTags");
  documents.task = erased == 0 ? *std::move(task) : task_json.dump(2);
  if (stats.ok()) {
    documents.task_stats = *std::move(stats);
  }
  return documents;
}

FakeEcsMetadataServer::FakeEcsMetadataServer(std::string endpoint_id)
    : endpoint_id_(std::move(endpoint_id)), base_path_(absl::StrCat("/v4/", endpoint_id_)) {}

FakeEcsMetadataServer::~FakeEcsMetadataServer() { Stop(); }

absl::StatusOr<std::unique_ptr<FakeEcsMetadataServer>> FakeEcsMetadataServer::Start(
    Options options) {
  std::unique_ptr<FakeEcsMetadataServer> server(
      new FakeEcsMetadataServer(std::move(options.endpoint_id)));
  FakeEcsMetadataServer* raw = server.get();
  absl::StatusOr<std::unique_ptr<internal::LoopbackHttpServer>> http =
      internal::LoopbackHttpServer::Start(
          options.port, [raw](ServerRequest request) { return raw->Handle(std::move(request)); });
  if (!http.ok()) {
    return http.status();
  }
  server->server_ = *std::move(http);
  return server;
}

void FakeEcsMetadataServer::Stop() {
  if (server_ != nullptr) {
    server_->Stop();
  }
}

uint16_t FakeEcsMetadataServer::port() const { return server_->port(); }

std::string FakeEcsMetadataServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port(), base_path_);
}

void FakeEcsMetadataServer::SetDocuments(EcsDocuments documents) {
  std::lock_guard<std::mutex> lock(mu_);
  documents_ = std::move(documents);
}

absl::Status FakeEcsMetadataServer::SetDocument(std::string_view relative_path, std::string json) {
  std::lock_guard<std::mutex> lock(mu_);
  if (relative_path.empty()) {
    documents_.container = std::move(json);
  } else if (relative_path == "/task") {
    documents_.task = std::move(json);
  } else if (relative_path == "/taskWithTags") {
    documents_.task_with_tags = std::move(json);
  } else if (relative_path == "/task/stats") {
    documents_.task_stats = std::move(json);
  } else if (relative_path == "/stats") {
    documents_.container_stats = std::move(json);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("The fake ECS endpoint serves no document at '",
                                                   std::string(relative_path), "'."));
  }
  return absl::OkStatus();
}

absl::Status FakeEcsMetadataServer::LoadFixtures(EcsFlavor flavor, std::string_view dir) {
  absl::StatusOr<EcsDocuments> documents = LoadEcsFixtures(flavor, dir);
  if (!documents.ok()) {
    return documents.status();
  }
  SetDocuments(*std::move(documents));
  return absl::OkStatus();
}

void FakeEcsMetadataServer::SetMode(Mode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = mode;
}

void FakeEcsMetadataServer::FailNext(int status, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_status_ = status;
  fail_next_count_ = std::max(count, 0);
}

void FakeEcsMetadataServer::FailFor(int status, std::chrono::nanoseconds duration) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_for_status_ = status;
  fail_until_ = std::chrono::steady_clock::now() + duration;
}

void FakeEcsMetadataServer::SetDelay(std::chrono::nanoseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_ = delay;
}

void FakeEcsMetadataServer::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = Mode::kNormal;
  fail_next_count_ = 0;
  fail_until_ = {};
  delay_ = std::chrono::nanoseconds::zero();
}

int FakeEcsMetadataServer::RequestCount(std::string_view relative_path) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = counts_.find(relative_path);
  return it == counts_.end() ? 0 : it->second;
}

int FakeEcsMetadataServer::TotalRequests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

bool FakeEcsMetadataServer::WaitForRequests(std::string_view relative_path, int n,
                                            std::chrono::nanoseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    const auto it = counts_.find(relative_path);
    return it != counts_.end() && it->second >= n;
  });
}

void FakeEcsMetadataServer::ClearCounts() {
  std::lock_guard<std::mutex> lock(mu_);
  counts_.clear();
  total_ = 0;
}

ServerReply FakeEcsMetadataServer::Handle(ServerRequest request) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  const bool under_base = path.compare(0, base_path_.size(), base_path_) == 0 &&
                          (path.size() == base_path_.size() || path[base_path_.size()] == '/');
  const std::string relative = under_base ? path.substr(base_path_.size()) : path;

  ServerReply reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[relative];
    ++total_;
    const std::string* document = nullptr;
    std::string derived;
    if (under_base) {
      if (relative.empty()) {
        document = &documents_.container;
      } else if (relative == "/task") {
        document = &documents_.task;
      } else if (relative == "/taskWithTags") {
        document = &documents_.task_with_tags;
      } else if (relative == "/task/stats") {
        document = &documents_.task_stats;
      } else if (relative == "/stats") {
        if (documents_.container_stats.empty()) {
          derived = DeriveContainerStats(documents_.container, documents_.task_stats);
          document = &derived;
        } else {
          document = &documents_.container_stats;
        }
      }
    }

    if (fail_next_count_ > 0) {
      --fail_next_count_;
      reply = TextReply(fail_next_status_, "failed to get task metadata (injected)\n");
    } else if (std::chrono::steady_clock::now() < fail_until_) {
      reply = TextReply(fail_for_status_, "failed to get task metadata (injected)\n");
    } else if (request.method != "GET") {
      reply = TextReply(405, "method not allowed\n");
    } else if (mode_ == Mode::kNotFound || document == nullptr || document->empty()) {
      reply = TextReply(404, absl::StrCat("no metadata at ", path, "\n"));
    } else if (mode_ == Mode::kMalformed) {
      reply.status = 200;
      reply.body = document->substr(0, document->size() / 2);
    } else {
      reply.status = 200;
      reply.body = *document;
    }
    reply.delay = delay_;
  }
  cv_.notify_all();
  return reply;
}

}  // namespace sidecar::testing
