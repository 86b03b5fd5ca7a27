// DogStatsD settings parsed from the environment: the variables added with mapper profiles (E09),
// v1 series (H03) and the stream socket (B10). Errors name the variable (style.md §2.7).
#include "statsd/statsd_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "agent/config/agent_config.h"
#include "agent/config/environment.h"

namespace sidecar::statsd {
namespace {

using ::testing::HasSubstr;

config::MapEnvironment Env(std::map<std::string, std::string, std::less<>> variables) {
  return config::MapEnvironment(std::move(variables));
}

absl::StatusOr<StatsdPipelineOptions> Load(config::MapEnvironment environment) {
  environment.Set("DD_API_KEY", "0123456789abcdef0123456789abcdef");
  auto agent = config::Finalize(config::ReadRawConfig(environment));
  EXPECT_TRUE(agent.ok()) << agent.status().ToString();
  return FinalizeStatsdOptions(environment, *agent);
}

TEST(StatsdConfigTest, DefaultsKeepV2SeriesNoMapperAndNoStreamSocket) {
  auto options = Load(config::MapEnvironment());
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_TRUE(options->use_v2_series);
  EXPECT_EQ(options->enricher.mapper_profiles, nullptr);
  EXPECT_EQ(options->enricher.mapper_cache_size, 1000u);
  EXPECT_EQ(options->stream_source.socket_path, "");
}

// H03: DD_USE_V2_API_SERIES=false selects /api/v1/series.
TEST(StatsdConfigTest, UseV2ApiSeriesFalseSelectsV1) {
  auto options = Load(Env({{"DD_USE_V2_API_SERIES", "false"}}));
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->use_v2_series);
  auto bad = Load(Env({{"DD_USE_V2_API_SERIES", "maybe"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("DD_USE_V2_API_SERIES"));
}

// E09
TEST(StatsdConfigTest, MapperProfilesAreParsedAndCompiled) {
  auto options = Load(config::MapEnvironment(
      {{"DD_DOGSTATSD_MAPPER_PROFILES",
        R"([{"name": "t", "prefix": "test.", "mappings": [{"match": "test.*", "name": "t"}]}])"},
       {"DD_DOGSTATSD_MAPPER_CACHE_SIZE", "10"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  ASSERT_NE(options->enricher.mapper_profiles, nullptr);
  EXPECT_EQ(options->enricher.mapper_profiles->size(), 1u);
  EXPECT_EQ(options->enricher.mapper_cache_size, 10u);
}

TEST(StatsdConfigTest, InvalidMapperProfilesNameTheVariable) {
  for (const char* json : {"[{", R"([{"name": "t", "prefix": "t.", "mappings": [
                                {"match_type": "regex", "match": "(", "name": "x"}]}])"}) {
    auto options = Load(Env({{"DD_DOGSTATSD_MAPPER_PROFILES", json}}));
    ASSERT_FALSE(options.ok()) << json;
    EXPECT_THAT(std::string(options.status().message()), HasSubstr("DD_DOGSTATSD_MAPPER_PROFILES"));
  }
}

// B10
TEST(StatsdConfigTest, StreamSocketTakesThePathAndTheBufferSize) {
  auto options = Load(
      Env({{"DD_DOGSTATSD_STREAM_SOCKET", "/tmp/s.sock"}, {"DD_DOGSTATSD_BUFFER_SIZE", "16384"}}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->stream_source.socket_path, "/tmp/s.sock");
  EXPECT_EQ(options->stream_source.buffer_size, 16384u);
}

}  // namespace
}  // namespace sidecar::statsd
