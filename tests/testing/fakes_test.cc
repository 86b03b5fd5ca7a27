// Tests for the shared fakes: FakeIntake (decoding, faults, keep-alive) and FakeEcsMetadataServer
// (fixtures, fault modes), driven by a minimal Beast client over real loopback sockets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "agent/common/beast.h"
#include "proto/metrics.pb.h"
#include "proto/trace_agent_payload.pb.h"
#include "tests/testing/decompress.h"
#include "tests/testing/fake_ecs_metadata_server.h"
#include "tests/testing/fake_intake.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testdata.h"

namespace sidecar::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr std::chrono::seconds kWait{5};

struct ClientResponse {
  boost::system::error_code error;
  int status = 0;
  std::string body;
};

// One keep-alive HTTP/1.1 connection, driven synchronously with a deadline per request.
class MiniClient {
 public:
  explicit MiniClient(uint16_t port) : port_(port), stream_(ioc_) {}

  ClientResponse Send(http::verb verb, const std::string& target, std::string body = "",
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      std::chrono::milliseconds timeout = 5s) {
    ClientResponse out;
    if (!connected_) {
      const asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port_);
      stream_.expires_after(timeout);
      stream_.async_connect(endpoint, [&out](boost::system::error_code ec) { out.error = ec; });
      RunLoop();
      if (out.error) {
        return out;
      }
      connected_ = true;
    }
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) {
      request.set(name, value);
    }
    request.body() = std::move(body);
    request.keep_alive(true);
    request.prepare_payload();
    http::response<http::string_body> response;
    buffer_.clear();
    stream_.expires_after(timeout);
    http::async_write(stream_, request, [&](boost::system::error_code ec, size_t /*bytes*/) {
      if (ec) {
        out.error = ec;
        return;
      }
      http::async_read(stream_, buffer_, response,
                       [&out](boost::system::error_code read_ec, size_t) { out.error = read_ec; });
    });
    RunLoop();
    if (out.error) {
      Close();
      return out;
    }
    out.status = static_cast<int>(response.result_int());
    out.body = response.body();
    if (!response.keep_alive()) {
      Close();
    }
    return out;
  }

  ClientResponse Get(const std::string& target, std::chrono::milliseconds timeout = 5s) {
    return Send(http::verb::get, target, "", {}, timeout);
  }

 private:
  void RunLoop() {
    ioc_.restart();
    ioc_.run();
  }
  void Close() {
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
    connected_ = false;
  }

  uint16_t port_;
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

std::unique_ptr<FakeIntake> StartIntake() {
  auto intake = FakeIntake::Start();
  EXPECT_THAT(intake, IsOk());
  return intake.ok() ? *std::move(intake) : nullptr;
}

std::string Must(absl::StatusOr<std::string> value) {
  EXPECT_THAT(value, IsOk());
  return value.ok() ? *std::move(value) : std::string();
}

// ------------------------------------------------------------------------------------------------
// FakeIntake

