// Trace body decoders (apm/trace_decoder.h) against apm.md §1.2-§2.4 and conformance cases R2-R4,
// R6, R8, R10, R18-R21, plus the recorded dd-trace-js v0.4/v0.5 captures in
// ../shared/testdata/clients/apm/. msgpack inputs are built with msgpack-cxx's packer.
#include "apm/trace_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "apm/utf8_repair.h"
#include "tests/testing/status_matchers.h"

#ifndef SIDECAR_SHARED_TESTDATA
#error "SIDECAR_SHARED_TESTDATA must name ../shared/testdata"
#endif

namespace sidecar::apm {
namespace {

namespace fs = std::filesystem;
using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const fs::path kCaptures = fs::path(SIDECAR_SHARED_TESTDATA) / "clients" / "apm";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (const int b : bytes) {
    out.push_back(static_cast<char>(b));
  }
  return out;
}

class Packed {
 public:
  msgpack::packer<msgpack::sbuffer>& pk() { return packer_; }
  Packed& Str(std::string_view s) {
    packer_.pack_str(static_cast<uint32_t>(s.size()));
    packer_.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
    return *this;
  }
  std::string str() const { return std::string(buffer_.data(), buffer_.size()); }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_{&buffer_};
};

absl::Status Decode(TraceApiVersion version, BodyEncoding encoding, std::string_view body,
                    TracerPayload& out) {
  return DecodeTraces(version, encoding, body, out);
}

// A v0.4 body of one trace holding one span map with the given extra key/value, written by
// `extra` after the usual fields.
template <typename Extra>
std::string V04OneSpan(int extra_entries, Extra extra) {
  Packed p;
  p.pk().pack_array(1);
  p.pk().pack_array(1);
  p.pk().pack_map(static_cast<uint32_t>(3 + extra_entries));
  p.Str("service").Str("svc");
  p.Str("trace_id").pk().pack(uint64_t{7});
  p.Str("span_id").pk().pack(uint64_t{8});
  extra(p);
  return p.str();
}

// ---------------------------------------------------------------------------------------------
// Content-Type (§1.3).

TEST(EncodingForContentTypeTest, FollowsTheAgentsMediaTypeRule) {
  EXPECT_EQ(EncodingForContentType("application/msgpack"), BodyEncoding::kMsgpack);
  EXPECT_EQ(EncodingForContentType("Application/MsgPack; charset=utf-8"), BodyEncoding::kMsgpack);
  EXPECT_EQ(EncodingForContentType(" application/msgpack ;"), BodyEncoding::kMsgpack);
  EXPECT_EQ(EncodingForContentType("application/json"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("text/json"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType(""), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("text/plain"), BodyEncoding::kJsonOrMsgpack);
  EXPECT_EQ(EncodingForContentType("application/x-msgpack"), BodyEncoding::kJsonOrMsgpack);
}

TEST(EncodingForContentTypeTest, UnparsableHeadersMeanJson) {
  EXPECT_EQ(EncodingForContentType("application/msgpack; charset"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("application/msgpack; a=1; a=2"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("application/"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("application msgpack"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("; charset=utf-8"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("application/msgpack; q=\"x"), BodyEncoding::kJson);
  EXPECT_EQ(EncodingForContentType("application/msgpack; q=\"a;b\""), BodyEncoding::kMsgpack);
}

// ---------------------------------------------------------------------------------------------
// JSON (§2.3).

constexpr std::string_view kR3Body = R"([[{
  "trace_id": 42, "span_id": 52, "service": "fennel_IS amazing!",
  "name": "something &&<@# that should be a metric!", "resource": "NOT touched because it is going to be hashed",
  "start": 9223372036854775807, "duration": 1, "type": "web",
  "meta": {"http.host": "192.168.0.1"}, "metrics": {"http.monitor": 41.99}
}]])";

// R3: fields come out exactly as sent, for every JSON version.
TEST(TraceDecoderJsonTest, DecodesFieldsUnchangedR3) {
  for (const TraceApiVersion version :
       {TraceApiVersion::kV02, TraceApiVersion::kV03, TraceApiVersion::kV04}) {
    TracerPayload out;
    ASSERT_THAT(Decode(version, BodyEncoding::kJson, kR3Body, out), IsOk());
    ASSERT_EQ(out.chunks_size(), 1);
    EXPECT_EQ(out.chunks(0).priority(), kPriorityNone);
    ASSERT_EQ(out.chunks(0).spans_size(), 1);
    const Span& span = out.chunks(0).spans(0);
    EXPECT_EQ(span.traceid(), 42u);
    EXPECT_EQ(span.spanid(), 52u);
    EXPECT_EQ(span.service(), "fennel_IS amazing!");
    EXPECT_EQ(span.name(), "something &&<@# that should be a metric!");
    EXPECT_EQ(span.resource(), "NOT touched because it is going to be hashed");
    EXPECT_EQ(span.start(), std::numeric_limits<int64_t>::max());
    EXPECT_EQ(span.type(), "web");
    EXPECT_EQ(span.meta().at("http.host"), "192.168.0.1");
    EXPECT_DOUBLE_EQ(span.metrics().at("http.monitor"), 41.99);
  }
}

TEST(TraceDecoderJsonTest, KeepsIdsAbove2To53Exact) {
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson,
                     R"([[{"trace_id":12345678901234567890,"span_id":9007199254740993,)"
                     R"("parent_id":18446744073709551615}]])",
                     out),
              IsOk());
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.traceid(), 12345678901234567890ull);
  EXPECT_EQ(span.spanid(), 9007199254740993ull);
  EXPECT_EQ(span.parentid(), 18446744073709551615ull);
}

// R4: broken JSON is a decode error (400), not an EOF.
TEST(TraceDecoderJsonTest, InvalidJsonIsInvalidArgumentR4) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson, "} invalid json", out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid character '}' looking for beginning of value"));
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson, "[[{]]", out),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson, "[[]] trailing", out),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TraceDecoderJsonTest, TruncatedJsonIsUnexpectedEof) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson, R"([[{"trace_id":1)", out),
              StatusIs(absl::StatusCode::kOutOfRange, "unexpected EOF"));
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson, "", out),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(TraceDecoderJsonTest, RejectsMistypedFieldsLikeGo) {
  for (const char* body :
       {R"([[{"trace_id":-1}]])", R"([[{"trace_id":1.5}]])", R"([[{"trace_id":"1"}]])",
        R"([[{"error":2147483648}]])", R"([[{"start":9223372036854775808}]])",
        R"([[{"meta":{"a":1}}]])", R"([[{"metrics":{"a":"1"}}]])", R"({"a":1})", R"([1])"}) {
    TracerPayload out;
    EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson, body, out),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << body;
  }
}

