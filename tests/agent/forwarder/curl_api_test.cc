#include "agent/forwarder/curl_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/testing/status_matchers.h"

namespace sidecar::forwarder {
namespace {

using ::sidecar::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The test binary's main thread is its only thread here, as SkipUnusedGnutlsInit requires.
TEST(SkipUnusedGnutlsInitTest, SetsTheVariableAndKeepsAValueAlreadySet) {
  // NOLINTBEGIN(concurrency-mt-unsafe)
  unsetenv("GNUTLS_NO_IMPLICIT_INIT");
  SkipUnusedGnutlsInit();
  ASSERT_NE(std::getenv("GNUTLS_NO_IMPLICIT_INIT"), nullptr);
  EXPECT_STREQ(std::getenv("GNUTLS_NO_IMPLICIT_INIT"), "1");

  setenv("GNUTLS_NO_IMPLICIT_INIT", "0", /*overwrite=*/1);
  SkipUnusedGnutlsInit();
  EXPECT_STREQ(std::getenv("GNUTLS_NO_IMPLICIT_INIT"), "0");
  unsetenv("GNUTLS_NO_IMPLICIT_INIT");
  // NOLINTEND(concurrency-mt-unsafe)
}

TEST(DlopenCurlApiTest, LoadsTheSystemLibcurl) {
  DlopenCurlApi& curl = DlopenCurlApi::Default();
  ASSERT_TRUE(curl.Load().ok()) << curl.Load();
  EXPECT_STREQ(curl.EasyStrerror(CURLE_OK), "No error");
  CURL* easy = curl.EasyInit();
  ASSERT_NE(easy, nullptr);
  EXPECT_EQ(curl.EasySetoptPointer(easy, CURLOPT_URL, "http://127.0.0.1/"), CURLE_OK);
  curl.EasyCleanup(easy);
}

TEST(DlopenCurlApiTest, MissingLibraryFailsWithDlerrorEveryTime) {
  DlopenCurlApi curl("libcurl-sidecar-missing.so.4");
  const absl::Status first = curl.Load();
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kFailedPrecondition,
                              StartsWith("libcurl-sidecar-missing.so.4 could not be loaded: ")));
  EXPECT_THAT(std::string(first.message()), HasSubstr("No such file or directory"));
  EXPECT_EQ(curl.Load(), first);  // Tried once; the result is kept.
}

TEST(DlopenCurlApiTest, LibraryWithoutTheCurlSymbolsIsRejected) {
  DlopenCurlApi curl("libz.so.1");  // Loadable, but not libcurl.
  EXPECT_THAT(curl.Load(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       StartsWith("libz.so.1 is not a usable libcurl: curl_global_init: ")));
}

}  // namespace
}  // namespace sidecar::forwarder
