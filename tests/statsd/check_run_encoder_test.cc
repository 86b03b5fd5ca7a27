// /api/v1/check_run encoding: spec §9.6, §9.8 and case D15 of §14.D; the JSON text is compared
// byte for byte, since field order and `null` tags are part of the Agent's format.
#include "statsd/check_run_encoder.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/statsd/encoder_test_util.h"

namespace sidecar::statsd {
namespace {

using encoder_testing::Body;
using encoder_testing::RandomString;
using forwarder::CompressionKind;

ServiceCheckRecord Check(std::string name, std::vector<std::string> tags = {}) {
  return ServiceCheckRecord{.name = std::move(name),
                            .host = "",
                            .timestamp = 1700000000,
                            .status = 0,
                            .message = "",
                            .tags = std::move(tags)};
}

// D15: the uploaded JSON for `_sc|agent.up|0` with host H, tags null when empty; payload headers.
TEST(CheckRunEncoderTest, D15EncodesExactJson) {
  ServiceCheckRecord check = Check("agent.up");
  check.host = "H";
  const EncodeResult result = CheckRunEncoder(EncoderOptions{}).Encode({&check, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const forwarder::Payload& payload = result.payloads[0];
  EXPECT_EQ(payload.intake, forwarder::Intake::kMetrics);
  EXPECT_EQ(payload.route, "/api/v1/check_run");
  EXPECT_EQ(payload.kind, "check_run");
  EXPECT_EQ(payload.content_type, "application/json");
  EXPECT_EQ(payload.content_encoding, "zstd");
  EXPECT_TRUE(payload.extra_headers.empty());  // DD-Agent-Payload is for protobuf only (H12).
  EXPECT_EQ(payload.item_count, 1u);
  EXPECT_EQ(payload.priority, forwarder::Priority::kNormal);
  EXPECT_EQ(Body(payload),
            R"([{"check":"agent.up","host_name":"H","timestamp":1700000000,"status":0,)"
            R"("message":"","tags":null}])");
}

// D09-style check with every field set, two checks in one array.
TEST(CheckRunEncoderTest, EncodesAllFieldsAndTagArrays) {
  std::vector<ServiceCheckRecord> checks = {Check("agent.up", {"tag1:test", "tag2"}),
                                            Check("db.can_connect")};
  checks[0].host = "localhost";
  checks[0].timestamp = 21;
  checks[0].message = "this is fine";
  checks[1].status = 2;
  checks[1].timestamp = -1;
  const EncodeResult result = CheckRunEncoder(EncoderOptions{}).Encode(checks);
  ASSERT_EQ(result.payloads.size(), 1u);
  EXPECT_EQ(result.payloads[0].item_count, 2u);
  EXPECT_EQ(Body(result.payloads[0]),
            R"([{"check":"agent.up","host_name":"localhost","timestamp":21,"status":0,)"
            R"("message":"this is fine","tags":["tag1:test","tag2"]},)"
            R"({"check":"db.can_connect","host_name":"","timestamp":-1,"status":2,)"
            R"("message":"","tags":null}])");
}

// Strings are escaped like Go's encoding/json (without HTML escaping); invalid UTF-8 becomes
// U+FFFD so the body stays valid JSON.
TEST(CheckRunEncoderTest, EscapesStrings) {
  ServiceCheckRecord check = Check("q\"uote\\back");
  check.message = "line\nfeed\ttab\r\x01\x1f <&> \xc3\xa9 \xe2\x80\xa8 \xff";
  check.tags = {"emoji:\xf0\x9f\x98\x80", "bad:\xc3"};
  const EncodeResult result = CheckRunEncoder(EncoderOptions{}).Encode({&check, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const std::string body = Body(result.payloads[0]);
  EXPECT_EQ(body,
            "[{\"check\":\"q\\\"uote\\\\back\",\"host_name\":\"\",\"timestamp\":1700000000,"
            "\"status\":0,\"message\":\"line\\nfeed\\ttab\\r\\u0001\\u001f <&> \xc3\xa9 "
            "\\u2028 \\ufffd\",\"tags\":[\"emoji:\xf0\x9f\x98\x80\",\"bad:\\ufffd\"]}]");
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed[0]["check"], "q\"uote\\back");
}

TEST(CheckRunEncoderTest, EncodesNothingForNoChecks) {
  EXPECT_TRUE(CheckRunEncoder(EncoderOptions{}).Encode({}).payloads.empty());
}

// Checks that every check arrived exactly once, each payload is a JSON array, and item_count
// counts checks.
void ExpectEachCheckOnce(const EncodeResult& result,
                         const std::vector<ServiceCheckRecord>& checks) {
  std::map<std::string, int> seen;
  for (const forwarder::Payload& payload : result.payloads) {
    const nlohmann::json parsed = nlohmann::json::parse(Body(payload), nullptr, false);
    ASSERT_TRUE(parsed.is_array());
    EXPECT_EQ(payload.item_count, parsed.size());
    for (const nlohmann::json& check : parsed) {
      ++seen[check["check"].get<std::string>()];
    }
  }
  ASSERT_EQ(seen.size(), checks.size());
  for (const ServiceCheckRecord& check : checks) {
    EXPECT_EQ(seen[check.name], 1) << check.name;
  }
}

// §9.8: about 3.5 MB of incompressible messages split under 2,621,440 B compressed; a check too
// big for an empty payload is dropped and counted.
TEST(CheckRunEncoderTest, SplitsAtCompressedCapAndDropsTooBigCheck) {
  std::mt19937_64 rng(10);
  std::vector<ServiceCheckRecord> checks;
  for (int i = 0; i < 3500; ++i) {
    ServiceCheckRecord check = Check("check." + std::to_string(i), {RandomString(rng, 100)});
    check.message = RandomString(rng, 900);
    checks.push_back(std::move(check));
  }
  ServiceCheckRecord huge = Check("too.big");
  huge.message = RandomString(rng, 2'700'000);
  checks.push_back(std::move(huge));
  const EncodeResult result = CheckRunEncoder(EncoderOptions{}).Encode(checks);
  checks.pop_back();

  EXPECT_EQ(result.items_dropped_too_big, 1u);
  EXPECT_GE(result.payloads.size(), 2u);
  encoder_testing::ExpectWithinLimits(result, kDefaultPayloadLimits);
  EXPECT_GT(result.payloads[0].body.size(), 2'500'000u);
  ExpectEachCheckOnce(result, checks);
}

class CheckRunEncoderKindTest : public ::testing::TestWithParam<CompressionKind> {};

TEST_P(CheckRunEncoderKindTest, RoundTripsAndSplitsWithEveryCompressionKind) {
  const EncoderOptions options{.compression = GetParam(), .zstd_level = 1};
  const PayloadLimits limits{.max_compressed_bytes = 20'000, .max_uncompressed_bytes = 40'000};
  std::mt19937_64 rng(11);
  std::vector<ServiceCheckRecord> checks;
  for (int i = 0; i < 200; ++i) {
    ServiceCheckRecord check = Check("check." + std::to_string(i));
    check.message = RandomString(rng, 400);
    checks.push_back(std::move(check));
  }
  ServiceCheckRecord huge = Check("too.big");
  huge.message = RandomString(rng, 30'000);
  checks.push_back(std::move(huge));
  const EncodeResult result = CheckRunEncoder(options, limits).Encode(checks);
  checks.pop_back();

  EXPECT_EQ(result.items_dropped_too_big, 1u);
  EXPECT_GE(result.payloads.size(), 4u);
  for (const forwarder::Payload& payload : result.payloads) {
    EXPECT_EQ(payload.content_encoding, forwarder::ContentEncoding(GetParam()));
  }
  encoder_testing::ExpectWithinLimits(result, limits);
  ExpectEachCheckOnce(result, checks);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CheckRunEncoderKindTest,
                         ::testing::ValuesIn(encoder_testing::AllCompressionKinds()),
                         encoder_testing::KindParamName);

}  // namespace
}  // namespace sidecar::statsd