TEST(TraceDecoderJsonTest, NullsAreZeroValuesAndKeysFoldCase) {
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson,
                     R"([[{"Service":"a","trace_id":null,"meta":{"k":null},"unknown":[1,{}]},)"
                     R"(null],null])",
                     out),
              IsOk());
  ASSERT_EQ(out.chunks_size(), 2);
  ASSERT_EQ(out.chunks(0).spans_size(), 1);  // the null span is dropped
  EXPECT_EQ(out.chunks(0).spans(0).service(), "a");
  EXPECT_EQ(out.chunks(0).spans(0).traceid(), 0u);
  EXPECT_EQ(out.chunks(0).spans(0).meta().at("k"), "");
  EXPECT_EQ(out.chunks(1).spans_size(), 0);
}

TEST(TraceDecoderJsonTest, RepairsInvalidUtf8InStrings) {
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson,
                     "[[{\"name\":\"a\xff"
                     "b\"}]]",
                     out),
              IsOk());
  EXPECT_EQ(out.chunks(0).spans(0).name(),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(TraceDecoderJsonTest, DecodesLinksEventsAndMetaStruct) {
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kJson,
                     R"([[{"span_links":[{"trace_id":1,"trace_id_high":2,"span_id":3,)"
                     R"("attributes":{"a":"b"},"tracestate":"dd=s:1","flags":2147483649}],)"
                     R"("span_events":[{"time_unix_nano":1735689600100000000,"name":"cache.miss",)"
                     R"("attributes":{"key":{"type":0,"string_value":"cart:42"},)"
                     R"("list":{"type":4,"array_value":{"values":[{"type":2,"int_value":7}]}}}}],)"
                     R"("meta_struct":{"_dd.appsec":"gaFhAQ=="}}]])",
                     out),
              IsOk());
  const Span& span = out.chunks(0).spans(0);
  ASSERT_EQ(span.spanlinks_size(), 1);
  EXPECT_EQ(span.spanlinks(0).traceid_high(), 2u);
  EXPECT_EQ(span.spanlinks(0).flags(), 2147483649u);
  EXPECT_EQ(span.spanlinks(0).attributes().at("a"), "b");
  ASSERT_EQ(span.spanevents_size(), 1);
  EXPECT_EQ(span.spanevents(0).time_unix_nano(), 1735689600100000000ull);
  EXPECT_EQ(span.spanevents(0).attributes().at("key").string_value(), "cart:42");
  const auto& list = span.spanevents(0).attributes().at("list");
  EXPECT_EQ(list.type(), datadog::trace::AttributeAnyValue::ARRAY_VALUE);
  ASSERT_EQ(list.array_value().values_size(), 1);
  EXPECT_EQ(list.array_value().values(0).int_value(), 7);
  EXPECT_EQ(span.meta_struct().at("_dd.appsec"), Bytes({0x81, 0xa1, 'a', 0x01}));
}

// R2 (first half): v0.2 does not take msgpack; the receiver answers 415.
TEST(TraceDecoderTest, V02RefusesMsgpackR2) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV02, BodyEncoding::kMsgpack, Bytes({0x90}), out),
              StatusIs(absl::StatusCode::kUnimplemented,
                       "unsupported media type: \"application/msgpack\""));
}

TEST(TraceDecoderTest, OtherContentTypesTryJsonThenMsgpack) {
  const std::string msgpack_body = V04OneSpan(0, [](Packed&) {});
  TracerPayload from_msgpack;
  ASSERT_THAT(
      Decode(TraceApiVersion::kV04, BodyEncoding::kJsonOrMsgpack, msgpack_body, from_msgpack),
      IsOk());
  ASSERT_EQ(from_msgpack.chunks_size(), 1);
  EXPECT_EQ(from_msgpack.chunks(0).spans(0).service(), "svc");
  TracerPayload from_json;
  ASSERT_THAT(Decode(TraceApiVersion::kV03, BodyEncoding::kJsonOrMsgpack, kR3Body, from_json),
              IsOk());
  EXPECT_EQ(from_json.chunks(0).spans(0).traceid(), 42u);
}

