// The real binary as the task's trace agent: recorded dd-trace-js requests (v0.4 as sent, v0.5 in
// dd-trace-py's string-table layout, client stats) are posted to its APM port; SIGTERM then flushes
// everything, and the fake intake decodes the AgentPayload and StatsPayload it received.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <set>
#include <thread>

#include "agent/app/local_client.h"
#include "nlohmann/json.hpp"
#include "tests/integration/agent_process.h"
#include "tests/testing/fake_ecs_metadata_server.h"
#include "tests/testing/fake_intake.h"
#include "tests/testing/http_test_client.h"
#include "tests/testing/testdata.h"

namespace sidecar::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTaskArn[] =
    "arn:aws:ecs:ap-northeast-1:601427279990:task/akira-fargate-check-cluster/"
    "67cd8a22b533459696d4ccab5278e009";
constexpr auto kTimeout = std::chrono::seconds(30);

std::string Capture(const std::string& name) {
  auto bytes =
      testing::ReadFileToString(std::string(SIDECAR_SHARED_TESTDATA) + "/clients/apm/" + name);
  EXPECT_TRUE(bytes.ok()) << name;
  return bytes.ok() ? *bytes : std::string();
}

// The recorded request: its path, method and headers as dd-trace-js sent them, and its body.
testing::HttpTestRequest RecordedRequest(const std::string& stem) {
  const nlohmann::json headers = nlohmann::json::parse(Capture(stem + ".headers.json"));
  testing::HttpTestRequest request;
  request.method = headers["method"].get<std::string>();
  request.target = headers["path"].get<std::string>();
  for (const auto& header : headers["headers"]) {
    const std::string name = header[0].get<std::string>();
    if (name != "Host" && name != "Content-Length" && name != "Connection") {
      request.headers.emplace_back(name, header[1].get<std::string>());
    }
  }
  request.body = Capture(stem + ".msgpack");
  return request;
}

