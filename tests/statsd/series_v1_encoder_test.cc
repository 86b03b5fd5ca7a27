// /api/v1/series JSON encoding (DD_USE_V2_API_SERIES=false): spec §9.5, §9.8 row 2 and cases H03,
// H04 (v1 part) of §14.H. Bodies are compared as exact strings (field order is the Agent's) and
// re-parsed with nlohmann::json.
#include "statsd/series_v1_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/statsd/encoder_test_util.h"

namespace sidecar::statsd {
namespace {

using encoder_testing::Body;
using encoder_testing::RandomString;
using forwarder::CompressionKind;

Serie Rate(std::string name, std::vector<std::string> tags = {}) {
  return Serie{.name = std::move(name),
               .host = "",
               .tags = std::move(tags),
               .type = SeriesType::kRate,
               .points = {{.timestamp = 1700000000, .value = 0.5}},
               .interval = 10};
}

std::string EncodeOne(const Serie& serie) {
  std::string out;
  EXPECT_TRUE(internal::AppendSeriesV1Json(serie, out));
  return out;
}

// H03: an int timestamp and a float value per point, "type":"rate"; the whole payload.
TEST(SeriesV1EncoderTest, H03EncodesExactJson) {
  const SeriesV1Encoder encoder(EncoderOptions{.compression = CompressionKind::kNone});
  const EncodeResult result = encoder.Encode(std::vector<Serie>{Rate("page.views", {"env:prod"})});
  ASSERT_EQ(result.payloads.size(), 1u);
  const forwarder::Payload& payload = result.payloads[0];
  EXPECT_EQ(Body(payload),
            R"({"series":[{"metric":"page.views","points":[[1700000000,0.5]],"tags":["env:prod"],)"
            R"("host":"","type":"rate","interval":10}]})");
  EXPECT_EQ(payload.route, "/api/v1/series");
  EXPECT_EQ(payload.content_type, "application/json");
  EXPECT_EQ(payload.item_count, 1u);
  EXPECT_EQ(payload.intake, forwarder::Intake::kMetrics);
  EXPECT_TRUE(payload.extra_headers.empty());  // No DD-Agent-Payload on JSON payloads.
}

// H03: the type strings and several points.
TEST(SeriesV1EncoderTest, WritesTypeNamesAndEveryPoint) {
  Serie gauge = Rate("g");
  gauge.type = SeriesType::kGauge;
  gauge.host = "h";
  gauge.points = {{1700000000, 1}, {1700000010, -2.25}};
  EXPECT_EQ(EncodeOne(gauge),
            R"({"metric":"g","points":[[1700000000,1],[1700000010,-2.25]],"tags":[],)"
            R"("host":"h","type":"gauge","interval":10})");
  Serie count = Rate("c");
  count.type = SeriesType::kCount;
  EXPECT_NE(EncodeOne(count).find(R"("type":"count")"), std::string::npos);
}

// H04 (v1): the device tag leaves the tags and becomes "device"; an empty one is left out.
TEST(SeriesV1EncoderTest, H04DeviceTagBecomesDeviceField) {
  EXPECT_EQ(EncodeOne(Rate("disk.io", {"device:sda", "env:prod"})),
            R"({"metric":"disk.io","points":[[1700000000,0.5]],"tags":["env:prod"],)"
            R"("host":"","device":"sda","type":"rate","interval":10})");
  const std::string empty_device = EncodeOne(Rate("disk.io", {"device:", "env:prod"}));
  EXPECT_EQ(empty_device.find("device"), std::string::npos);
  // As in v2, resource tags are not sent as tags.
  const std::string resource = EncodeOne(Rate("m", {"dd.internal.resource:db:x", "a"}));
  EXPECT_NE(resource.find(R"("tags":["a"])"), std::string::npos);
}

TEST(SeriesV1EncoderTest, FormatsFloatsLikeJsoniter) {
  const auto format = [](double value) {
    std::string out;
    internal::AppendJsonFloat(out, value);
    return out;
  };
  EXPECT_EQ(format(0), "0");
  EXPECT_EQ(format(0.1), "0.1");
  EXPECT_EQ(format(3), "3");
  EXPECT_EQ(format(-1.5e-3), "-0.0015");
  EXPECT_EQ(format(1e20), "100000000000000000000");
  EXPECT_EQ(format(1e21), "1e+21");
  EXPECT_EQ(format(1e-7), "1e-07");
  EXPECT_EQ(format(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
}

TEST(SeriesV1EncoderTest, DropsAndCountsNonFiniteSeries) {
  Serie inf = Rate("inf");
  inf.points[0].value = std::numeric_limits<double>::infinity();
  const EncodeResult result = SeriesV1Encoder(EncoderOptions{.compression = CompressionKind::kNone})
                                  .Encode(std::vector<Serie>{inf, Rate("ok")});
  EXPECT_EQ(result.items_dropped_invalid, 1u);
  ASSERT_EQ(result.payloads.size(), 1u);
  const auto json = nlohmann::json::parse(Body(result.payloads[0]));
  ASSERT_EQ(json["series"].size(), 1u);
  EXPECT_EQ(json["series"][0]["metric"], "ok");
}

TEST(SeriesV1EncoderTest, EncodesNothingForNoSeries) {
  EXPECT_TRUE(SeriesV1Encoder(EncoderOptions{}).Encode({}).payloads.empty());
}

// Pieces of a flush through a stream give the payloads of one Encode, dropped series counted
// with the piece they were in.
TEST(SeriesV1EncoderTest, PiecesThroughAStreamMakeThePayloadsOfOneEncode) {
  const PayloadLimits limits{.max_compressed_bytes = 20'000, .max_uncompressed_bytes = 40'000};
  const EncoderOptions options{.compression = forwarder::CompressionKind::kNone};
  std::mt19937_64 rng(7);
  std::vector<Serie> series;
  for (int i = 0; i < 100; ++i) {
    series.push_back(Rate("m." + std::to_string(i), {"k:" + RandomString(rng, 300)}));
  }
  series[50].points.front().value = std::numeric_limits<double>::infinity();
  const EncodeResult whole = SeriesV1Encoder(options, limits).Encode(series);
  ASSERT_GT(whole.payloads.size(), 1u);
  EXPECT_EQ(whole.items_dropped_invalid, 1u);

  SeriesV1Encoder::Stream stream(options, limits);
  EncodeResult streamed;
  for (size_t begin = 0; begin < series.size(); begin += 30) {
    const size_t count = std::min<size_t>(30, series.size() - begin);
    AppendEncodeResult(stream.Add(std::span<const Serie>(series).subspan(begin, count)), streamed);
  }
  AppendEncodeResult(stream.Finish(), streamed);
  EXPECT_EQ(streamed.items_dropped_invalid, 1u);
  ASSERT_EQ(streamed.payloads.size(), whole.payloads.size());
  for (size_t i = 0; i < streamed.payloads.size(); ++i) {
    EXPECT_EQ(streamed.payloads[i].body, whole.payloads[i].body);
  }
}

// §9.8 row 2: the array is split at the caps into valid JSON documents; a serie too big for an
// empty payload is dropped and counted.
class SeriesV1EncoderKindTest : public ::testing::TestWithParam<CompressionKind> {};

TEST_P(SeriesV1EncoderKindTest, SplitsAtTheCapsAndDropsTooBigSeries) {
  const PayloadLimits limits{.max_compressed_bytes = 20'000, .max_uncompressed_bytes = 40'000};
  std::mt19937_64 rng(42);
  std::vector<Serie> series;
  for (int i = 0; i < 200; ++i) {
    series.push_back(Rate("m." + std::to_string(i), {"k:" + RandomString(rng, 300)}));
  }
  series.push_back(Rate("too.big", {"k:" + RandomString(rng, 50'000)}));
  const EncodeResult result =
      SeriesV1Encoder(EncoderOptions{.compression = GetParam()}, limits).Encode(series);
  EXPECT_EQ(result.items_dropped_too_big, 1u);
  EXPECT_GT(result.payloads.size(), 1u);
  encoder_testing::ExpectWithinLimits(result, limits);
  size_t decoded = 0;
  uint64_t points = 0;
  for (const forwarder::Payload& payload : result.payloads) {
    const auto json = nlohmann::json::parse(Body(payload), nullptr, false);
    ASSERT_FALSE(json.is_discarded());
    for (const auto& serie : json["series"]) {
      EXPECT_EQ(serie["metric"], "m." + std::to_string(decoded));
      ++decoded;
    }
    points += payload.item_count;
  }
  EXPECT_EQ(decoded, 200u);
  EXPECT_EQ(points, 200u);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, SeriesV1EncoderKindTest,
                         ::testing::ValuesIn(encoder_testing::AllCompressionKinds()),
                         encoder_testing::KindParamName);

}  // namespace
}  // namespace sidecar::statsd
