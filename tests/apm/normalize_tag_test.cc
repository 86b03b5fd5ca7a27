// Conformance cases N1-N4, N10, N15, N16 of ../shared/spec/apm.md §11 for the string normalizers,
// plus UTF-8 edge cases: whatever the input, the output is valid UTF-8.
#include "apm/normalize_tag.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sidecar::apm {
namespace {

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out.append(s);
  }
  return out;
}

// Strict UTF-8 validity (no overlong forms, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 2;
      lo = b0 == 0xE0 ? 0xA0 : 0x80;
      hi = b0 == 0xED ? 0x9F : 0xBF;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 3;
      lo = b0 == 0xF0 ? 0x90 : 0x80;
      hi = b0 == 0xF4 ? 0x8F : 0xBF;
    } else {
      return false;
    }
    if (i + n >= s.size()) {
      return false;
    }
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) {
      return false;
    }
    for (size_t k = 2; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += n + 1;
  }
  return true;
}

TEST(IsValidUtf8Test, HelperRejectsBrokenSequences) {
  EXPECT_TRUE(IsValidUtf8("aé繋🐨"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf0\x9f\x90"));
}

struct TagCase {
  std::string in;
  std::string out;
};

// N15: the tag table of the spec, row by row.
class NormalizeTagTableTest : public ::testing::TestWithParam<TagCase> {};

TEST_P(NormalizeTagTableTest, MatchesAgent) {
  EXPECT_EQ(NormalizeTag(GetParam().in), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    N15, NormalizeTagTableTest,
    ::testing::Values(TagCase{"#test_starting_hash", "test_starting_hash"},
                      TagCase{"TestCAPSandSuch", "testcapsandsuch"},
                      TagCase{"Test Conversion Of Weird !@#$%^&**() Characters",
                              "test_conversion_of_weird_characters"},
                      TagCase{"1love", "love"}, TagCase{"ünicöde:metäl", "ünicöde:metäl"},
                      TagCase{"Data🐨dog🐶 繋がっ⛰てて", "data_dog_繋がっ_てて"},
                      TagCase{" #hashtag!@#spaces #__<>#  ", "hashtag_spaces"},
                      TagCase{"contiguous_____underscores", "contiguous_underscores"},
                      TagCase{"12.:trim@@", ":trim"},
                      TagCase{"---fun:k####y_ta@#g/1_@@#", "fun:k_y_ta_g/1"},
                      TagCase{"test\x99\x8f"
                              "aaa",
                              "test_aaa"},
                      TagCase{Repeat("a", 888), Repeat("a", 200)}));

TEST(NormalizeTagTest, EmptyStaysEmpty) {
  EXPECT_EQ(NormalizeTag(""), "");
  EXPECT_EQ(NormalizeTagValue(""), "");
}

TEST(NormalizeTagTest, LowercasesUnicodeUpperCaseOfSameWidth) {
  EXPECT_EQ(NormalizeTag("ÜNICÖDE:MÉTAL"), "ünicöde:métal");
  EXPECT_EQ(NormalizeTag("ΣΊΣΥΦΟΣ"), "σίσυφοσ");
}

TEST(NormalizeTagTest, KeepsUpperCaseWhoseLowerCaseIsWider) {
  // U+023A (2 bytes) lowercases to U+2C65 (3 bytes); U+0130 to 'i' (1 byte): the Agent keeps them.
  EXPECT_EQ(NormalizeTag("aȺb"), "aȺb");
  EXPECT_EQ(NormalizeTag("aİb"), "aİb");
}

TEST(NormalizeTagTest, KeepsNonAsciiDigitsAfterFirstLetter) {
  EXPECT_EQ(NormalizeTag("a٣"), "a٣");  // ARABIC-INDIC DIGIT THREE
  EXPECT_EQ(NormalizeTag("٣a"), "a");   // a digit cannot start a tag
  EXPECT_EQ(NormalizeTagValue("٣a"), "٣a");
}

TEST(NormalizeTagTest, ReplacementCharacterIsNotALetter) {
  EXPECT_EQ(NormalizeTag("a\xef\xbf\xbd"
                         "b"),
            "a_b");
}

TEST(NormalizeTagTest, StopsAfter400BytesScanned) {
  // 'a' then 100 four-byte emoji reach byte 400: the scan stops and the trailing cut is dropped.
  EXPECT_EQ(NormalizeTag("a" + Repeat("🐨", 200) + "b"), "a");
}

TEST(NormalizeTagTest, CountsCharactersNotBytesFor200Limit) {
  const std::string result = NormalizeTag(Repeat("ü", 300));
  EXPECT_EQ(result, Repeat("ü", 200));
}

TEST(NormalizeTagTest, InvalidUtf8BecomesUnderscore) {
  EXPECT_EQ(NormalizeTag("a\xff"
                         "b"),
            "a_b");
  EXPECT_EQ(NormalizeTag("a\xc0\xaf"
                         "b"),
            "a_b");  // overlong '/'
  EXPECT_EQ(NormalizeTag("a\xed\xa0\x80"
                         "b"),
            "a_b");                             // UTF-16 surrogate
  EXPECT_EQ(NormalizeTag("ab\xe2\x82"), "ab");  // truncated sequence at the end
  EXPECT_EQ(NormalizeTag("\xff"
                         "ab"),
            "ab");  // leading invalid byte trimmed
  EXPECT_EQ(NormalizeTagValue("\xff"
                              "ab"),
            "_ab");
}

TEST(NormalizeTagTest, FastPathAcceptsOnlyNormalAscii) {
  EXPECT_TRUE(IsNormalizedAsciiTag("env:prod-1.2/x_y", /*tag_mode=*/true));
  EXPECT_FALSE(IsNormalizedAsciiTag("a__b", true));
  EXPECT_FALSE(IsNormalizedAsciiTag("a_", true));
  EXPECT_FALSE(IsNormalizedAsciiTag("_a", true));
  EXPECT_TRUE(IsNormalizedAsciiTag("_a", /*tag_mode=*/false));
  EXPECT_FALSE(IsNormalizedAsciiTag("1a", true));
  EXPECT_TRUE(IsNormalizedAsciiTag("1a", false));
  EXPECT_FALSE(IsNormalizedAsciiTag("Ab", false));
  EXPECT_FALSE(IsNormalizedAsciiTag(Repeat("a", 201), false));
}

TEST(NormalizeTagValueTest, InPlaceLeavesNormalValueUntouched) {
  std::string value = "already-normal.value";
  const char* before = value.data();
  NormalizeTagValueInPlace(value);
  EXPECT_EQ(value, "already-normal.value");
  EXPECT_EQ(value.data(), before);
  value = "Not Normal";
  NormalizeTagValueInPlace(value);
  EXPECT_EQ(value, "not_normal");
}

// N16: services are tag values (digits may come first).
TEST(NormalizeServiceTest, N16Table) {
  EXPECT_EQ(NormalizeService("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(NormalizeService("🐨animal-db🐶", ""), "_animal-db");
  EXPECT_EQ(NormalizeService("1🐨1animal-db🐶", ""), "1_1animal-db");
  EXPECT_EQ(NormalizeService("bad$service", ""), "bad_service");
  std::string too_long = Repeat("Too$Long$.", 11);
  EXPECT_EQ(NormalizeServiceInPlace(too_long, ""), NormalizeResult::kTooLong);
  EXPECT_EQ(too_long, Repeat("too_long_.", 10));
}

TEST(NormalizeServiceTest, N1EmptyServiceFallsBackPerLanguage) {
  std::string service;
  EXPECT_EQ(NormalizeServiceInPlace(service, ""), NormalizeResult::kEmpty);
  EXPECT_EQ(service, "unnamed-service");
  service.clear();
  EXPECT_EQ(NormalizeServiceInPlace(service, "java"), NormalizeResult::kEmpty);
  EXPECT_EQ(service, "unnamed-java-service");
}

TEST(NormalizeServiceTest, N2LongServiceTruncatedTo100AndLowercased) {
  std::string service = Repeat("CAMEMBERT", 100);
  EXPECT_EQ(NormalizeServiceInPlace(service, ""), NormalizeResult::kTooLong);
  EXPECT_EQ(service, Repeat("camembert", 12).substr(0, 100));
}

TEST(NormalizeServiceTest, N10InvalidCharactersReplacedAndTrailingRunDropped) {
  EXPECT_EQ(NormalizeService("retargeting(api-Staging ", ""), "retargeting_api-staging");
}

TEST(NormalizeServiceTest, NothingLeftFallsBackAsInvalid) {
  std::string service = "!!!";
  EXPECT_EQ(NormalizeServiceInPlace(service, "python"), NormalizeResult::kInvalid);
  EXPECT_EQ(service, "unnamed-python-service");
}

TEST(NormalizeServiceTest, TruncationDoesNotSplitMultiByteCharacter) {
  // 99 ASCII bytes then a 2-byte letter: the cut at 100 bytes falls inside it.
  std::string service = Repeat("a", 99) + "é";
  EXPECT_EQ(NormalizeServiceInPlace(service, ""), NormalizeResult::kTooLong);
  EXPECT_EQ(service, Repeat("a", 99));
}

TEST(NormalizePeerServiceTest, N16EmptyStaysEmptyWithoutError) {
  std::string peer;
  EXPECT_EQ(NormalizePeerServiceInPlace(peer), NormalizeResult::kOk);
  EXPECT_EQ(peer, "");
  EXPECT_EQ(NormalizePeerService(""), "");
}

TEST(NormalizePeerServiceTest, InvalidBecomesEmpty) {
  std::string peer = "$$$";
  EXPECT_EQ(NormalizePeerServiceInPlace(peer), NormalizeResult::kInvalid);
  EXPECT_EQ(peer, "");
  EXPECT_EQ(NormalizePeerService("Billing-DB"), "billing-db");
}

TEST(NormalizeNameTest, N3Table) {
  std::string name;
  EXPECT_EQ(NormalizeNameInPlace(name), NormalizeResult::kEmpty);
  EXPECT_EQ(name, "unnamed_operation");
  name = "/";
  EXPECT_EQ(NormalizeNameInPlace(name), NormalizeResult::kInvalid);
  EXPECT_EQ(name, "unnamed_operation");
  EXPECT_EQ(NormalizeName("trace-api.request"), "trace_api.request");
  EXPECT_EQ(NormalizeName("pylons.controller"), "pylons.controller");
  EXPECT_EQ(NormalizeName("bad-name"), "bad_name");
}

TEST(NormalizeNameTest, N4TooLongNameTruncatedThenParsed) {
  std::string name = Repeat("Too-Long-.", 11);
  EXPECT_EQ(NormalizeNameInPlace(name), NormalizeResult::kTooLong);
  EXPECT_EQ(name, Repeat("Too_Long.", 10));
  EXPECT_EQ(name.size(), 90u);
}

TEST(NormalizeNameTest, N2CaseIsPreserved) {
  std::string name = Repeat("CAMEMBERT", 100);
  EXPECT_EQ(NormalizeNameInPlace(name), NormalizeResult::kTooLong);
  EXPECT_EQ(name, Repeat("CAMEMBERT", 12).substr(0, 100));
}

TEST(NormalizeNameTest, ParserRules) {
  EXPECT_EQ(NormalizeName("  hello world__ "), "hello_world");  // leading non-letters skipped
  EXPECT_EQ(NormalizeName("café.latte"), "caf.latte");          // '_' before '.' becomes '.'
  EXPECT_EQ(NormalizeName("a.-b"), "a.b");                      // no '_' after '.'
  EXPECT_EQ(NormalizeName("http.request_"), "http.request");    // trailing '_' dropped
  EXPECT_EQ(NormalizeName("123"), "unnamed_operation");
  // The Agent's "already valid" check allows '_' right after '.', which its parser would drop.
  EXPECT_EQ(NormalizeName("a._b"), "a._b");
}

TEST(NormalizeNameTest, InPlaceLeavesNormalNameUntouched) {
  std::string name = "web.request";
  const char* before = name.data();
  EXPECT_EQ(NormalizeNameInPlace(name), NormalizeResult::kOk);
  EXPECT_EQ(name.data(), before);
}

TEST(TruncateUtf8Test, CutsOnCharacterBoundaries) {
  EXPECT_EQ(TruncateUtf8("", 5), "");
  EXPECT_EQ(TruncateUtf8("télé", 5), "tél");
  EXPECT_EQ(TruncateUtf8("télé", 2), "t");
  EXPECT_EQ(TruncateUtf8("ééééé", 5), "éé");
  EXPECT_EQ(TruncateUtf8("ééééé", 18), "ééééé");
  EXPECT_EQ(TruncateUtf8("ééééé", 10), "ééééé");
  EXPECT_EQ(TruncateUtf8("ééééé", 6), "ééé");
  EXPECT_EQ(TruncateUtf8("肋", 2), "");
  EXPECT_EQ(TruncateUtf8("🠠a", 4), "🠠");
  EXPECT_EQ(TruncateUtf8("⃠⃠a", 6), "⃠⃠");
  EXPECT_EQ(TruncateUtf8("àa", 2), "à");
  EXPECT_EQ(TruncateUtf8("abc", 2), "ab");
}

TEST(TruncateUtf8Test, LongRunOfContinuationBytesIsCutAtLimit) {
  const std::string junk = "a" + std::string(10, '\x80');
  EXPECT_EQ(TruncateUtf8(junk, 6).size(), 6u);
}

// Whatever bytes come in, the normalizers emit valid UTF-8 within their limits.
TEST(NormalizeUtf8Test, RandomBytesNeverProduceInvalidUtf8) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> len_dist(0, 600);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  const std::vector<std::string> pieces = {"é", "繋", "🐨", "Σ", "\xff", "\xc3", "\xe2\x82",
                                           "_", "A",  "1", ".", "Ⱥ",    ":"};
  std::uniform_int_distribution<size_t> piece_dist(0, pieces.size() - 1);
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    const int len = len_dist(rng);
    for (int i = 0; i < len; ++i) {
      if (i % 3 == 0) {
        input += pieces[piece_dist(rng)];
      } else {
        input.push_back(static_cast<char>(byte_dist(rng)));
      }
    }
    const std::string tag = NormalizeTag(input);
    const std::string value = NormalizeTagValue(input);
    const std::string service = NormalizeService(input, "go");
    const std::string name = NormalizeName(input);
    ASSERT_TRUE(IsValidUtf8(tag)) << "round " << round;
    ASSERT_TRUE(IsValidUtf8(value)) << "round " << round;
    ASSERT_TRUE(IsValidUtf8(service)) << "round " << round;
    ASSERT_TRUE(IsValidUtf8(name)) << "round " << round;
    ASSERT_LE(tag.size(), 404u);
    ASSERT_LE(name.size(), kMaxNameLen);
    ASSERT_FALSE(service.empty());
    ASSERT_FALSE(name.empty());
  }
}

}  // namespace
}  // namespace sidecar::apm