// ---------------------------------------------------------------------------------------------
// v0.4 msgpack (§2.1).

TEST(TraceDecoderV04Test, DecodesEverySpanField) {
  Packed p;
  p.pk().pack_array(1);
  p.pk().pack_array(1);
  p.pk().pack_map(12);
  p.Str("service").Str("svc");
  p.Str("name").Str("op");
  p.Str("resource").Str("GET /");
  p.Str("trace_id").pk().pack(uint64_t{12345678901234567890ull});
  p.Str("span_id").pk().pack(uint64_t{2});
  p.Str("parent_id").pk().pack(uint64_t{1});
  p.Str("start").pk().pack(int64_t{1735689600000000000});
  p.Str("duration").pk().pack(int64_t{120500000});
  p.Str("error").pk().pack(1);
  p.Str("meta").pk().pack_map(2);
  p.Str("_dd.p.tid").Str("6774858000000000");
  p.Str("env").Str("prod");
  p.Str("metrics").pk().pack_map(1);
  p.Str("_sampling_priority_v1").pk().pack_double(2.0);
  p.Str("type").Str("web");
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, p.str(), out), IsOk());
  ASSERT_EQ(out.chunks_size(), 1);
  EXPECT_EQ(out.chunks(0).priority(), kPriorityNone);
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.service(), "svc");
  EXPECT_EQ(span.name(), "op");
  EXPECT_EQ(span.resource(), "GET /");
  EXPECT_EQ(span.traceid(), 12345678901234567890ull);
  EXPECT_EQ(span.spanid(), 2u);
  EXPECT_EQ(span.parentid(), 1u);
  EXPECT_EQ(span.start(), 1735689600000000000);
  EXPECT_EQ(span.duration(), 120500000);
  EXPECT_EQ(span.error(), 1);
  EXPECT_EQ(span.meta().at("_dd.p.tid"), "6774858000000000");  // 128-bit ids keep their high half
  EXPECT_EQ(span.meta().at("env"), "prod");
  EXPECT_EQ(span.metrics().at("_sampling_priority_v1"), 2.0);
  EXPECT_EQ(span.type(), "web");
}