TEST(FakeIntakeTest, DecodesZstdMetricPayloadIntoJson) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  datadog::agentpayload::MetricPayload payload;
  auto* series = payload.add_series();
  series->set_metric("sidecar.test.gauge");
  series->add_tags("env:prod");
  series->add_tags("service:web");
  series->set_type(datadog::agentpayload::MetricPayload::GAUGE);
  series->set_interval(10);
  auto* resource = series->add_resources();
  resource->set_type("host");
  resource->set_name("");
  auto* point = series->add_points();
  point->set_value(1.5);
  point->set_timestamp(1700000000);
  series->mutable_metadata()->mutable_origin()->set_origin_product(10);
  series->mutable_metadata()->mutable_origin()->set_origin_category(10);

  const std::string body = Must(Compress("zstd", payload.SerializeAsString()));
  ASSERT_FALSE(body.empty());
  MiniClient client(intake->port());
  const ClientResponse response = client.Send(http::verb::post, "/api/v2/series", body,
                                              {{"Content-Type", "application/x-protobuf"},
                                               {"Content-Encoding", "zstd"},
                                               {"DD-API-KEY", "0123456789abcdef"}});
  ASSERT_FALSE(response.error) << response.error.message();
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "{}");

  const std::vector<RecordedRequest> requests = intake->RequestsTo("/api/v2/series");
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.content_encoding, "zstd");
  EXPECT_EQ(request.Header("dd-api-key"), "0123456789abcdef");
  EXPECT_EQ(request.raw_body, body);
  EXPECT_EQ(request.body, payload.SerializeAsString());
  EXPECT_THAT(request.decode_error, IsEmpty());
  EXPECT_EQ(request.status, 202);
  const nlohmann::json& decoded = request.decoded;
  ASSERT_TRUE(decoded.contains("series")) << decoded.dump();
  const nlohmann::json& s = decoded["series"][0];
  EXPECT_EQ(s["metric"], "sidecar.test.gauge");
  EXPECT_EQ(s["tags"], nlohmann::json({"env:prod", "service:web"}));
  EXPECT_EQ(s["type"], "GAUGE");
  EXPECT_EQ(s["interval"], "10");  // proto3 JSON: 64-bit integers are strings.
  EXPECT_EQ(s["resources"][0]["type"], "host");
  EXPECT_EQ(s["points"][0]["value"], 1.5);
  EXPECT_EQ(s["points"][0]["timestamp"], "1700000000");
  EXPECT_EQ(s["metadata"]["origin"]["origin_product"], 10);
  EXPECT_EQ(s["metadata"]["origin"]["origin_category"], 10);
  EXPECT_EQ(s["source_type_name"], "");  // Default-valued scalars are printed.
}

TEST(FakeIntakeTest, DiscardBodiesAnswersAndRecordsWithoutDecoding) {
  auto intake = FakeIntake::Start({.discard_bodies = true});
  ASSERT_THAT(intake, IsOk());
  MiniClient client((*intake)->port());
  // Not zstd at all: decoding would have failed and said so.
  const ClientResponse response =
      client.Send(http::verb::post, "/api/v2/series", "not zstd", {{"Content-Encoding", "zstd"}});
  ASSERT_FALSE(response.error) << response.error.message();
  EXPECT_EQ(response.status, 202);

  const std::vector<RecordedRequest> requests = (*intake)->RequestsTo("/api/v2/series");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].content_encoding, "zstd");
  EXPECT_EQ(requests[0].status, 202);
  EXPECT_THAT(requests[0].raw_body, IsEmpty());
  EXPECT_THAT(requests[0].body, IsEmpty());
  EXPECT_TRUE(requests[0].decoded.is_null());
  EXPECT_THAT(requests[0].decode_error, IsEmpty());
}

TEST(FakeIntakeTest, DecodesDeflateSketchPayloadWithSignedKeys) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  datadog::agentpayload::SketchPayload payload;
  auto* sketch = payload.add_sketches();
  sketch->set_metric("request.latency");
  auto* dog = sketch->add_dogsketches();
  dog->set_ts(1700000000);
  dog->set_cnt(3);
  dog->add_k(-1338);
  dog->add_k(1338);
  dog->add_k(1383);
  dog->add_n(1);
  dog->add_n(1);
  dog->add_n(1);
  payload.mutable_metadata();

  MiniClient client(intake->port());
  const ClientResponse response = client.Send(
      http::verb::post, "/api/beta/sketches",
      Must(Compress("deflate", payload.SerializeAsString())), {{"Content-Encoding", "deflate"}});
  ASSERT_FALSE(response.error) << response.error.message();
  ASSERT_TRUE(intake->WaitForRequests("/api/beta/sketches", 1, kWait));
  const nlohmann::json decoded = intake->RequestsTo("/api/beta/sketches")[0].decoded;
  const nlohmann::json& d = decoded["sketches"][0]["dogsketches"][0];
  EXPECT_EQ(d["k"], nlohmann::json({-1338, 1338, 1383}));
  EXPECT_EQ(d["n"], nlohmann::json({1, 1, 1}));
  EXPECT_EQ(d["cnt"], "3");
}

