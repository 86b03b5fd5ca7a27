// MsgpackReader (apm/msgpack_reader.h): every wire format, header validation against the bytes
// left (apm.md R10), and Skip() over anything with a depth limit. Inputs are built with
// msgpack-cxx's packer (or raw bytes where a non-minimal encoding is the point), so the tests do
// not depend on the code under test.
#include "apm/msgpack_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <msgpack.hpp>
#include <string>

#include "tests/testing/status_matchers.h"

namespace sidecar::apm {
namespace {

using ::sidecar::testing::IsOk;
using ::sidecar::testing::StatusIs;
using ::testing::HasSubstr;

// Collects what a msgpack-cxx packer writes.
class Packed {
 public:
  msgpack::packer<msgpack::sbuffer>& pk() { return packer_; }
  std::string str() const { return std::string(buffer_.data(), buffer_.size()); }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_{&buffer_};
};

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (const int b : bytes) {
    out.push_back(static_cast<char>(b));
  }
  return out;
}

MsgpackInt ReadOneInt(const std::string& data) {
  MsgpackReader reader(data);
  MsgpackInt value;
  EXPECT_THAT(reader.ReadInt(value), IsOk());
  EXPECT_TRUE(reader.AtEnd());
  return value;
}

TEST(MsgpackReaderTest, ReadsUnsignedIntegersOfEveryWidth) {
  Packed p;
  p.pk().pack_fix_uint8(200);
  p.pk().pack_fix_uint16(60000);
  p.pk().pack_fix_uint32(4000000000u);
  p.pk().pack_fix_uint64(18446744073709551615ull);
  p.pk().pack_uint8(7);  // positive fixint
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  for (const uint64_t expected : {uint64_t{200}, uint64_t{60000}, uint64_t{4000000000u},
                                  uint64_t{18446744073709551615ull}, uint64_t{7}}) {
    MsgpackInt value;
    ASSERT_THAT(reader.ReadInt(value), IsOk());
    EXPECT_FALSE(value.negative);
    EXPECT_EQ(value.bits, expected);
  }
  EXPECT_TRUE(reader.AtEnd());
}

TEST(MsgpackReaderTest, ReadsSignedIntegersOfEveryWidth) {
  Packed p;
  p.pk().pack_fix_int8(-100);
  p.pk().pack_fix_int16(-30000);
  p.pk().pack_fix_int32(-2000000000);
  p.pk().pack_fix_int64(std::numeric_limits<int64_t>::min());
  p.pk().pack_int8(-5);          // negative fixint
  p.pk().pack_fix_int16(12345);  // a positive value in a signed format
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  for (const int64_t expected : {int64_t{-100}, int64_t{-30000}, int64_t{-2000000000},
                                 std::numeric_limits<int64_t>::min(), int64_t{-5}}) {
    MsgpackInt value;
    ASSERT_THAT(reader.ReadInt(value), IsOk());
    EXPECT_TRUE(value.negative);
    EXPECT_EQ(value.AsInt64(), expected);
  }
  MsgpackInt positive;
  ASSERT_THAT(reader.ReadInt(positive), IsOk());
  EXPECT_FALSE(positive.negative);
  EXPECT_EQ(positive.bits, 12345u);
}

TEST(MsgpackReaderTest, NegativeValuesKeepTheirTwosComplementBits) {
  EXPECT_EQ(ReadOneInt(Bytes({0xff})).bits, 0xffffffffffffffffull);  // -1 as fixint
  EXPECT_EQ(ReadOneInt(Bytes({0xd0, 0x80})).AsInt64(), -128);
}

TEST(MsgpackReaderTest, ReadsFloatsOfBothWidths) {
  Packed p;
  p.pk().pack_float(1.5f);
  p.pk().pack_double(1999.99);
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  double value = 0;
  ASSERT_THAT(reader.ReadFloat(value), IsOk());
  EXPECT_EQ(value, 1.5);
  ASSERT_THAT(reader.ReadFloat(value), IsOk());
  EXPECT_EQ(value, 1999.99);
}

TEST(MsgpackReaderTest, ReadsStrAndBinOfEveryWidth) {
  // Non-minimal headers on purpose: str8/str16/str32 and bin8/16/32 of short payloads.
  const std::string data = Bytes({0xa3, 'a',  'b',  'c',  0xd9, 0x02, 'd',  'e',  0xda, 0x00, 0x01,
                                  'f',  0xdb, 0x00, 0x00, 0x00, 0x01, 'g',  0xc4, 0x01, 'h',  0xc5,
                                  0x00, 0x01, 'i',  0xc6, 0x00, 0x00, 0x00, 0x02, 'j',  'k'});
  MsgpackReader reader(data);
  for (const std::string_view expected : {"abc", "de", "f", "g", "h", "i", "jk"}) {
    std::string_view value;
    ASSERT_THAT(reader.ReadStringOrBinary(value), IsOk());
    EXPECT_EQ(value, expected);
  }
  EXPECT_TRUE(reader.AtEnd());
}

TEST(MsgpackReaderTest, StringViewsPointIntoTheBuffer) {
  Packed p;
  p.pk().pack(std::string(300, 'x'));  // str16
  const std::string data = p.str();
  MsgpackReader reader(data);
  std::string_view value;
  ASSERT_THAT(reader.ReadStringOrBinary(value), IsOk());
  EXPECT_EQ(value.size(), 300u);
  EXPECT_EQ(value.data(), data.data() + 3);
}

TEST(MsgpackReaderTest, ReadsNilBoolArraysAndMaps) {
  Packed p;
  p.pk().pack_nil();
  p.pk().pack_true();
  p.pk().pack_false();
  p.pk().pack_array(2);
  p.pk().pack(1);
  p.pk().pack(2);
  p.pk().pack_map(1);
  p.pk().pack(std::string("k"));
  p.pk().pack_nil();
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  EXPECT_TRUE(reader.TryReadNil());
  EXPECT_FALSE(reader.TryReadNil());
  bool flag = false;
  ASSERT_THAT(reader.ReadBool(flag), IsOk());
  EXPECT_TRUE(flag);
  ASSERT_THAT(reader.ReadBool(flag), IsOk());
  EXPECT_FALSE(flag);
  uint32_t count = 0;
  ASSERT_THAT(reader.ReadArrayHeader(count), IsOk());
  EXPECT_EQ(count, 2u);
  MsgpackInt value;
  ASSERT_THAT(reader.ReadInt(value), IsOk());
  ASSERT_THAT(reader.ReadInt(value), IsOk());
  ASSERT_THAT(reader.ReadMapHeader(count), IsOk());
  EXPECT_EQ(count, 1u);
  std::string_view key;
  ASSERT_THAT(reader.ReadStringOrBinary(key), IsOk());
  EXPECT_THAT(reader.ReadNil(), IsOk());
  EXPECT_TRUE(reader.AtEnd());
}

TEST(MsgpackReaderTest, PeekTypeClassifiesWithoutConsuming) {
  Packed p;
  p.pk().pack_ext(4, 7);
  p.pk().pack_ext_body("abcd", 4);
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  MsgpackType type;
  ASSERT_THAT(reader.PeekType(type), IsOk());
  EXPECT_EQ(type, MsgpackType::kExt);
  EXPECT_EQ(reader.position(), 0u);
  EXPECT_THAT(reader.PeekType(type), IsOk());
}

TEST(MsgpackReaderTest, WrongTypeIsInvalidArgument) {
  Packed p;
  p.pk().pack(std::string("text"));
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  MsgpackInt value;
  EXPECT_THAT(reader.ReadInt(value),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"str\"")));
  uint32_t count = 0;
  EXPECT_THAT(reader.ReadMapHeader(count), StatusIs(absl::StatusCode::kInvalidArgument));
  double number = 0;
  EXPECT_THAT(reader.ReadFloat(number), StatusIs(absl::StatusCode::kInvalidArgument));
}