TEST(TraceDecoderV04Test, AcceptsLenientScalarTypes) {
  const std::string body = V04OneSpan(6, [](Packed& p) {
    p.Str("parent_id").pk().pack_fix_int64(-1);                // signed id, reinterpreted
    p.Str("start").pk().pack_fix_uint64(1735689600000000000);  // uint start <= INT64_MAX
    p.Str("duration").pk().pack_nil();                         // nil => 0
    p.Str("error").pk().pack_fix_uint32(1);
    p.Str("name").pk().pack_bin(2);  // bin for a string
    p.pk().pack_bin_body("op", 2);
    p.Str("metrics").pk().pack_map(4);
    p.Str("f32").pk().pack_float(0.5f);
    p.Str("i").pk().pack_fix_int8(-5);
    p.Str("u").pk().pack_fix_uint64(1099511627776ull);
    p.Str("n").pk().pack_nil();
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body, out), IsOk());
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.parentid(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(span.start(), 1735689600000000000);
  EXPECT_EQ(span.duration(), 0);
  EXPECT_EQ(span.error(), 1);
  EXPECT_EQ(span.name(), "op");
  EXPECT_EQ(span.metrics().at("f32"), 0.5);
  EXPECT_EQ(span.metrics().at("i"), -5.0);
  EXPECT_EQ(span.metrics().at("u"), 1099511627776.0);
  EXPECT_EQ(span.metrics().at("n"), 0.0);
}

TEST(TraceDecoderV04Test, RejectsOutOfRangeScalars) {
  const auto fails = [](auto write) {
    TracerPayload out;
    return Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, V04OneSpan(1, write), out);
  };
  EXPECT_THAT(fails([](Packed& p) { p.Str("start").pk().pack_fix_uint64(1ull << 63); }),
              StatusIs(absl::StatusCode::kInvalidArgument, "found uint64, overflows int64"));
  EXPECT_THAT(fails([](Packed& p) { p.Str("error").pk().pack_fix_uint32(1u << 31); }),
              StatusIs(absl::StatusCode::kInvalidArgument, "found uint32, overflows int32"));
  EXPECT_THAT(fails([](Packed& p) { p.Str("error").pk().pack_fix_int64(-(1ll << 40)); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(fails([](Packed& p) { p.Str("trace_id").pk().pack_double(1.5); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(fails([](Packed& p) { p.Str("service").pk().pack(5); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(fails([](Packed& p) {
                p.Str("metrics").pk().pack_map(1).pack_str(1).pack_str_body("m", 1).pack_true();
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// R21: a meta value that is not a string fails the whole payload; nil means ""; ints are metrics.
TEST(TraceDecoderV04Test, MetaValueTypesR21) {
  TracerPayload bad;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack,
                     V04OneSpan(1,
                                [](Packed& p) {
                                  p.Str("meta").pk().pack_map(2);
                                  p.Str("ok").Str("v");
                                  p.Str("bad").pk().pack(42);
                                }),
                     bad),
              StatusIs(absl::StatusCode::kInvalidArgument));

  TracerPayload good;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack,
                     V04OneSpan(2,
                                [](Packed& p) {
                                  p.Str("meta").pk().pack_map(1);
                                  p.Str("nil").pk().pack_nil();
                                  p.Str("metrics").pk().pack_map(1);
                                  p.Str("five").pk().pack(5);
                                }),
                     good),
              IsOk());
  const Span& span = good.chunks(0).spans(0);
  EXPECT_EQ(span.meta().at("nil"), "");
  EXPECT_EQ(span.metrics().at("five"), 5.0);
}

TEST(TraceDecoderV04Test, RepairsInvalidUtf8ByteByByte) {
  const std::string body = V04OneSpan(2, [](Packed& p) {
    p.Str("name").Str(
        "a\xff"
        "b\xe2\x82"
        "c");  // a lone 0xff and a truncated 3-byte sequence
    p.Str("meta").pk().pack_map(1);
    p.Str("k\xc0").Str("\xed\xa0\x80");  // overlong lead in the key, a surrogate in the value
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body, out), IsOk());
  const Span& span = out.chunks(0).spans(0);
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(span.name(), "a" + r + "b" + r + r + "c");
  EXPECT_EQ(span.meta().at("k" + r), r + r + r);
}

// A key repeated inside one meta map keeps its last value, as Go's map assignment does, whether
// the entry is built directly (valid UTF-8) or through the repair path.
TEST(TraceDecoderV04Test, RepeatedMetaKeyKeepsTheLastValue) {
  const std::string body = V04OneSpan(1, [](Packed& p) {
    p.Str("meta").pk().pack_map(6);
    p.Str("k").Str("first");
    p.Str("k").Str("second");
    p.Str("r").Str("valid");
    p.Str("r").Str("bad\xff");
    p.Str("s").Str("bad\xff");
    p.Str("s").Str("a value longer than the small-string buffer");
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body, out), IsOk());
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.meta_size(), 3);
  EXPECT_EQ(span.meta().at("k"), "second");
  EXPECT_EQ(span.meta().at("r"), "bad\xEF\xBF\xBD");
  EXPECT_EQ(span.meta().at("s"), "a value longer than the small-string buffer");
}

TEST(TraceDecoderV04Test, SkipsUnknownKeysOfAnyShape) {
  const std::string body = V04OneSpan(3, [](Packed& p) {
    p.Str("unknown_map").pk().pack_map(1);
    p.Str("x").pk().pack_array(2).pack_nil().pack_ext(1, 3).pack_ext_body("z", 1);
    p.Str("unknown_bin").pk().pack_bin(1).pack_bin_body("b", 1);
    p.Str("name").Str("after");
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body, out), IsOk());
  EXPECT_EQ(out.chunks(0).spans(0).name(), "after");
}

TEST(TraceDecoderV04Test, DeeplyNestedUnknownValueIsAnError) {
  const std::string body = V04OneSpan(1, [](Packed& p) {
    p.Str("deep");
    for (int i = 0; i < 200; ++i) {
      p.pk().pack_array(1);
    }
    p.pk().pack_nil();
  });
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body, out),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TraceDecoderV04Test, DecodesMetaStructLinksAndEvents) {
  const std::string body = V04OneSpan(3, [](Packed& p) {
    p.Str("meta_struct").pk().pack_map(1);
    p.Str("_dd.appsec")
        .pk()
        .pack_bin(3)
        .pack_bin_body(
            "\x81\xa1"
            "a",
            3);
    p.Str("span_links").pk().pack_array(1).pack_map(7);
    p.Str("trace_id").pk().pack(uint64_t{10});
    p.Str("trace_id_high").pk().pack(uint64_t{0x6774858000000000ull});
    p.Str("span_id").pk().pack(uint64_t{11});
    p.Str("attributes").pk().pack_map(1);
    p.Str("link.kind").Str("follows");
    p.Str("tracestate").Str("dd=s:2");
    p.Str("flags").pk().pack(uint32_t{0x80000001u});
    p.Str("future").pk().pack_true();
    p.Str("span_events").pk().pack_array(1).pack_map(3);
    p.Str("time_unix_nano").pk().pack(uint64_t{1735689600100000000ull});
    p.Str("name").Str("cache.miss");
    p.Str("attributes").pk().pack_map(4);
    p.Str("key").pk().pack_map(2);
    p.Str("type").pk().pack(0);
    p.Str("string_value").Str("cart:42");
    p.Str("hit").pk().pack_map(2);
    p.Str("type").pk().pack(1);
    p.Str("bool_value").pk().pack_true();
    p.Str("ratio").pk().pack_map(2);
    p.Str("type").pk().pack(3);
    p.Str("double_value").pk().pack_double(0.25);
    p.Str("tries").pk().pack_map(2);
    p.Str("type").pk().pack(4);
    p.Str("array_value").pk().pack_map(1);
    p.Str("values").pk().pack_array(2);
    p.pk().pack_map(2);
    p.Str("type").pk().pack(2);
    p.Str("int_value").pk().pack(-3);
    p.pk().pack_map(2);
    p.Str("type").pk().pack(0);
    p.Str("string_value").Str("x");
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, body, out), IsOk());
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.meta_struct().at("_dd.appsec"),
            "\x81\xa1"
            "a");
  ASSERT_EQ(span.spanlinks_size(), 1);
  const auto& link = span.spanlinks(0);
  EXPECT_EQ(link.traceid(), 10u);
  EXPECT_EQ(link.traceid_high(), 0x6774858000000000ull);
  EXPECT_EQ(link.spanid(), 11u);
  EXPECT_EQ(link.attributes().at("link.kind"), "follows");
  EXPECT_EQ(link.tracestate(), "dd=s:2");
  EXPECT_EQ(link.flags(), 0x80000001u);
  ASSERT_EQ(span.spanevents_size(), 1);
  const auto& event = span.spanevents(0);
  EXPECT_EQ(event.time_unix_nano(), 1735689600100000000ull);
  EXPECT_EQ(event.name(), "cache.miss");
  EXPECT_EQ(event.attributes().at("key").string_value(), "cart:42");
  EXPECT_TRUE(event.attributes().at("hit").bool_value());
  EXPECT_EQ(event.attributes().at("ratio").double_value(), 0.25);
  const auto& tries = event.attributes().at("tries");
  EXPECT_EQ(tries.type(), datadog::trace::AttributeAnyValue::ARRAY_VALUE);
  ASSERT_EQ(tries.array_value().values_size(), 2);
  EXPECT_EQ(tries.array_value().values(0).int_value(), -3);
  EXPECT_EQ(tries.array_value().values(1).string_value(), "x");
}

TEST(TraceDecoderV04Test, MetaStructValuesMustBeBinary) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack,
                     V04OneSpan(1,
                                [](Packed& p) {
                                  p.Str("meta_struct").pk().pack_map(1);
                                  p.Str("k").pk().pack(1);
                                }),
                     out),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TraceDecoderV04Test, EmptyAndNilBodies) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, Bytes({0x90}), out), IsOk());
  EXPECT_EQ(out.chunks_size(), 0);
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, "", out),
              StatusIs(absl::StatusCode::kOutOfRange, "unexpected EOF"));
  // A nil trace is an empty chunk; a nil span is dropped.
  ASSERT_THAT(
      Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack, Bytes({0x92, 0xc0, 0x91, 0xc0}), out),
      IsOk());
  ASSERT_EQ(out.chunks_size(), 2);
  EXPECT_EQ(out.chunks(0).spans_size(), 0);
  EXPECT_EQ(out.chunks(1).spans_size(), 0);
}