TEST(FakeIntakeTest, DecodesGzipAgentPayload) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  datadog::trace::AgentPayload payload;
  payload.set_env("none");
  (*payload.mutable_tags())["_dd.apm_mode"] = "full";
  auto* tracer = payload.add_tracerpayloads();
  tracer->set_languagename("python");
  auto* chunk = tracer->add_chunks();
  chunk->set_priority(1);
  auto* span = chunk->add_spans();
  span->set_service("web");
  span->set_name("http.request");
  span->set_traceid(18446744073709551615ull);
  span->set_spanid(42);
  (*span->mutable_meta())["http.method"] = "GET";
  auto* event = span->add_spanevents();
  event->set_name("exception");
  auto& attribute = (*event->mutable_attributes())["count"];
  attribute.set_type(datadog::trace::AttributeAnyValue::INT_VALUE);
  attribute.set_int_value(2);

  MiniClient client(intake->port());
  const ClientResponse response = client.Send(
      http::verb::post, "/api/v0.2/traces", Must(Compress("gzip", payload.SerializeAsString())),
      {{"Content-Encoding", "gzip"}, {"Content-Type", "application/x-protobuf"}});
  ASSERT_FALSE(response.error) << response.error.message();
  ASSERT_TRUE(intake->WaitForRequests("/api/v0.2/traces", 1, kWait));
  const nlohmann::json decoded = intake->RequestsTo("/api/v0.2/traces")[0].decoded;
  EXPECT_EQ(decoded["env"], "none");
  EXPECT_EQ(decoded["tags"]["_dd.apm_mode"], "full");
  const nlohmann::json& s = decoded["tracerPayloads"][0]["chunks"][0]["spans"][0];
  EXPECT_EQ(s["name"], "http.request");
  EXPECT_EQ(s["traceID"], "18446744073709551615");  // Exact: no round trip through double.
  EXPECT_EQ(s["meta"]["http.method"], "GET");
  EXPECT_EQ(s["spanEvents"][0]["attributes"]["count"]["int_value"], "2");
}

TEST(FakeIntakeTest, DecodesGzipMsgpackStats) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  std::stringstream packed;
  msgpack::packer<std::stringstream> packer(packed);
  packer.pack_map(2);
  packer.pack(std::string("AgentHostname"));
  packer.pack(std::string(""));
  packer.pack(std::string("Stats"));
  packer.pack_array(1);
  packer.pack_map(3);
  packer.pack(std::string("Hits"));
  packer.pack(uint64_t{3});
  packer.pack(std::string("Duration"));
  packer.pack(-5);
  packer.pack(std::string("OkSummary"));
  packer.pack_bin(3);
  packer.pack_bin_body("\x01\x02\x03", 3);

  MiniClient client(intake->port());
  const ClientResponse response =
      client.Send(http::verb::post, "/api/v0.2/stats", Must(Compress("gzip", packed.str())),
                  {{"Content-Encoding", "gzip"}, {"Content-Type", "application/msgpack"}});
  ASSERT_FALSE(response.error) << response.error.message();
  ASSERT_TRUE(intake->WaitForRequests("/api/v0.2/stats", 1, kWait));
  const nlohmann::json decoded = intake->RequestsTo("/api/v0.2/stats")[0].decoded;
  EXPECT_EQ(decoded["AgentHostname"], "");
  EXPECT_EQ(decoded["Stats"][0]["Hits"], 3);
  EXPECT_EQ(decoded["Stats"][0]["Duration"], -5);
  EXPECT_EQ(decoded["Stats"][0]["OkSummary"], "AQID");  // base64 of 01 02 03
}