bool WaitForTaskTags(uint16_t health_port) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = app::GetLocal(health_port, "/status", std::chrono::seconds(2));
    if (reply.ok()) {
      const auto status = nlohmann::json::parse(reply->body, nullptr, false);
      if (status.contains("details") && status["details"]["task"].is_object() &&
          status["details"]["task"].value("task_arn", "") == kTaskArn) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

class ApmIntegrationTest : public ::testing::Test {
 protected:
  void StartAgent(std::map<std::string, std::string> extra = {}) {
    intake_ = *testing::FakeIntake::Start();
    metadata_ = *testing::FakeEcsMetadataServer::Start();
    ASSERT_TRUE(metadata_->LoadFixtures(testing::EcsFlavor::kFargate).ok());
    health_port_ = FreePort();
    apm_port_ = FreePort();
    std::map<std::string, std::string> environment = {
        {"DD_API_KEY", "0123456789abcdef0123456789abcdef"},
        {"DD_DD_URL", intake_->base_url()},
        {"DD_APM_DD_URL", intake_->base_url()},
        {"DD_HEALTH_PORT", std::to_string(health_port_)},
        {"DD_DOGSTATSD_PORT", "0"},
        {"DD_DOGSTATSD_SOCKET", ""},
        {"DD_APM_RECEIVER_PORT", std::to_string(apm_port_)},
        {"DD_ENV", "sidecar-env"},
        {"ECS_CONTAINER_METADATA_URI_V4", metadata_->base_url()}};
    for (auto& [key, value] : extra) {
      environment[key] = value;
    }
    agent_ = std::make_unique<AgentProcess>(std::vector<std::string>{"run"}, environment);
    ASSERT_TRUE(WaitForHttpStatus(health_port_, "/health", 200, std::chrono::seconds(20)))
        << agent_->Output();
    ASSERT_TRUE(WaitForTaskTags(health_port_)) << agent_->Output();
  }

  testing::HttpTestReply Send(const testing::HttpTestRequest& request) {
    auto reply = testing::SendHttp(apm_port_, request);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : testing::HttpTestReply{};
  }

  void StopAgent() {
    agent_->Signal(SIGTERM);
    ASSERT_EQ(agent_->Wait(kTimeout), 0) << agent_->Output();
  }

  std::vector<nlohmann::json> Spans() {
    std::vector<nlohmann::json> spans;
    for (const auto& request : intake_->RequestsTo("/api/v0.2/traces")) {
      for (const auto& tracer_payload : request.decoded.value("tracerPayloads", nlohmann::json())) {
        for (const auto& chunk : tracer_payload.value("chunks", nlohmann::json())) {
          for (const auto& span : chunk.value("spans", nlohmann::json())) {
            spans.push_back(span);
          }
        }
      }
    }
    return spans;
  }

  std::unique_ptr<testing::FakeIntake> intake_;
  std::unique_ptr<testing::FakeEcsMetadataServer> metadata_;
  std::unique_ptr<AgentProcess> agent_;
  uint16_t health_port_ = 0;
  uint16_t apm_port_ = 0;
};

TEST_F(ApmIntegrationTest, RecordedDdTraceJsPayloadsReachTheIntakeOnSigterm) {
  StartAgent();
  const testing::HttpTestReply v04 = Send(RecordedRequest("dd-trace-js-v0.4-traces"));
  EXPECT_EQ(v04.status, 200);
  EXPECT_THAT(v04.body, HasSubstr("rate_by_service"));
  EXPECT_FALSE(v04.Header("datadog-agent-state").empty());
  const testing::HttpTestReply v05 = Send(RecordedRequest("dd-trace-js-v0.5-traces"));
  EXPECT_EQ(v05.status, 200);
  // Traces are flushed every 5 s; SIGTERM must not lose the ones still buffered.
  StopAgent();

  const auto requests = intake_->RequestsTo("/api/v0.2/traces");
  ASSERT_FALSE(requests.empty()) << agent_->Output();
  for (const auto& request : requests) {
    EXPECT_EQ(request.content_encoding, "zstd");
    EXPECT_TRUE(request.decode_error.empty()) << request.decode_error;
  }
  const nlohmann::json& agent_payload = requests[0].decoded;
  EXPECT_EQ(agent_payload.value("env", ""), "sidecar-env");
  EXPECT_EQ(agent_payload.value("hostName", ""), "") << "Fargate: no hostname";
  const nlohmann::json& tracer_payload = agent_payload["tracerPayloads"][0];
  EXPECT_EQ(tracer_payload.value("languageName", ""), "nodejs");
  EXPECT_EQ(tracer_payload.value("tracerVersion", ""), "5.132.0");
  EXPECT_THAT(tracer_payload["tags"].value("_dd.tags.container", ""),
              HasSubstr(std::string("task_arn:") + kTaskArn));

  std::set<std::string> names;
  std::set<std::string> trace_ids;
  for (const auto& span : Spans()) {
    names.insert(span.value("name", ""));
    trace_ids.insert(span.value("traceID", ""));
    const std::string resource = span.value("resource", "");
    if (span.value("name", "") == "postgres.query") {
      // O1-style SQL obfuscation: literals replaced, never sent upstream.
      EXPECT_THAT(resource, Not(HasSubstr("alice@example.com")));
      EXPECT_THAT(resource, HasSubstr("?"));
    }
    const nlohmann::json meta = span.value("meta", nlohmann::json::object());
    if (meta.contains("http.url")) {
      EXPECT_THAT(meta["http.url"].get<std::string>(), Not(HasSubstr("s3cr3t-pa55")));
    }
  }
  for (const char* name :
       {"web.request", "postgres.query", "http.request", "cart.compute", "redis.command"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  // Trace B was continued with a trace id above 2^63: exact upstream.
  EXPECT_TRUE(trace_ids.count("12345678901234567890"));

  // APM stats computed by the sidecar (the tracer did not compute them) reach /api/v0.2/stats.
  const auto stats = intake_->RequestsTo("/api/v0.2/stats");
  ASSERT_FALSE(stats.empty()) << agent_->Output();
  const std::string stats_json = stats[0].decoded.dump();
  EXPECT_THAT(stats_json, HasSubstr("\"checkout\""));
  EXPECT_THAT(stats_json, HasSubstr("web.request"));
}

TEST_F(ApmIntegrationTest, ClientStatsArePassedThrough) {
  StartAgent();
  const testing::HttpTestReply reply = Send(RecordedRequest("dd-trace-js-v0.6-stats"));
  EXPECT_EQ(reply.status, 200);
  StopAgent();
  bool client_computed = false;
  for (const auto& request : intake_->RequestsTo("/api/v0.2/stats")) {
    if (request.decoded.value("ClientComputed", false)) {
      client_computed = true;
    }
  }
  EXPECT_TRUE(client_computed) << agent_->Output();
}

// Self-telemetry upstream (self_metrics.h): the Agent heartbeat at start, and the trace-agent's
// counters sent through our own DogStatsD pipeline, so they carry the task tags; the last report
// is flushed at SIGTERM.
TEST_F(ApmIntegrationTest, SelfMetricsReachTheIntakeUnderTheAgentsNames) {
  StartAgent({{"DD_SIDECAR_SELF_METRICS_ENABLED", "true"},
              {"DD_DOGSTATSD_PORT", std::to_string(FreePort(SOCK_DGRAM))}});
  EXPECT_EQ(Send(RecordedRequest("dd-trace-js-v0.4-traces")).status, 200);
  StopAgent();

  bool running = false;
  double traces_received = 0;
  std::vector<std::string> traces_received_tags;
  bool heartbeat = false;
  for (const auto& request : intake_->RequestsTo("/api/v2/series")) {
    for (const auto& serie : request.decoded["series"]) {
      const std::string metric = serie.value("metric", "");
      const auto tags = serie.value("tags", std::vector<std::string>{});
      if (metric == "datadog.agent.running") {
        running = true;
        EXPECT_EQ(serie.value("type", ""), "GAUGE");
        EXPECT_THAT(tags, ::testing::Contains("version:7.60.1"));
        EXPECT_EQ(serie["points"][0].value("value", 0.0), 1.0);
      }
      if (metric == "datadog.trace_agent.heartbeat") {
        heartbeat = true;
      }
      if (metric == "datadog.trace_agent.receiver.traces_received") {
        EXPECT_EQ(serie.value("type", ""), "RATE");
        traces_received_tags = tags;
        for (const auto& point : serie["points"]) {
          traces_received += point.value("value", 0.0) * 10;
        }
      }
    }
  }
  EXPECT_TRUE(running) << agent_->Output();
  EXPECT_TRUE(heartbeat);
  EXPECT_GE(traces_received, 1.0);
  EXPECT_THAT(traces_received_tags, ::testing::Contains(std::string("task_arn:") + kTaskArn));

  bool agent_up = false;
  for (const auto& request : intake_->RequestsTo("/api/v1/check_run")) {
    for (const auto& check : request.decoded) {
      if (check.value("check", "") == "datadog.agent.up") {
        agent_up = true;
        EXPECT_EQ(check.value("status", -1), 0);
        EXPECT_EQ(check.value("host_name", "x"), "");
      }
    }
  }
  EXPECT_TRUE(agent_up);
}

TEST_F(ApmIntegrationTest, InfoAdvertisesTheServedEndpoints) {
  StartAgent();
  testing::HttpTestRequest request;
  request.method = "GET";
  request.target = "/info";
  const testing::HttpTestReply reply = Send(request);
  ASSERT_EQ(reply.status, 200);
  const nlohmann::json info = nlohmann::json::parse(reply.body);
  EXPECT_EQ(info["config"]["default_env"], "sidecar-env");
  const auto endpoints = info["endpoints"].get<std::vector<std::string>>();
  EXPECT_THAT(endpoints, ::testing::Contains("/v0.4/traces"));
  EXPECT_THAT(endpoints, ::testing::Contains("/v0.6/stats"));
  StopAgent();
}

}  // namespace
}  // namespace sidecar::integration