// R10 for v0.4: the same bytes fail with the size error and allocate nothing large.
TEST(TraceDecoderV04Test, HugeHeadersR10) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack,
                     Bytes({0x9e, 0xdd, 0xff, 0xff, 0xff, 0xff}), out),
              StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
  TracerPayload out2;
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack,
                     Bytes({0x91, 0x91, 0xdf, 0xff, 0xff, 0xff, 0xff}), out2),
              StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
  TracerPayload out3;  // a str32 longer than the body is an EOF, not an allocation
  EXPECT_THAT(Decode(TraceApiVersion::kV04, BodyEncoding::kMsgpack,
                     Bytes({0x91, 0x91, 0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'}), out3),
              StatusIs(absl::StatusCode::kOutOfRange));
  TracerPayload out4;
  DecodeLimits tight;
  tight.max_container_elements = 1;
  EXPECT_THAT(DecodeTraces(TraceApiVersion::kV04, BodyEncoding::kMsgpack, Bytes({0x92, 0x90, 0x90}),
                           out4, tight),
              StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
}

// ---------------------------------------------------------------------------------------------
// v0.5 (§2.2).

const std::vector<std::string> kR8Dict = {"Service2",  "Name2", "Resource", "Service", "Name",
                                          "A",         "B",     "X",        "y",       "sql",
                                          "Resource2", "c",     "d"};

std::string V05Body(const std::vector<std::string>& dict,
                    const std::function<void(Packed&)>& spans) {
  Packed p;
  p.pk().pack_array(2);
  p.pk().pack_array(static_cast<uint32_t>(dict.size()));
  for (const std::string& s : dict) {
    p.Str(s);
  }
  spans(p);
  return p.str();
}

// The R8 span [3,4,2,1,2,3,123,456,1,{5:6},{7:1.2},9], with its metrics map replaced by
// `metrics` entries when given.
void PackR8Span(Packed& p, bool empty_metrics = false) {
  p.pk().pack_array(12);
  p.pk().pack(3).pack(4).pack(2).pack(1).pack(2).pack(3).pack(123).pack(456).pack(1);
  p.pk().pack_map(1).pack(5).pack(6);
  if (empty_metrics) {
    p.pk().pack_map(0);
  } else {
    p.pk().pack_map(1).pack(7).pack_double(1.2);
  }
  p.pk().pack(9);
}

TEST(TraceDecoderV05Test, DecodesTheStringTableFormatR8) {
  const std::string body = V05Body(kR8Dict, [](Packed& p) {
    p.pk().pack_array(1).pack_array(2);
    PackR8Span(p);
    PackR8Span(p, /*empty_metrics=*/true);
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kJson, body, out), IsOk());
  ASSERT_EQ(out.chunks_size(), 1);
  EXPECT_EQ(out.chunks(0).priority(), kPriorityNone);
  ASSERT_EQ(out.chunks(0).spans_size(), 2);
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.service(), "Service");
  EXPECT_EQ(span.name(), "Name");
  EXPECT_EQ(span.resource(), "Resource");
  EXPECT_EQ(span.traceid(), 1u);
  EXPECT_EQ(span.spanid(), 2u);
  EXPECT_EQ(span.parentid(), 3u);
  EXPECT_EQ(span.start(), 123);
  EXPECT_EQ(span.duration(), 456);
  EXPECT_EQ(span.error(), 1);
  ASSERT_EQ(span.meta_size(), 1);
  EXPECT_EQ(span.meta().at("A"), "B");
  ASSERT_EQ(span.metrics_size(), 1);
  EXPECT_DOUBLE_EQ(span.metrics().at("X"), 1.2);
  EXPECT_EQ(span.type(), "sql");
  EXPECT_TRUE(out.chunks(0).spans(1).metrics().empty());  // R8: empty map => no metrics
}

// R9: an empty table and no traces.
TEST(TraceDecoderV05Test, EmptyPayloadR9) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, Bytes({0x92, 0x90, 0x90}), out),
              IsOk());
  EXPECT_EQ(out.chunks_size(), 0);
}