TEST(FakeIntakeTest, DecodesJsonRoutesAndReportsCorruptBodies) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  MiniClient client(intake->port());
  ASSERT_FALSE(client.Send(http::verb::post, "/api/v2/logs", R"([{"message":"hello"}])").error);
  ASSERT_FALSE(client
                   .Send(http::verb::post, "/api/v1/check_run", "not zstd at all",
                         {{"Content-Encoding", "zstd"}})
                   .error);
  ASSERT_FALSE(client.Send(http::verb::post, "/intake/", "{broken json").error);
  ASSERT_TRUE(intake->WaitForRequests("", 3, kWait));

  const std::vector<RecordedRequest> requests = intake->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].decoded[0]["message"], "hello");
  EXPECT_TRUE(requests[1].decoded.is_null());
  EXPECT_THAT(requests[1].decode_error, HasSubstr("zstd"));
  EXPECT_EQ(requests[1].status, 202);  // A body the fake cannot read is still accepted.
  EXPECT_TRUE(requests[2].decoded.is_null());
  EXPECT_THAT(requests[2].decode_error, HasSubstr("JSON"));
}

TEST(FakeIntakeTest, FailNextAnswersStatusNTimesThenAccepts) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  intake->FailNext(503, 2);
  MiniClient client(intake->port());
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i) {
    const ClientResponse response = client.Send(http::verb::post, "/api/v2/series", "");
    ASSERT_FALSE(response.error) << response.error.message();
    statuses.push_back(response.status);
  }
  EXPECT_THAT(statuses, ElementsAre(503, 503, 202));
  std::vector<int> recorded;
  for (const RecordedRequest& request : intake->Requests()) {
    recorded.push_back(request.status);
  }
  EXPECT_THAT(recorded, ElementsAre(503, 503, 202));
  // All three went over one kept-alive connection, failures included.
  EXPECT_EQ(intake->ConnectionsAccepted(), 1);
}

TEST(FakeIntakeTest, FailForAnswersStatusDuringTheWindowOnly) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  MiniClient client(intake->port());
  intake->FailFor(429, 1h);
  EXPECT_EQ(client.Send(http::verb::post, "/api/v2/logs", "[]").status, 429);
  EXPECT_EQ(client.Send(http::verb::post, "/api/v2/logs", "[]").status, 429);
  intake->FailFor(429, 0s);  // Window already over.
  EXPECT_EQ(client.Send(http::verb::post, "/api/v2/logs", "[]").status, 202);
}

TEST(FakeIntakeTest, ResetNextClosesTheConnectionWithoutAnswer) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  intake->ResetNext(1);
  MiniClient client(intake->port());
  const ClientResponse reset = client.Send(http::verb::post, "/api/v2/series", "x");
  EXPECT_TRUE(reset.error);
  EXPECT_EQ(reset.status, 0);
  const ClientResponse next = client.Send(http::verb::post, "/api/v2/series", "y");
  ASSERT_FALSE(next.error) << next.error.message();
  EXPECT_EQ(next.status, 202);

  const std::vector<RecordedRequest> requests = intake->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].raw_body, "x");  // Read and recorded before the reset.
  EXPECT_EQ(requests[0].status, 0);
  EXPECT_EQ(requests[1].status, 202);
  EXPECT_EQ(intake->ConnectionsAccepted(), 2);
}

TEST(FakeIntakeTest, StallNextHoldsTheRequestUntilStopped) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  intake->StallNext(1);
  MiniClient client(intake->port());
  const ClientResponse stalled = client.Send(http::verb::post, "/api/v2/logs", "[]", {}, 300ms);
  EXPECT_EQ(stalled.error, beast::error::timeout);
  EXPECT_TRUE(intake->WaitForRequests("/api/v2/logs", 1, kWait));

  // The stall applies to one request only; a new connection is answered.
  MiniClient second(intake->port());
  EXPECT_EQ(second.Send(http::verb::post, "/api/v2/logs", "[]").status, 202);

  // Stop() closes the stalled connection instead of waiting for it.
  const auto start = std::chrono::steady_clock::now();
  intake->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(FakeIntakeTest, WaitForRequestsTimesOutWhenCountNotReached) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  MiniClient client(intake->port());
  ASSERT_EQ(client.Send(http::verb::post, "/api/v2/series", "").status, 202);
  EXPECT_TRUE(intake->WaitForRequests("/api/v2/series", 1, 10ms));
  EXPECT_FALSE(intake->WaitForRequests("/api/v2/series", 2, 50ms));
  EXPECT_FALSE(intake->WaitForRequests("/api/v2/logs", 1, 10ms));
  intake->ClearRequests();
  EXPECT_THAT(intake->Requests(), IsEmpty());
}

