#include "apm/http_obfuscator.h"

#include <gtest/gtest.h>

namespace sidecar::apm {
namespace {

constexpr std::string_view kUrl = "http://user:password@foo.com/1/2/3?q=james";

TEST(HttpObfuscatorTest, DefaultsOnlyRemoveUserInfo) {  // O8
  EXPECT_EQ(ObfuscateUrl(kUrl, false, false), "http://foo.com/1/2/3?q=james");
  EXPECT_EQ(ObfuscateUrl("http://foo.com/a?b#c", false, false), "http://foo.com/a?b#c");
  EXPECT_EQ(ObfuscateUrl("https://u@[::1]:8080/x", false, false), "https://[::1]:8080/x");
}

TEST(HttpObfuscatorTest, RemoveQueryStringLeavesABareQuestionMark) {  // O8
  EXPECT_EQ(ObfuscateUrl(kUrl, true, false), "http://foo.com/1/2/3?");
  EXPECT_EQ(ObfuscateUrl("http://foo.com/path", true, false), "http://foo.com/path");
  EXPECT_EQ(ObfuscateUrl("http://foo.com/path?", true, false), "http://foo.com/path?");
}

TEST(HttpObfuscatorTest, RemovePathsWithDigits) {  // O8
  EXPECT_EQ(ObfuscateUrl(kUrl, false, true), "http://foo.com/?/?/??q=james");
  EXPECT_EQ(ObfuscateUrl("/users/42/profile", false, true), "/users/?/profile");
  EXPECT_EQ(ObfuscateUrl("http://foo.com/a%31b/c", false, true), "http://foo.com/?/c");
}

TEST(HttpObfuscatorTest, BothOptions) {  // O8
  EXPECT_EQ(ObfuscateUrl(kUrl, true, true), "http://foo.com/?/?/??");
  EXPECT_EQ(ObfuscateUrl("http://foo.com/id/123/page/1?search=bar&page=2#fragment", true, true),
            "http://foo.com/id/?/page/??#fragment");
}

TEST(HttpObfuscatorTest, UnparsableUrlIsHiddenOnlyWhenAnOptionIsOn) {
  for (const std::string_view bad :
       {"http://foo.com/\x01", "http://foo.com:port/", "http://foo.com/%zz", "1a:b/c",
        "http://foo bar.com/", "http://us{er@foo.com/"}) {
    EXPECT_EQ(ObfuscateUrl(bad, false, false), bad);
    EXPECT_EQ(ObfuscateUrl(bad, true, false), "?") << bad;
    EXPECT_EQ(ObfuscateUrl(bad, false, true), "?") << bad;
  }
  EXPECT_EQ(ObfuscateUrl("://nothing", true, true), "?");
}

TEST(HttpObfuscatorTest, OpaqueUrlsKeepTheirText) {
  EXPECT_EQ(ObfuscateUrl("mailto:user1@example.com", true, true), "mailto:user1@example.com");
}

}  // namespace
}  // namespace sidecar::apm
