#include "tests/testing/fake_intake.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <msgpack.hpp>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "proto_reflect/metrics_reflect.pb.h"
#include "proto_reflect/trace_agent_payload_reflect.pb.h"
#include "tests/testing/decompress.h"
#include "tests/testing/loopback_http_server.h"

namespace sidecar::testing {
namespace {

using internal::ServerReply;
using internal::ServerRequest;

constexpr int kMaxMsgpackDepth = 128;

template <typename Message>
absl::StatusOr<nlohmann::json> ProtobufToJson(std::string_view body) {
  Message message;
  if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("body is not a valid ", message.GetTypeName(), " protobuf"));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string text;
  const auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("MessageToJsonString: ", status.ToString()));
  }
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError("MessageToJsonString produced invalid JSON");
  }
  return json;
}

absl::StatusOr<nlohmann::json> ParseJson(std::string_view body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError("body is not valid JSON");
  }
  return json;
}

absl::StatusOr<nlohmann::json> MsgpackObjectToJson(const msgpack::object& object, int depth) {
  if (depth > kMaxMsgpackDepth) {
    return absl::InvalidArgumentError("msgpack nesting too deep");
  }
  switch (object.type) {
    case msgpack::type::NIL:
      return nlohmann::json(nullptr);
    case msgpack::type::BOOLEAN:
      return nlohmann::json(object.via.boolean);
    case msgpack::type::POSITIVE_INTEGER:
      return nlohmann::json(object.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return nlohmann::json(object.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return nlohmann::json(object.via.f64);
    case msgpack::type::STR:
      return nlohmann::json(std::string(object.via.str.ptr, object.via.str.size));
    case msgpack::type::BIN:
      return nlohmann::json(
          absl::Base64Escape(absl::string_view(object.via.bin.ptr, object.via.bin.size)));
    case msgpack::type::EXT:
      return nlohmann::json{{"ext_type", object.via.ext.type()},
                            {"data", absl::Base64Escape(absl::string_view(object.via.ext.data(),
                                                                          object.via.ext.size))}};
    case msgpack::type::ARRAY: {
      nlohmann::json array = nlohmann::json::array();
      for (uint32_t i = 0; i < object.via.array.size; ++i) {
        absl::StatusOr<nlohmann::json> item =
            MsgpackObjectToJson(object.via.array.ptr[i], depth + 1);
        if (!item.ok()) {
          return item.status();
        }
        array.push_back(*std::move(item));
      }
      return array;
    }
    case msgpack::type::MAP: {
      nlohmann::json map = nlohmann::json::object();
      for (uint32_t i = 0; i < object.via.map.size; ++i) {
        const msgpack::object_kv& kv = object.via.map.ptr[i];
        std::string key;
        if (kv.key.type == msgpack::type::STR) {
          key.assign(kv.key.via.str.ptr, kv.key.via.str.size);
        } else {
          absl::StatusOr<nlohmann::json> key_json = MsgpackObjectToJson(kv.key, depth + 1);
          if (!key_json.ok()) {
            return key_json.status();
          }
          key = key_json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        absl::StatusOr<nlohmann::json> value = MsgpackObjectToJson(kv.val, depth + 1);
        if (!value.ok()) {
          return value.status();
        }
        map[key] = *std::move(value);
      }
      return map;
    }
  }
  return absl::InvalidArgumentError("unknown msgpack type");
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

}  // namespace

std::string RecordedRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return "";
}

bool RecordedRequest::HasHeader(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [name](const auto& header) { return EqualsIgnoreCase(header.first, name); });
}

absl::StatusOr<nlohmann::json> MsgpackToJson(std::string_view data) {
  try {
    msgpack::object_handle handle = msgpack::unpack(data.data(), data.size());
    return MsgpackObjectToJson(handle.get(), 0);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("body is not valid msgpack: ", e.what()));
  }
}

absl::StatusOr<nlohmann::json> DecodeIntakeBody(std::string_view path, std::string_view body) {
  if (path == "/api/v2/series") {
    return ProtobufToJson<sidecar_reflect::datadog::agentpayload::MetricPayload>(body);
  }
  if (path == "/api/beta/sketches") {
    return ProtobufToJson<sidecar_reflect::datadog::agentpayload::SketchPayload>(body);
  }
  if (path == "/api/v0.2/traces") {
    return ProtobufToJson<sidecar_reflect::datadog::trace::AgentPayload>(body);
  }
  if (path == "/api/v0.2/stats") {
    return MsgpackToJson(body);
  }
  if (path == "/api/v1/series" || path == "/api/v1/check_run" || path == "/intake/" ||
      path == "/api/v2/logs") {
    return ParseJson(body);
  }
  return absl::NotFoundError(absl::StrCat("no decoder for path '", std::string(path), "'"));
}

FakeIntake::FakeIntake() = default;

FakeIntake::~FakeIntake() { Stop(); }