TEST(FakeIntakeTest, ResponseDelayDelaysTheAnswer) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  intake->SetResponseDelay(200ms);
  MiniClient client(intake->port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.Send(http::verb::post, "/api/v2/series", "").status, 202);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST(FakeIntakeTest, BaseUrlNamesTheListeningPort) {
  auto intake = StartIntake();
  ASSERT_NE(intake, nullptr);
  EXPECT_NE(intake->port(), 0);
  EXPECT_EQ(intake->base_url(), "http://127.0.0.1:" + std::to_string(intake->port()));
}

// ------------------------------------------------------------------------------------------------
// FakeEcsMetadataServer

std::unique_ptr<FakeEcsMetadataServer> StartEcs(EcsFlavor flavor) {
  auto server = FakeEcsMetadataServer::Start();
  EXPECT_THAT(server, IsOk());
  if (!server.ok()) {
    return nullptr;
  }
  EXPECT_THAT((*server)->LoadFixtures(flavor), IsOk());
  return *std::move(server);
}

std::string BasePath(const FakeEcsMetadataServer& server) { return "/v4/" + server.endpoint_id(); }

nlohmann::json ParseOrNull(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

TEST(FakeEcsMetadataServerTest, ServesFargateFixtures) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->base_url(),
            "http://127.0.0.1:" + std::to_string(server->port()) + BasePath(*server));
  MiniClient client(server->port());
  const std::string base = BasePath(*server);

  const ClientResponse container = client.Get(base);
  ASSERT_EQ(container.status, 200);
  EXPECT_EQ(ParseOrNull(container.body)["DockerId"], "67cd8a22b533459696d4ccab5278e009-2860414825");

  const ClientResponse task = client.Get(base + "/task");
  ASSERT_EQ(task.status, 200);
  const nlohmann::json task_json = ParseOrNull(task.body);
  EXPECT_EQ(task_json["Cluster"],
            "arn:aws:ecs:ap-northeast-1:601427279990:cluster/akira-fargate-check-cluster");
  EXPECT_EQ(task_json["LaunchType"], "FARGATE");
  EXPECT_EQ(task_json["Containers"].size(), 2u);

  const ClientResponse task_stats = client.Get(base + "/task/stats");
  ASSERT_EQ(task_stats.status, 200);
  EXPECT_EQ(ParseOrNull(task_stats.body).size(), 2u);

  // /stats is this container's entry of /task/stats.
  const ClientResponse stats = client.Get(base + "/stats");
  ASSERT_EQ(stats.status, 200);
  const nlohmann::json stats_json = ParseOrNull(stats.body);
  EXPECT_EQ(stats_json["name"], "dd-agent");
  EXPECT_EQ(stats_json["cpu_stats"]["cpu_usage"]["total_usage"], 4817594472);

  EXPECT_EQ(server->RequestCount(""), 1);
  EXPECT_EQ(server->RequestCount("/task"), 1);
  EXPECT_EQ(server->RequestCount("/task/stats"), 1);
  EXPECT_EQ(server->RequestCount("/stats"), 1);
  EXPECT_EQ(server->TotalRequests(), 4);
}

