// /api/v2/series encoding: spec §9.3, §9.4, §9.8 and cases H01, H02, H04, H05, H06, H12 of §14.H.
// Payloads are decompressed and decoded with the protoc-generated MetricPayload.
#include "statsd/series_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "proto/metrics.pb.h"
#include "tests/statsd/encoder_test_util.h"

namespace sidecar::statsd {
namespace {

using datadog::agentpayload::MetricPayload;
using encoder_testing::Body;
using encoder_testing::RandomString;
using forwarder::CompressionKind;

MetricPayload Decode(const forwarder::Payload& payload) {
  MetricPayload decoded;
  const std::string body = Body(payload);
  EXPECT_TRUE(decoded.ParseFromString(body));
  // Our hand-written bytes are exactly what protobuf itself would write for the same message.
  EXPECT_EQ(decoded.SerializeAsString(), body);
  return decoded;
}

std::vector<std::string> Tags(const MetricPayload::MetricSeries& series) {
  return {series.tags().begin(), series.tags().end()};
}

std::vector<std::pair<std::string, std::string>> Resources(
    const MetricPayload::MetricSeries& series) {
  std::vector<std::pair<std::string, std::string>> resources;
  for (const auto& resource : series.resources()) {
    resources.emplace_back(resource.type(), resource.name());
  }
  return resources;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Strings = std::vector<std::string>;

Serie Gauge(std::string name, std::vector<std::string> tags = {}) {
  return Serie{.name = std::move(name),
               .host = "",
               .tags = std::move(tags),
               .type = SeriesType::kGauge,
               .points = {{.timestamp = 1700000000, .value = 1.5}},
               .interval = 10};
}

// H01, H12: every field of a gauge serie, and the payload's headers.
TEST(SeriesEncoderTest, H01EncodesGaugeSerieWithHostResourceAndOrigin) {
  const SeriesEncoder encoder(EncoderOptions{.compression = CompressionKind::kZstd});
  Serie serie = Gauge("app.latency.max", {"env:prod", "service:web"});
  serie.host = "i-0abc";
  serie.points = {{.timestamp = 1700000000, .value = 1.5}, {.timestamp = 1700000010, .value = -2}};
  const EncodeResult result = encoder.Encode({&serie, 1});

  ASSERT_EQ(result.payloads.size(), 1u);
  EXPECT_EQ(result.items_dropped_too_big, 0u);
  const forwarder::Payload& payload = result.payloads[0];
  EXPECT_EQ(payload.intake, forwarder::Intake::kMetrics);
  EXPECT_EQ(payload.route, "/api/v2/series");
  EXPECT_EQ(payload.kind, "series");
  EXPECT_EQ(payload.content_type, "application/x-protobuf");
  EXPECT_EQ(payload.content_encoding, "zstd");
  EXPECT_EQ(payload.extra_headers,
            (forwarder::Headers{{"DD-Agent-Payload", std::string(kAgentPayloadVersion)}}));
  EXPECT_EQ(payload.item_count, 2u);  // Points.
  EXPECT_EQ(payload.priority, forwarder::Priority::kNormal);

  const MetricPayload decoded = Decode(payload);
  ASSERT_EQ(decoded.series_size(), 1);
  const MetricPayload::MetricSeries& series = decoded.series(0);
  EXPECT_EQ(Resources(series), (Pairs{{"host", "i-0abc"}}));
  EXPECT_EQ(series.metric(), "app.latency.max");
  EXPECT_EQ(Tags(series), (Strings{"env:prod", "service:web"}));
  ASSERT_EQ(series.points_size(), 2);
  EXPECT_EQ(series.points(0).value(), 1.5);
  EXPECT_EQ(series.points(0).timestamp(), 1700000000);
  EXPECT_EQ(series.points(1).value(), -2);
  EXPECT_EQ(series.points(1).timestamp(), 1700000010);
  EXPECT_EQ(series.type(), MetricPayload::GAUGE);
  EXPECT_EQ(series.unit(), "");
  EXPECT_EQ(series.source_type_name(), "");
  EXPECT_EQ(series.interval(), 10);
  ASSERT_TRUE(series.has_metadata());
  ASSERT_TRUE(series.metadata().has_origin());
  EXPECT_EQ(series.metadata().origin().origin_product(), 10u);
  EXPECT_EQ(series.metadata().origin().origin_category(), 10u);
  EXPECT_EQ(series.metadata().origin().origin_service(), 0u);
}

// H01 in sidecar mode: the host resource is always first, even with an empty name.
TEST(SeriesEncoderTest, H01WritesHostResourceWithEmptyName) {
  const Serie serie = Gauge("m");
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode({&serie, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series_size(), 1);
  EXPECT_EQ(Resources(decoded.series(0)), (Pairs{{"host", ""}}));
  EXPECT_TRUE(decoded.series(0).tags().empty());
}

// H02: counters (and histogram .count) are RATE; the enum value is written as given.
TEST(SeriesEncoderTest, H02EncodesRateAndCountTypes) {
  std::vector<Serie> series = {Gauge("a"), Gauge("b"), Gauge("c")};
  series[0].type = SeriesType::kRate;
  series[1].type = SeriesType::kCount;
  series[2].type = SeriesType::kUnspecified;
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series_size(), 3);
  EXPECT_EQ(decoded.series(0).type(), MetricPayload::RATE);
  EXPECT_EQ(decoded.series(1).type(), MetricPayload::COUNT);
  EXPECT_EQ(decoded.series(2).type(), MetricPayload::UNSPECIFIED);
}

// H04: `device:sda` leaves the tags and becomes the second resource.
TEST(SeriesEncoderTest, H04MovesDeviceTagToResource) {
  const Serie serie = Gauge("disk.used", {"device:sda", "env:prod"});
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode({&serie, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series_size(), 1);
  EXPECT_EQ(Resources(decoded.series(0)), (Pairs{{"host", ""}, {"device", "sda"}}));
  EXPECT_EQ(Tags(decoded.series(0)), (Strings{"env:prod"}));
}

// H04 edge cases: the last device tag wins (Agent PopulateDeviceField); an empty device adds no
// resource; both tags are removed.
TEST(SeriesEncoderTest, H04LastDeviceTagWinsAndEmptyDeviceAddsNoResource) {
  std::vector<Serie> series = {Gauge("a", {"device:sda", "device:sdb", "x"}),
                               Gauge("b", {"device:", "y"})};
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series_size(), 2);
  EXPECT_EQ(Resources(decoded.series(0)), (Pairs{{"host", ""}, {"device", "sdb"}}));
  EXPECT_EQ(Tags(decoded.series(0)), (Strings{"x"}));
  EXPECT_EQ(Resources(decoded.series(1)), (Pairs{{"host", ""}}));
  EXPECT_EQ(Tags(decoded.series(1)), (Strings{"y"}));
}

// §9.4: dd.internal.resource:<type>:<name> tags become resources after host and device; a
// malformed one is dropped, not sent as a tag.
TEST(SeriesEncoderTest, TurnsInternalResourceTagsIntoResources) {
  Serie serie = Gauge("m", {"a:b", "dd.internal.resource:database_instance:db-1:5432",
                            "dd.internal.resource:broken", "dd.internal.resource:aws_ecs:arn",
                            "device:nvme0", "z"});
  serie.host = "h";
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode({&serie, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series_size(), 1);
  EXPECT_EQ(Resources(decoded.series(0)), (Pairs{{"host", "h"},
                                                 {"device", "nvme0"},
                                                 {"database_instance", "db-1:5432"},
                                                 {"aws_ecs", "arn"}}));
  EXPECT_EQ(Tags(decoded.series(0)), (Strings{"a:b", "z"}));
}

// Defaults that proto3 omits on the wire still decode to the sent values; interval is taken from
// the serie.
TEST(SeriesEncoderTest, RoundTripsZeroNegativeAndSpecialValues) {
  Serie serie = Gauge("m");
  serie.points = {{.timestamp = 0, .value = 0},
                  {.timestamp = -5, .value = -0.0},
                  {.timestamp = 1, .value = 1e300}};
  serie.interval = 0;
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode({&serie, 1});
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series(0).points_size(), 3);
  EXPECT_EQ(decoded.series(0).points(0).value(), 0);
  EXPECT_EQ(decoded.series(0).points(0).timestamp(), 0);
  EXPECT_TRUE(std::signbit(decoded.series(0).points(1).value()));
  EXPECT_EQ(decoded.series(0).points(1).timestamp(), -5);
  EXPECT_EQ(decoded.series(0).points(2).value(), 1e300);
  EXPECT_EQ(decoded.series(0).interval(), 0);
}

TEST(SeriesEncoderTest, EncodesNothingForNoSeries) {
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode({});
  EXPECT_TRUE(result.payloads.empty());
  EXPECT_EQ(result.items_dropped_too_big, 0u);
}

// H05: a serie with 10,001 points is dropped and counted; 10,000 points still fit; the other
// series are sent.
TEST(SeriesEncoderTest, H05DropsSerieWithMoreThanTenThousandPoints) {
  std::vector<Serie> series = {Gauge("small"), Gauge("huge"), Gauge("full")};
  series[1].points.assign(10'001, Point{.timestamp = 1700000000, .value = 1});
  series[2].points.assign(10'000, Point{.timestamp = 1700000000, .value = 1});
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  EXPECT_EQ(result.items_dropped_too_big, 1u);
  ASSERT_EQ(result.payloads.size(), 2u);  // 1 + 10,000 points would break the points cap.
  EXPECT_EQ(result.payloads[0].item_count, 1u);
  EXPECT_EQ(result.payloads[1].item_count, 10'000u);
  EXPECT_EQ(Decode(result.payloads[0]).series(0).metric(), "small");
  EXPECT_EQ(Decode(result.payloads[1]).series(0).metric(), "full");
}

// H05 by size: a serie whose tags alone cannot compress under 512,000 B is dropped.
TEST(SeriesEncoderTest, H05DropsSerieTooBigForCompressedCap) {
  std::mt19937_64 rng(5);
  std::vector<Serie> series = {Gauge("before"), Gauge("huge", {RandomString(rng, 600'000)}),
                               Gauge("after")};
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  EXPECT_EQ(result.items_dropped_too_big, 1u);
  ASSERT_EQ(result.payloads.size(), 1u);
  const MetricPayload decoded = Decode(result.payloads[0]);
  ASSERT_EQ(decoded.series_size(), 2);
  EXPECT_EQ(decoded.series(0).metric(), "before");
  EXPECT_EQ(decoded.series(1).metric(), "after");
}

// Checks that every serie arrived exactly once across the payloads and that item_count matches.
void ExpectEachSerieOnce(const EncodeResult& result, const std::vector<Serie>& series) {
  std::map<std::string, int> seen;
  for (const forwarder::Payload& payload : result.payloads) {
    const MetricPayload decoded = Decode(payload);
    uint64_t points = 0;
    for (const auto& one : decoded.series()) {
      ++seen[one.metric()];
      points += static_cast<uint64_t>(one.points_size());
    }
    EXPECT_EQ(payload.item_count, points);
  }
  ASSERT_EQ(seen.size(), series.size());
  for (const Serie& serie : series) {
    EXPECT_EQ(seen[serie.name], 1) << serie.name;
  }
}

// H06: about 1.5 MB of incompressible tags split into several payloads under 512,000 B each.
TEST(SeriesEncoderTest, H06SplitsAtCompressedCap) {
  std::mt19937_64 rng(6);
  std::vector<Serie> series;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> tags;
    for (int t = 0; t < 5; ++t) {
      tags.push_back(RandomString(rng, 100));
    }
    series.push_back(Gauge("metric." + std::to_string(i), std::move(tags)));
  }
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  EXPECT_EQ(result.items_dropped_too_big, 0u);
  EXPECT_GE(result.payloads.size(), 3u);
  encoder_testing::ExpectWithinLimits(result, kSeriesPayloadLimits);
  // Split near the cap, not far below it.
  EXPECT_GT(result.payloads[0].body.size(), 500'000u);
  ExpectEachSerieOnce(result, series);
}

// §9.8: compressible series split at the 5,242,880 B uncompressed cap before the compressed one.
TEST(SeriesEncoderTest, SplitsAtUncompressedCap) {
  std::vector<Serie> series;
  for (int i = 0; i < 60; ++i) {
    series.push_back(Gauge("metric." + std::to_string(i), {std::string(100'000, 'a')}));
  }
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  EXPECT_EQ(result.items_dropped_too_big, 0u);
  ASSERT_EQ(result.payloads.size(), 2u);
  encoder_testing::ExpectWithinLimits(result, kSeriesPayloadLimits);
  EXPECT_GT(Body(result.payloads[0]).size(), 5'000'000u);
  ExpectEachSerieOnce(result, series);
}

// §9.8: at most 10,000 points per payload.
TEST(SeriesEncoderTest, SplitsAtPointsCap) {
  std::vector<Serie> series;
  for (int i = 0; i < 7; ++i) {
    Serie serie = Gauge("metric." + std::to_string(i));
    serie.points.assign(3000, Point{.timestamp = 1700000000, .value = 2});
    series.push_back(std::move(serie));
  }
  const EncodeResult result = SeriesEncoder(EncoderOptions{}).Encode(series);
  ASSERT_EQ(result.payloads.size(), 3u);  // 9,000 + 9,000 + 3,000 points.
  EXPECT_EQ(result.payloads[0].item_count, 9000u);
  EXPECT_EQ(result.payloads[1].item_count, 9000u);
  EXPECT_EQ(result.payloads[2].item_count, 3000u);
  ExpectEachSerieOnce(result, series);
}

// A flush hands series over in pieces; a stream puts them into the payloads one Encode of all of
// them makes: the same split at the caps (here across piece boundaries) and the same bytes, with
// payloads handed over as soon as they close.
TEST(SeriesEncoderTest, PiecesThroughAStreamMakeThePayloadsOfOneEncode) {
  std::vector<Serie> series;
  for (int i = 0; i < 7; ++i) {
    Serie serie = Gauge("metric." + std::to_string(i), {"piece:" + std::to_string(i / 3)});
    serie.points.assign(3000, Point{.timestamp = 1700000000, .value = 2});
    series.push_back(std::move(serie));
  }
  const EncodeResult whole = SeriesEncoder(EncoderOptions{}).Encode(series);
  ASSERT_EQ(whole.payloads.size(), 3u);

  SeriesEncoder::Stream stream(EncoderOptions{});
  std::vector<forwarder::Payload> streamed;
  std::vector<size_t> closed_after_piece;
  for (size_t begin = 0; begin < series.size(); begin += 2) {
    const size_t end = std::min(series.size(), begin + 2);
    EncodeResult piece = stream.Add(std::span<const Serie>(series).subspan(begin, end - begin));
    EXPECT_EQ(piece.items_dropped_too_big, 0u);
    for (forwarder::Payload& payload : piece.payloads) {
      streamed.push_back(std::move(payload));
    }
    closed_after_piece.push_back(streamed.size());
  }
  for (forwarder::Payload& payload : stream.Finish().payloads) {
    streamed.push_back(std::move(payload));
  }
  // Pieces {0,1} {2,3} {4,5} {6} of 3,000 points each; a payload (9,000 points) closes when the
  // next serie does not fit: serie 3 (second piece) closes the first, serie 6 (last) the second.
  EXPECT_EQ(closed_after_piece, (std::vector<size_t>{0, 1, 1, 2}));
  ASSERT_EQ(streamed.size(), whole.payloads.size());
  for (size_t i = 0; i < streamed.size(); ++i) {
    EXPECT_EQ(streamed[i].item_count, whole.payloads[i].item_count);
    EXPECT_EQ(Body(streamed[i]), Body(whole.payloads[i]));
  }
}

class SeriesEncoderKindTest : public ::testing::TestWithParam<CompressionKind> {};

// H12: Content-Encoding follows the compression kind; each kind round-trips, and splitting under
// small caps keeps every payload within them.
TEST_P(SeriesEncoderKindTest, RoundTripsAndSplitsWithEveryCompressionKind) {
  const EncoderOptions options{.compression = GetParam(), .zstd_level = 1};
  const PayloadLimits limits{
      .max_compressed_bytes = 20'000, .max_uncompressed_bytes = 40'000, .max_item_count = 10'000};
  std::mt19937_64 rng(7);
  std::vector<Serie> series;
  for (int i = 0; i < 200; ++i) {
    series.push_back(Gauge("metric." + std::to_string(i), {RandomString(rng, 400)}));
  }
  series.push_back(Gauge("too.big", {RandomString(rng, 30'000)}));
  const EncodeResult result = SeriesEncoder(options, limits).Encode(series);
  series.pop_back();

  EXPECT_EQ(result.items_dropped_too_big, 1u);
  EXPECT_GE(result.payloads.size(), 4u);
  for (const forwarder::Payload& payload : result.payloads) {
    EXPECT_EQ(payload.content_encoding, forwarder::ContentEncoding(GetParam()));
  }
  encoder_testing::ExpectWithinLimits(result, limits);
  ExpectEachSerieOnce(result, series);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, SeriesEncoderKindTest,
                         ::testing::ValuesIn(encoder_testing::AllCompressionKinds()),
                         encoder_testing::KindParamName);

}  // namespace
}  // namespace sidecar::statsd