// R18: indexes of any int width resolve through the table.
TEST(TraceDecoderV05Test, IndexesOfAnyIntegerWidthR18) {
  const std::vector<std::string> dict = {
      "baggage", "item", "elasticsearch.version",      "7.0",           "", "",
      "",        "",     "_dd.sampling_rate_whatever", "value whatever"};
  const std::string body = V05Body(dict, [](Packed& p) {
    p.pk().pack_array(1).pack_array(1).pack_array(12);
    p.pk().pack_fix_uint8(4).pack_fix_uint16(4).pack_fix_uint32(4);
    p.pk().pack(1).pack(2).pack(3).pack(4).pack(5).pack(0);
    p.pk().pack_map(3);
    p.pk().pack_fix_uint64(8).pack_fix_int8(9);
    p.pk().pack_fix_int16(0).pack_fix_int32(1);
    p.pk().pack_fix_int64(2).pack_fix_uint8(3);
    p.pk().pack_map(0);
    p.pk().pack(4);
  });
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, body, out), IsOk());
  const Span& span = out.chunks(0).spans(0);
  EXPECT_EQ(span.meta().at("_dd.sampling_rate_whatever"), "value whatever");
  EXPECT_EQ(span.meta().at("baggage"), "item");
  EXPECT_EQ(span.meta().at("elasticsearch.version"), "7.0");
  EXPECT_EQ(span.meta_size(), 3);
}

// R19: a span array of 11 elements.
TEST(TraceDecoderV05Test, SpanNeedsTwelveElementsR19) {
  const std::string body = V05Body(kR8Dict, [](Packed& p) {
    p.pk().pack_array(1).pack_array(1).pack_array(11);
    for (int i = 0; i < 11; ++i) {
      p.pk().pack(0);
    }
  });
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, body, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "encoded span needs exactly 12 elements in array"));
}

// R20: index 99 in a 13-entry table.
TEST(TraceDecoderV05Test, IndexOutOfRangeR20) {
  const std::string body = V05Body(kR8Dict, [](Packed& p) {
    p.pk().pack_array(1).pack_array(1).pack_array(12);
    p.pk().pack(99);
    for (int i = 0; i < 8; ++i) {
      p.pk().pack(0);
    }
    p.pk().pack_map(0).pack_map(0).pack(0);
  });
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, body, out),
              StatusIs(absl::StatusCode::kInvalidArgument, "dictionary index 99 out of range"));
}

TEST(TraceDecoderV05Test, NegativeOrNonIntegerIndexIsAnError) {
  for (const auto& write : std::vector<std::function<void(Packed&)>>{
           [](Packed& p) { p.pk().pack(-1); }, [](Packed& p) { p.Str("x"); },
           [](Packed& p) { p.pk().pack_nil(); }}) {
    const std::string body = V05Body(kR8Dict, [&](Packed& p) {
      p.pk().pack_array(1).pack_array(1).pack_array(12);
      write(p);
      for (int i = 0; i < 8; ++i) {
        p.pk().pack(0);
      }
      p.pk().pack_map(0).pack_map(0).pack(0);
    });
    TracerPayload out;
    EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, body, out),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

// R6: the body ends inside the payload.
TEST(TraceDecoderV05Test, ShortBodyIsUnexpectedEofR6) {
  TracerPayload out;
  EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack,
                     Bytes({0x92, 0x91, 0xa5, 'a', 'b', 'c', 'd', 'e'}), out),
              StatusIs(absl::StatusCode::kOutOfRange, "unexpected EOF"));
}