TEST(FakeEcsMetadataServerTest, ServesEc2TaskWithoutTagsOnTaskPath) {
  auto server = StartEcs(EcsFlavor::kEc2Awsvpc);
  ASSERT_NE(server, nullptr);
  MiniClient client(server->port());
  const nlohmann::json task = ParseOrNull(client.Get(BasePath(*server) + "/task").body);
  const nlohmann::json with_tags =
      ParseOrNull(client.Get(BasePath(*server) + "/taskWithTags").body);
  EXPECT_EQ(task["Cluster"], "default");
  EXPECT_FALSE(task.contains("TaskTags"));
  EXPECT_EQ(with_tags["TaskTags"]["tag-use"], "task-metadata-endpoint-test");
  EXPECT_EQ(task["Containers"], with_tags["Containers"]);
  // No stats fixture for EC2: 404.
  EXPECT_EQ(client.Get(BasePath(*server) + "/task/stats").status, 404);
}

TEST(FakeEcsMetadataServerTest, FailNextAnswers500ThenRecovers) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  server->FailNext(500, 2);
  MiniClient client(server->port());
  const std::string path = BasePath(*server) + "/task";
  EXPECT_EQ(client.Get(path).status, 500);
  EXPECT_EQ(client.Get(path).status, 500);
  const ClientResponse recovered = client.Get(path);
  EXPECT_EQ(recovered.status, 200);
  EXPECT_TRUE(ParseOrNull(recovered.body).is_object());
  EXPECT_EQ(server->RequestCount("/task"), 3);
}

TEST(FakeEcsMetadataServerTest, FailForAnswers500UntilCleared) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  server->FailFor(500, 1h);
  MiniClient client(server->port());
  EXPECT_EQ(client.Get(BasePath(*server)).status, 500);
  EXPECT_EQ(client.Get(BasePath(*server) + "/task").status, 500);
  server->ClearFaults();
  EXPECT_EQ(client.Get(BasePath(*server) + "/task").status, 200);
}

TEST(FakeEcsMetadataServerTest, NotFoundModeAnswers404Everywhere) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  server->SetMode(FakeEcsMetadataServer::Mode::kNotFound);
  MiniClient client(server->port());
  EXPECT_EQ(client.Get(BasePath(*server)).status, 404);
  EXPECT_EQ(client.Get(BasePath(*server) + "/task").status, 404);
  server->SetMode(FakeEcsMetadataServer::Mode::kNormal);
  EXPECT_EQ(client.Get(BasePath(*server) + "/task").status, 200);
}

TEST(FakeEcsMetadataServerTest, UnknownPathsAndMethodsAreRejected) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  MiniClient client(server->port());
  EXPECT_EQ(client.Get("/v4/some-other-id/task").status, 404);
  EXPECT_EQ(client.Get(BasePath(*server) + "/tasks/stats/extra").status, 404);
  EXPECT_EQ(client.Send(http::verb::post, BasePath(*server) + "/task", "{}").status, 405);
  EXPECT_EQ(server->RequestCount("/v4/some-other-id/task"), 1);
}

TEST(FakeEcsMetadataServerTest, MalformedModeTruncatesDocuments) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  server->SetMode(FakeEcsMetadataServer::Mode::kMalformed);
  MiniClient client(server->port());
  const ClientResponse response = client.Get(BasePath(*server) + "/task");
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.body.empty());
  EXPECT_TRUE(ParseOrNull(response.body).is_discarded());
}

