// The hot path allocates nothing per line (architecture.md, "Rules of the house"): framing and
// parsing any message kind, and iterating tags and values, must not reach operator new. This file
// replaces the global operator new of the statsd_test binary with a counting one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <string_view>
#include <variant>

#include "agent/telemetry/registry.h"
#include "statsd/enricher.h"
#include "statsd/framer.h"
#include "statsd/parser.h"

namespace {
thread_local size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
// Every form that can reach these deletes allocates with malloc too: with a sanitizer runtime
// linked statically (clang), an unreplaced form would allocate from the sanitizer's own allocator
// and be freed here (std::stable_sort's temporary buffer uses the nothrow form).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace sidecar::statsd {
namespace {

constexpr std::string_view kPacket =
    "page.views:1|c|@0.5|#env:prod,service:checkout,route:/a|c:ci-1|card:low\n"
    "latency:1:2::3.5e1:0x1p-2|h|T1700000000|#a,b\r\n"
    "users:alice|s|#x\n"
    "bad:abc|g\n"
    "_e{13,21}:D\xc3\xa9ploiement \xe2\x9c\x93|version 1.4.2 \xe2\x80\x94 "
    "pr\xc3\xaate|t:info|#team:a\n"
    "_e{10,24}:test title|test\\line1\\nline2\\nline3|d:12|p:low|h:h|k:k|s:s\n"
    "_sc|checkout.can_connect|2|d:1735689600|h:ip-10-0-1-23|#team:payments|m:db unreachable\n"
    "_sc|broken\n";

TEST(ParserAllocationTest, FramingParsingAndIteratingDoNotAllocate) {
  const Parser parser(ParserOptions{.origin_detection_client = true});
  size_t results = 0;
  double sum = 0;
  size_t tag_bytes = 0;
  const size_t before = allocations;
  ForEachLine(kPacket, {}, [&](std::string_view line) {
    const ParseResult result = parser.Parse(line);
    ++results;
    if (const auto* sample = std::get_if<MetricSample>(&result)) {
      for (const double v : sample->values) {
        sum += v;
      }
      for (const std::string_view tag : sample->tags) {
        tag_bytes += tag.size();
      }
    } else if (const auto* event = std::get_if<Event>(&result)) {
      for (const std::string_view tag : event->tags) {
        tag_bytes += tag.size();
      }
    }
  });
  const size_t after = allocations;
  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(results, 8u);
  EXPECT_GT(sum, 0);
  EXPECT_GT(tag_bytes, 0u);
}

// E09: with mapper profiles configured, names under no profile prefix and names whose mapping is
// cached are enriched without allocating (the prefix is checked first).
TEST(ParserAllocationTest, EnricherWithMapperDoesNotAllocateForUnmappedOrCachedNames) {
  telemetry::Registry registry;
  StatsdStats stats(registry);
  auto profiles = MapperProfiles::FromJson(R"([{"name": "t", "prefix": "test.",
      "mappings": [{"match": "test.job.*", "name": "test.job", "tags": {"job": "$1"}}]}])");
  ASSERT_TRUE(profiles.ok());
  Enricher enricher(EnricherConfig{.mapper_profiles = *profiles}, nullptr, stats);
  const Parser parser(ParserOptions{});
  const ParseResult unmapped = parser.Parse("other.metric:1|g|#a:b");
  const ParseResult mapped = parser.Parse("test.job.build:1|g|#a:b");
  // Warm up: the origin's extra tags and the mapper cache entry are built once.
  enricher.Enrich(std::get<MetricSample>(unmapped));
  enricher.Enrich(std::get<MetricSample>(mapped));
  const size_t before = allocations;
  size_t samples = 0;
  for (int i = 0; i < 100; ++i) {
    samples += enricher.Enrich(std::get<MetricSample>(unmapped)).size();
    samples += enricher.Enrich(std::get<MetricSample>(mapped)).size();
  }
  EXPECT_EQ(allocations - before, 0u);
  EXPECT_EQ(samples, 200u);
  EXPECT_EQ(enricher.Enrich(std::get<MetricSample>(mapped))[0].name, "test.job");
}

TEST(ParserAllocationTest, CounterSeesAllocations) {  // the check above can fail
  const size_t before = allocations;
  const Event event = std::get<Event>(
      Parser(ParserOptions{}).Parse("_e{5,42}:title|a long text with an escaped\\nnewline in it"));
  const std::string text = event.UnescapedText();
  EXPECT_GT(allocations - before, 0u);
  EXPECT_EQ(text, "a long text with an escaped\nnewline in it");
}

}  // namespace
}  // namespace sidecar::statsd