// R10: headers are checked against the element limit first, then against the bytes left.
TEST(MsgpackReaderTest, HugeArrayHeaderIsTooLongPayload) {
  const std::string reader_data = Bytes({0xdd, 0xff, 0xff, 0xff, 0xff});
  MsgpackReader reader(reader_data);
  uint32_t count = 0;
  EXPECT_THAT(reader.ReadArrayHeader(count),
              StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
}

TEST(MsgpackReaderTest, HugeMapHeaderIsTooLongPayload) {
  const std::string reader_data = Bytes({0xdf, 0x01, 0x7d, 0x78, 0x41, 0x00});
  MsgpackReader reader(reader_data);  // 25 000 001 entries
  uint32_t count = 0;
  EXPECT_THAT(reader.ReadMapHeader(count),
              StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
}

TEST(MsgpackReaderTest, HeaderAtTheLimitButBeyondTheBodyFailsAtOnce) {
  // 25 000 000 elements announced in a 10-byte body: unexpected EOF before any element is read.
  const std::string reader_data =
      Bytes({0xdd, 0x01, 0x7d, 0x78, 0x40, 0x01, 0x02, 0x03, 0x04, 0x05});
  MsgpackReader reader(reader_data);
  uint32_t count = 0;
  EXPECT_THAT(reader.ReadArrayHeader(count),
              StatusIs(absl::StatusCode::kOutOfRange, "unexpected EOF"));
}

TEST(MsgpackReaderTest, MapEntriesNeedTwoBytesEach) {
  const std::string fits_data = Bytes({0x82, 0x01, 0x02, 0x03, 0x04});
  MsgpackReader fits(fits_data);
  uint32_t count = 0;
  EXPECT_THAT(fits.ReadMapHeader(count), IsOk());
  const std::string short_by_one_data = Bytes({0x82, 0x01, 0x02, 0x03});
  MsgpackReader short_by_one(short_by_one_data);
  EXPECT_THAT(short_by_one.ReadMapHeader(count), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(MsgpackReaderTest, LimitOnlyHeaderSkipsTheSizeCheck) {
  const std::string reader_data = Bytes({0x9e});
  MsgpackReader reader(reader_data);
  uint32_t count = 0;
  EXPECT_THAT(reader.ReadArrayHeader(count, MsgpackReader::HeaderCheck::kLimitOnly), IsOk());
  EXPECT_EQ(count, 14u);
}

TEST(MsgpackReaderTest, CustomElementLimit) {
  const std::string reader_data = Bytes({0x93, 0x01, 0x02, 0x03});
  MsgpackReader reader(reader_data, /*max_container_elements=*/2);
  uint32_t count = 0;
  EXPECT_THAT(reader.ReadArrayHeader(count),
              StatusIs(absl::StatusCode::kInvalidArgument, "too long payload"));
}

TEST(MsgpackReaderTest, TruncatedValuesAreUnexpectedEof) {
  for (const std::string& data :
       {Bytes({}), Bytes({0xa5, 'a', 'b'}), Bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 'x'}),
        Bytes({0xcd, 0x01}), Bytes({0xcb, 0, 0, 0}), Bytes({0xdc, 0x00})}) {
    MsgpackReader reader(data);
    std::string_view text;
    MsgpackInt integer;
    double number = 0;
    uint32_t count = 0;
    const uint8_t lead = data.empty() ? 0xa0 : static_cast<uint8_t>(data[0]);
    absl::Status status;
    if (lead == 0xcd) {
      status = reader.ReadInt(integer);
    } else if (lead == 0xcb) {
      status = reader.ReadFloat(number);
    } else if (lead == 0xdc) {
      status = reader.ReadArrayHeader(count);
    } else {
      status = reader.ReadStringOrBinary(text);
    }
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kOutOfRange, "unexpected EOF"))
        << "lead " << static_cast<int>(lead);
    MsgpackReader skipper(data);
    EXPECT_THAT(skipper.Skip(), StatusIs(absl::StatusCode::kOutOfRange));
  }
}

