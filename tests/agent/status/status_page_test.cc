#include "agent/status/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"

namespace sidecar::status {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kPlaceholder =
    R"(<script id="initial" type="application/json">null</script>)";

// The snapshot between the placeholder's tags, as the page's JSON.parse sees it.
std::string InlinedSnapshot(const std::string& page) {
  const std::string open = R"(<script id="initial" type="application/json">)";
  const size_t start = page.find(open);
  if (start == std::string::npos) {
    return "";
  }
  const size_t body = start + open.size();
  return page.substr(body, page.find("</script>", body) - body);
}

TEST(StatusPageTest, EmbeddedPageIsTheWholeHtmlFile) {
  const std::string_view page = StatusPageHtml();
  EXPECT_EQ(page.substr(0, 15), "<!doctype html>");
  EXPECT_THAT(std::string(page), HasSubstr("</html>"));
  EXPECT_LT(page.size(), 32u * 1024) << "the page should stay small";
  EXPECT_EQ(page.find('\0'), std::string_view::npos);
}

TEST(StatusPageTest, PageLoadsNoExternalAsset) {
  const std::string page(StatusPageHtml());
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("<link")));
  EXPECT_THAT(page, Not(HasSubstr("@import")));
  EXPECT_THAT(page, Not(HasSubstr("url(")));
  EXPECT_THAT(page, HasSubstr("fetch('/status'"));
}

TEST(StatusPageTest, PageHasTheSnapshotPlaceholderAndTheElementsTheBrowserTestReads) {
  const std::string page(StatusPageHtml());
  EXPECT_THAT(page, HasSubstr(kPlaceholder));
  for (const char* id :
       {"id=\"task-arn\"", "id=\"upstream-body\"", "id=\"drops\"", "id=\"retry-queue-bytes\"",
        "id=\"components-body\"", "'rate-'", "'total-'", "'chart-'"}) {
    EXPECT_THAT(page, HasSubstr(id));
  }
}

TEST(StatusPageTest, SnapshotReplacesThePlaceholderOnce) {
  const std::string page = StatusPageWithSnapshot(R"({"version":"1.2.3"})");
  EXPECT_THAT(page, Not(HasSubstr(kPlaceholder)));
  EXPECT_EQ(InlinedSnapshot(page), R"({"version":"1.2.3"})");
  EXPECT_EQ(page.size(), StatusPageHtml().size() - 4 + 19);
}

TEST(StatusPageTest, SnapshotEscapesEveryLessThanAndStaysValidJson) {
  const nlohmann::json document = {{"tag", "</script><!-- <b>"}};
  const std::string page = StatusPageWithSnapshot(document.dump());
  const std::string inlined = InlinedSnapshot(page);
  EXPECT_EQ(inlined.find('<'), std::string::npos);
  const auto parsed = nlohmann::json::parse(inlined, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed, document);
}

}  // namespace
}  // namespace sidecar::status