TEST(FakeEcsMetadataServerTest, SlowModeDelaysAnswers) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  server->SetDelay(200ms);
  MiniClient client(server->port());
  EXPECT_EQ(client.Get(BasePath(*server) + "/task", 50ms).error, beast::error::timeout);
  MiniClient patient(server->port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(patient.Get(BasePath(*server) + "/task").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST(FakeEcsMetadataServerTest, DocumentsCanBeReplacedAtRuntime) {
  auto server = StartEcs(EcsFlavor::kFargate);
  ASSERT_NE(server, nullptr);
  ASSERT_THAT(
      server->SetDocument("/task/stats",
                          Must(ReadFileToString(TestdataPath("ecs/fargate_task_stats_2.json")))),
      IsOk());
  EXPECT_THAT(server->SetDocument("/nope", "{}"), StatusIs(absl::StatusCode::kInvalidArgument));
  MiniClient client(server->port());
  // The derived /stats follows the new /task/stats.
  const nlohmann::json stats = ParseOrNull(client.Get(BasePath(*server) + "/stats").body);
  EXPECT_EQ(stats["read"], "2023-06-20T01:19:55.077611502Z");
  ASSERT_THAT(server->SetDocument("", R"({"DockerId":"other"})"), IsOk());
  EXPECT_EQ(client.Get(BasePath(*server) + "/stats").status, 404);
}

// ------------------------------------------------------------------------------------------------
// Fixtures

double SecondsOfDay(const std::string& rfc3339) {
  // "2023-06-20T01:19:45.077342978Z" -> seconds since midnight.
  const int hours = std::stoi(rfc3339.substr(11, 2));
  const int minutes = std::stoi(rfc3339.substr(14, 2));
  const double seconds = std::stod(rfc3339.substr(17, rfc3339.size() - 18));
  return hours * 3600 + minutes * 60 + seconds;
}

TEST(EcsFixturesTest, EveryFixtureIsValidJson) {
  for (const char* name :
       {"fargate_task.json", "fargate_container.json", "fargate_task_stats.json",
        "fargate_task_stats_2.json", "ec2_awsvpc_task.json", "ec2_awsvpc_container.json"}) {
    const std::string text = Must(ReadFileToString(TestdataPath(std::string("ecs/") + name)));
    EXPECT_TRUE(ParseOrNull(text).is_object()) << name;
  }
}

TEST(EcsFixturesTest, ContainerDocumentsAppearInTheirTask) {
  for (const auto& [task_file, container_file] :
       std::map<std::string, std::string>{{"fargate_task.json", "fargate_container.json"},
                                          {"ec2_awsvpc_task.json", "ec2_awsvpc_container.json"}}) {
    const nlohmann::json task =
        ParseOrNull(Must(ReadFileToString(TestdataPath("ecs/" + task_file))));
    const nlohmann::json container =
        ParseOrNull(Must(ReadFileToString(TestdataPath("ecs/" + container_file))));
    bool found = false;
    for (const nlohmann::json& entry : task["Containers"]) {
      found = found || entry == container;
    }
    EXPECT_TRUE(found) << container_file << " is not an entry of " << task_file;
  }
}

TEST(EcsFixturesTest, SecondStatsSampleFollowsTheFirst) {
  const nlohmann::json first =
      ParseOrNull(Must(ReadFileToString(TestdataPath("ecs/fargate_task_stats.json"))));
  const nlohmann::json second =
      ParseOrNull(Must(ReadFileToString(TestdataPath("ecs/fargate_task_stats_2.json"))));
  ASSERT_EQ(first.size(), second.size());
  for (const auto& [id, before] : first.items()) {
    ASSERT_TRUE(second.contains(id)) << id;
    const nlohmann::json& after = second[id];
    const double gap = SecondsOfDay(after["read"]) - SecondsOfDay(before["read"]);
    EXPECT_GE(gap, 10.0) << id;
    EXPECT_LE(gap, 20.0) << id;
    EXPECT_EQ(after["preread"], before["read"]) << id;
    EXPECT_EQ(after["precpu_stats"], before["cpu_stats"]) << id;
    const auto total = [](const nlohmann::json& s) {
      return s["cpu_stats"]["cpu_usage"]["total_usage"].get<uint64_t>();
    };
    EXPECT_GT(total(after), total(before)) << id;
    uint64_t percpu_sum = 0;
    for (const auto& value : after["cpu_stats"]["cpu_usage"]["percpu_usage"]) {
      percpu_sum += value.get<uint64_t>();
    }
    EXPECT_EQ(percpu_sum, total(after)) << id;
    EXPECT_GE(after["networks"]["eth1"]["rx_bytes"].get<uint64_t>(),
              before["networks"]["eth1"]["rx_bytes"].get<uint64_t>())
        << id;
  }
}

}  // namespace
}  // namespace sidecar::testing