// R10: array and map headers declaring more than 25 000 000 elements.
TEST(TraceDecoderV05Test, HugeHeadersAreTooLongPayloadR10) {
  for (const std::string& body : {
           Bytes({0x9e, 0xdd, 0xff, 0xff, 0xff, 0xff}),              // the dictionary
           Bytes({0x92, 0x90, 0xdd, 0xff, 0xff, 0xff, 0xff}),        // the traces
           Bytes({0x92, 0x90, 0x91, 0xdd, 0x01, 0x7d, 0x78, 0x41}),  // one trace's spans
           Bytes({0x92, 0x91, 0xa0, 0x91, 0x91, 0x9c, 0,    0,    0,    0,
                  0,    0,    0,    0,    0,    0xdf, 0xff, 0xff, 0xff, 0xff}),  // a meta map
       }) {
    TracerPayload out;
    EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, body, out),
                StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
  }
  TracerPayload out;  // a dictionary string longer than the body
  EXPECT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack,
                     Bytes({0x92, 0x91, 0xdb, 0x7f, 0xff, 0xff, 0xff}), out),
              StatusIs(absl::StatusCode::kOutOfRange));
}

// ---------------------------------------------------------------------------------------------
// v0.7 (§2.4).

TEST(TraceDecoderV07Test, FillsPayloadFieldsAndChunks) {
  Packed p;
  p.pk().pack_map(12);
  p.Str("container_id").Str("abc");
  p.Str("language_name").Str("python");
  p.Str("language_version").Str("3.12");
  p.Str("tracer_version").Str("2.9.0");
  p.Str("runtime_id").Str("rid");
  p.Str("env").Str("prod");
  p.Str("hostname").Str("host");
  p.Str("app_version").Str("1.0");
  p.Str("tags").pk().pack_map(1);
  p.Str("_dd.apm_mode").Str("edge");
  p.Str("unknown").pk().pack_array(1).pack(1);
  p.Str("idx").pk().pack_nil();
  p.Str("chunks").pk().pack_array(2);
  p.pk().pack_map(5);
  p.Str("priority").pk().pack(2);
  p.Str("origin").Str("lambda");
  p.Str("tags").pk().pack_map(1);
  p.Str("_dd.p.dm").Str("-4");
  p.Str("dropped_trace").pk().pack_true();
  p.Str("spans").pk().pack_array(1).pack_map(1);
  p.Str("name").Str("op");
  p.pk().pack_nil();  // a nil chunk is dropped
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV07, BodyEncoding::kJson, p.str(), out), IsOk());
  EXPECT_EQ(out.containerid(), "abc");
  EXPECT_EQ(out.languagename(), "python");
  EXPECT_EQ(out.languageversion(), "3.12");
  EXPECT_EQ(out.tracerversion(), "2.9.0");
  EXPECT_EQ(out.runtimeid(), "rid");
  EXPECT_EQ(out.env(), "prod");
  EXPECT_EQ(out.hostname(), "host");
  EXPECT_EQ(out.appversion(), "1.0");
  EXPECT_EQ(out.tags().at("_dd.apm_mode"), "edge");
  ASSERT_EQ(out.chunks_size(), 1);
  const TraceChunk& chunk = out.chunks(0);
  EXPECT_EQ(chunk.priority(), 2);
  EXPECT_EQ(chunk.origin(), "lambda");
  EXPECT_EQ(chunk.tags().at("_dd.p.dm"), "-4");
  EXPECT_TRUE(chunk.droppedtrace());
  ASSERT_EQ(chunk.spans_size(), 1);
  EXPECT_EQ(chunk.spans(0).name(), "op");
}

// ---------------------------------------------------------------------------------------------
// Recorded dd-trace-js 5.132.0 captures: every span of the decoded view matches.

uint64_t JsonU64(const Json& value) {
  return value.is_string() ? std::stoull(value.get<std::string>()) : value.get<uint64_t>();
}
int64_t JsonI64(const Json& value) {
  return value.is_string() ? std::stoll(value.get<std::string>()) : value.get<int64_t>();
}
double JsonNumber(const Json& value) {
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    return text.starts_with('-') ? static_cast<double>(std::stoll(text))
                                 : static_cast<double>(std::stoull(text));
  }
  return value.get<double>();
}

void ExpectSpansMatch(const Json& traces, const TracerPayload& out) {
  ASSERT_EQ(static_cast<size_t>(out.chunks_size()), traces.size());
  for (size_t t = 0; t < traces.size(); ++t) {
    const TraceChunk& chunk = out.chunks(static_cast<int>(t));
    EXPECT_EQ(chunk.priority(), kPriorityNone);
    ASSERT_EQ(static_cast<size_t>(chunk.spans_size()), traces[t].size());
    for (size_t s = 0; s < traces[t].size(); ++s) {
      const Json& want = traces[t][s];
      const Span& got = chunk.spans(static_cast<int>(s));
      SCOPED_TRACE(want.value("name", ""));
      EXPECT_EQ(got.service(), want.at("service").get<std::string>());
      EXPECT_EQ(got.name(), want.at("name").get<std::string>());
      EXPECT_EQ(got.resource(), want.at("resource").get<std::string>());
      EXPECT_EQ(got.type(), want.value("type", ""));
      EXPECT_EQ(got.traceid(), JsonU64(want.at("trace_id")));
      EXPECT_EQ(got.spanid(), JsonU64(want.at("span_id")));
      EXPECT_EQ(got.parentid(), JsonU64(want.at("parent_id")));
      EXPECT_EQ(got.start(), JsonI64(want.at("start")));
      EXPECT_EQ(got.duration(), JsonI64(want.at("duration")));
      EXPECT_EQ(got.error(), want.at("error").get<int>());
      ASSERT_EQ(got.meta_size(), static_cast<int>(want.at("meta").size()));
      for (const auto& [key, value] : want.at("meta").items()) {
        ASSERT_EQ(got.meta().count(key), 1u) << key;
        EXPECT_EQ(got.meta().at(key), value.get<std::string>()) << key;
      }
      ASSERT_EQ(got.metrics_size(), static_cast<int>(want.at("metrics").size()));
      for (const auto& [key, value] : want.at("metrics").items()) {
        ASSERT_EQ(got.metrics().count(key), 1u) << key;
        EXPECT_EQ(got.metrics().at(key), JsonNumber(value)) << key;
      }
    }
  }
}