TEST(MsgpackReaderTest, SkipsEveryKindOfValue) {
  Packed p;
  p.pk().pack_map(3);
  p.pk().pack(std::string("ext"));
  p.pk().pack_ext(3, 1);
  p.pk().pack_ext_body("xyz", 3);
  p.pk().pack(std::string("nested"));
  p.pk().pack_array(4);
  p.pk().pack_double(2.5);
  p.pk().pack_float(1.0f);
  p.pk().pack_fix_int64(-1);
  p.pk().pack_map(1);
  p.pk().pack_bin(2);
  p.pk().pack_bin_body("\x00\x01", 2);
  p.pk().pack_array(0);
  p.pk().pack(std::string("fixext"));
  p.pk().pack_ext(16, 2);
  p.pk().pack_ext_body("0123456789abcdef", 16);
  p.pk().pack(std::string("after"));
  const std::string reader_data = p.str();
  MsgpackReader reader(reader_data);
  ASSERT_THAT(reader.Skip(), IsOk());
  std::string_view after;
  ASSERT_THAT(reader.ReadStringOrBinary(after), IsOk());
  EXPECT_EQ(after, "after");
  EXPECT_TRUE(reader.AtEnd());
}

TEST(MsgpackReaderTest, SkipRefusesDeepNestingWithoutRecursing) {
  std::string deep(MsgpackReader::kSkipDepthLimit, '\x91');  // [[[[...]]]]
  deep.push_back('\x01');
  MsgpackReader too_deep(deep);
  EXPECT_THAT(too_deep.Skip(), StatusIs(absl::StatusCode::kInvalidArgument));

  std::string shallow(MsgpackReader::kSkipDepthLimit - 1, '\x91');
  shallow.push_back('\x01');
  MsgpackReader fine(shallow);
  EXPECT_THAT(fine.Skip(), IsOk());
  EXPECT_TRUE(fine.AtEnd());

  std::string huge(1'000'000, '\x91');  // would overflow a recursive skipper's stack
  MsgpackReader refused(huge);
  EXPECT_FALSE(refused.Skip().ok());
}

TEST(MsgpackReaderTest, ReservedByteIsInvalid) {
  const std::string reader_data = Bytes({0xc1});
  MsgpackReader reader(reader_data);
  EXPECT_THAT(reader.Skip(), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string again_data = Bytes({0xc1});
  MsgpackReader again(again_data);
  MsgpackType type;
  ASSERT_THAT(again.PeekType(type), IsOk());
  EXPECT_EQ(type, MsgpackType::kInvalid);
}

}  // namespace
}  // namespace sidecar::apm