absl::StatusOr<std::unique_ptr<FakeIntake>> FakeIntake::Start(Options options) {
  std::unique_ptr<FakeIntake> intake(new FakeIntake());
  FakeIntake* raw = intake.get();
  intake->discard_bodies_ = options.discard_bodies;
  absl::StatusOr<std::unique_ptr<internal::LoopbackHttpServer>> server =
      internal::LoopbackHttpServer::Start(
          options.port, [raw](ServerRequest request) { return raw->Handle(std::move(request)); });
  if (!server.ok()) {
    return server.status();
  }
  intake->server_ = *std::move(server);
  return intake;
}

void FakeIntake::Stop() {
  if (server_ != nullptr) {
    server_->Stop();
  }
}

uint16_t FakeIntake::port() const { return server_->port(); }

std::string FakeIntake::base_url() const { return absl::StrCat("http://127.0.0.1:", port()); }

void FakeIntake::FailNext(int status, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_status_ = status;
  fail_next_count_ = std::max(count, 0);
}

void FakeIntake::FailFor(int status, std::chrono::nanoseconds duration) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_for_status_ = status;
  fail_until_ = std::chrono::steady_clock::now() + duration;
}

void FakeIntake::StallNext(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  stall_next_count_ = std::max(count, 0);
}

void FakeIntake::ResetNext(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  reset_next_count_ = std::max(count, 0);
}

void FakeIntake::SetResponseDelay(std::chrono::nanoseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  response_delay_ = delay;
}

void FakeIntake::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_count_ = 0;
  fail_until_ = {};
  stall_next_count_ = 0;
  reset_next_count_ = 0;
  response_delay_ = std::chrono::nanoseconds::zero();
}

std::vector<RecordedRequest> FakeIntake::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<RecordedRequest> FakeIntake::RequestsTo(std::string_view path) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RecordedRequest> out;
  for (const RecordedRequest& request : requests_) {
    if (request.path == path) {
      out.push_back(request);
    }
  }
  return out;
}

bool FakeIntake::WaitForRequests(std::string_view path, size_t n,
                                 std::chrono::nanoseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    if (path.empty()) {
      return requests_.size() >= n;
    }
    const auto count = std::count_if(requests_.begin(), requests_.end(),
                                     [path](const RecordedRequest& r) { return r.path == path; });
    return static_cast<size_t>(count) >= n;
  });
}

void FakeIntake::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

int FakeIntake::ConnectionsAccepted() const { return server_->ConnectionsAccepted(); }

void FakeIntake::SetOnRequest(std::function<void(const RecordedRequest&)> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  on_request_ = std::move(callback);
}

void FakeIntake::DecodeBody(RecordedRequest& record) {
  absl::StatusOr<std::string> body = Decompress(record.content_encoding, record.raw_body);
  if (!body.ok()) {
    record.decode_error = body.status().ToString();
    return;
  }
  record.body = *std::move(body);
  absl::StatusOr<nlohmann::json> decoded = DecodeIntakeBody(record.path, record.body);
  if (decoded.ok()) {
    record.decoded = *std::move(decoded);
  } else if (!absl::IsNotFound(decoded.status())) {
    record.decode_error = decoded.status().ToString();
  }
}

ServerReply FakeIntake::Handle(ServerRequest request) {
  RecordedRequest record;
  record.method = std::move(request.method);
  record.target = std::move(request.target);
  record.path = record.target.substr(0, record.target.find('?'));
  record.headers = std::move(request.headers);
  record.content_encoding = record.Header("Content-Encoding");
  if (!discard_bodies_) {
    record.raw_body = std::move(request.body);
    DecodeBody(record);
  }

  ServerReply reply;
  std::function<void(const RecordedRequest&)> callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reply.delay = response_delay_;
    if (reset_next_count_ > 0) {
      --reset_next_count_;
      reply.action = ServerReply::Action::kReset;
      record.status = 0;
    } else if (stall_next_count_ > 0) {
      --stall_next_count_;
      reply.action = ServerReply::Action::kStall;
      record.status = 0;
    } else if (fail_next_count_ > 0) {
      --fail_next_count_;
      reply.status = fail_next_status_;
      reply.body = R"({"errors":["injected failure"]})";
    } else if (std::chrono::steady_clock::now() < fail_until_) {
      reply.status = fail_for_status_;
      reply.body = R"({"errors":["injected failure"]})";
    } else if (record.path == "/api/v1/validate") {
      reply.status = 200;
      reply.body = R"({"valid":true})";
    } else {
      reply.status = 202;
      reply.body = "{}";
    }
    if (reply.action == ServerReply::Action::kRespond) {
      record.status = reply.status;
    }
    requests_.push_back(record);
    callback = on_request_;
  }
  cv_.notify_all();
  if (callback) {
    callback(record);
  }
  return reply;
}

}  // namespace sidecar::testing