TEST(TraceDecoderCaptureTest, DdTraceJsV04) {
  const std::string body = ReadFile(kCaptures / "dd-trace-js-v0.4-traces.msgpack");
  const Json view = Json::parse(ReadFile(kCaptures / "dd-trace-js-v0.4-traces.json"));
  ASSERT_FALSE(body.empty());
  TracerPayload out;
  ASSERT_THAT(
      Decode(TraceApiVersion::kV04, EncodingForContentType("application/msgpack"), body, out),
      IsOk());
  ExpectSpansMatch(view.at("traces"), out);
  // Trace B: 64-bit ids above 2^63 and the 128-bit high half in meta.
  const Span& worker = out.chunks(1).spans(0);
  EXPECT_EQ(worker.traceid(), 12345678901234567890ull);
  EXPECT_EQ(worker.parentid(), 9876543210987654321ull);
  EXPECT_EQ(worker.meta().at("_dd.p.tid"), "6774858000000000");
}

TEST(TraceDecoderCaptureTest, DdTraceJsV05) {
  const std::string body = ReadFile(kCaptures / "dd-trace-js-v0.5-traces.msgpack");
  const Json view = Json::parse(ReadFile(kCaptures / "dd-trace-js-v0.5-traces.json"));
  ASSERT_FALSE(body.empty());
  TracerPayload out;
  ASSERT_THAT(Decode(TraceApiVersion::kV05, BodyEncoding::kMsgpack, body, out), IsOk());
  ExpectSpansMatch(view.at("resolved"), out);
  EXPECT_EQ(out.chunks(1).spans(0).meta().at("_dd.p.tid"), "6774858000000000");
}

// Cutting a valid payload anywhere never crashes and always fails, as an EOF.
TEST(TraceDecoderCaptureTest, EveryTruncationFailsCleanly) {
  for (const auto& [file, version] :
       {std::pair{"dd-trace-js-v0.4-traces.msgpack", TraceApiVersion::kV04},
        std::pair{"dd-trace-js-v0.5-traces.msgpack", TraceApiVersion::kV05}}) {
    const std::string body = ReadFile(kCaptures / file);
    ASSERT_FALSE(body.empty());
    for (size_t size = 0; size < body.size(); ++size) {
      // A copy of exactly `size` bytes, so ASan sees any read past the cut.
      const std::string cut = body.substr(0, size);
      TracerPayload out;
      const absl::Status status = Decode(version, BodyEncoding::kMsgpack, cut, out);
      ASSERT_THAT(status, StatusIs(absl::StatusCode::kOutOfRange)) << file << " cut at " << size;
    }
  }
}

TEST(RepairUtf8Test, ReplacesEachInvalidByte) {
  std::string out;
  internal::AssignRepairedUtf8("plain", out);
  EXPECT_EQ(out, "plain");
  internal::AssignRepairedUtf8("\xc3\xa9\xf0\x9f\x98\x80", out);  // é and an emoji stay
  EXPECT_EQ(out, "\xc3\xa9\xf0\x9f\x98\x80");
  internal::AssignRepairedUtf8("\xf4\x90\x80\x80", out);  // above U+10FFFF
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  internal::AssignRepairedUtf8("\xc0\xaf", out);  // overlong '/'
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

// The ASCII fast path reads whole words and overlapping tails: a stray byte is found at every
// position of every length around the word sizes, and plain ASCII of every length passes.
TEST(RepairUtf8Test, FindsAnInvalidByteAtAnyPositionAndLength) {
  for (size_t size = 0; size <= 40; ++size) {
    const std::string ascii(size, 'a');
    EXPECT_TRUE(internal::IsValidUtf8(ascii)) << size;
    for (size_t at = 0; at < size; ++at) {
      std::string text = ascii;
      text[at] = '\xff';
      EXPECT_FALSE(internal::IsValidUtf8(text)) << size << " " << at;
      std::string out;
      internal::AssignRepairedUtf8(text, out);
      EXPECT_EQ(out, ascii.substr(0, at) + "\xEF\xBF\xBD" + ascii.substr(at + 1))
          << size << " " << at;
      text[at] = '\x7f';  // the highest ASCII byte stays valid
      EXPECT_TRUE(internal::IsValidUtf8(text)) << size << " " << at;
      if (at + 2 <= size) {
        text.replace(at, 2, "\xc3\xa9");  // a valid two-byte sequence
        EXPECT_TRUE(internal::IsValidUtf8(text)) << size << " " << at;
      }
    }
  }
}

}  // namespace
}  // namespace sidecar::apm
