// ContextResolver: context keys per spec dogstatsd.md §7.2 (F14), interning, limits.
#include "statsd/context_resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sidecar::statsd {
namespace {

using ::testing::ElementsAre;

using Tags = std::vector<std::string_view>;

TEST(ContextResolverTest, KeyIgnoresTagOrderAndDuplicates) {  // F14
  ContextResolver resolver(10);
  const ExtraTags none;
  const uint64_t key = resolver.KeyOf("m", "", Tags{"a", "b"}, none);
  EXPECT_EQ(resolver.KeyOf("m", "", Tags{"b", "a"}, none), key);
  EXPECT_EQ(resolver.KeyOf("m", "", Tags{"b", "a", "b", "a", "a"}, none), key);
  EXPECT_NE(resolver.KeyOf("m", "", Tags{"a"}, none), key);
  EXPECT_NE(resolver.KeyOf("m", "", Tags{"a", "b", "c"}, none), key);
}

TEST(ContextResolverTest, KeyDependsOnNameHostAndTags) {
  ContextResolver resolver(10);
  const ExtraTags none;
  const uint64_t key = resolver.KeyOf("m", "h", Tags{"a"}, none);
  EXPECT_NE(resolver.KeyOf("n", "h", Tags{"a"}, none), key);
  EXPECT_NE(resolver.KeyOf("m", "", Tags{"a"}, none), key);
  EXPECT_NE(resolver.KeyOf("m", "h", Tags{"b"}, none), key);
  EXPECT_NE(resolver.KeyOf("m", "h", Tags{}, none), key);
  // Moving bytes between the name and the host or tags changes the key.
  EXPECT_NE(resolver.KeyOf("mh", "", Tags{"a"}, none), resolver.KeyOf("m", "h", Tags{"a"}, none));
  EXPECT_NE(resolver.KeyOf("m", "", Tags{"a,b"}, none),
            resolver.KeyOf("m", "", Tags{"a", "b"}, none));
}

TEST(ContextResolverTest, ExtraTagsCombineWithClientTagsAsOneSet) {
  ContextResolver resolver(10);
  const ExtraTags extra({"team:a", "b"});
  const ExtraTags none;
  const uint64_t key = resolver.KeyOf("m", "", Tags{"a"}, extra);
  EXPECT_EQ(resolver.KeyOf("m", "", Tags{"a", "b", "team:a"}, none), key);
  // A client tag also in the extra set counts once.
  EXPECT_EQ(resolver.KeyOf("m", "", Tags{"a", "team:a"}, extra), key);
  EXPECT_EQ(resolver.KeyOf("m", "", Tags{"team:a", "a", "b"}, extra), key);
}

TEST(ContextResolverTest, PrecomputedTagSetKeyResolvesToTheSameContext) {
  ContextResolver resolver(10);
  const ExtraTags extra({"x", "team:a"});
  const Tags tags{"b", "a", "b", "x"};
  std::vector<uint64_t> scratch;
  const TagSetKey tag_key = ComputeTagSetKey(tags, extra, scratch);
  EXPECT_EQ(tag_key.count, 4u);  // a, b, team:a, x
  const ResolveResult first = resolver.Resolve("m", "h", tags, extra, &tag_key);
  ASSERT_EQ(first.status, ResolveResult::Status::kResolved);
  EXPECT_TRUE(first.created);
  EXPECT_THAT(resolver.Get(first.id).tags, ElementsAre("a", "b", "team:a", "x"));
  const ResolveResult second = resolver.Resolve("m", "h", Tags{"x", "a", "b"}, extra);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.id, first.id);
  const ResolveResult third = resolver.Resolve("m", "h", tags, extra, &tag_key);
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.id, first.id);
  // The key covers the tags: another name or host is another context.
  EXPECT_TRUE(resolver.Resolve("n", "h", tags, extra, &tag_key).created);
  EXPECT_TRUE(resolver.Resolve("m", "", tags, extra, &tag_key).created);
}

TEST(ContextResolverTest, ResolvesToTheSameContext) {
  ContextResolver resolver(10);
  const ExtraTags extra({"x"});
  const ResolveResult first = resolver.Resolve("m", "h", Tags{"b", "a", "b"}, extra);
  ASSERT_EQ(first.status, ResolveResult::Status::kResolved);
  EXPECT_TRUE(first.created);
  const ResolveResult second = resolver.Resolve("m", "h", Tags{"a", "x", "b"}, ExtraTags());
  EXPECT_EQ(second.status, ResolveResult::Status::kResolved);
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.id, first.id);
  const Context& context = resolver.Get(first.id);
  EXPECT_EQ(context.name, "m");
  EXPECT_EQ(context.host, "h");
  EXPECT_THAT(context.tags, ElementsAre("a", "b", "x"));
  EXPECT_EQ(resolver.size(), 1u);
}

TEST(ContextResolverTest, InternedStringsOutliveThePacket) {
  ContextResolver resolver(10);
  ContextId id;
  {
    std::string packet = "name|host|tag:1";
    const std::string_view view(packet);
    const std::array<std::string_view, 1> tags = {view.substr(10)};
    id = resolver.Resolve(view.substr(0, 4), view.substr(5, 4), tags, ExtraTags()).id;
    packet.assign(packet.size(), '#');
  }
  EXPECT_EQ(resolver.Get(id).name, "name");
  EXPECT_EQ(resolver.Get(id).host, "host");
  EXPECT_THAT(resolver.Get(id).tags, ElementsAre("tag:1"));
}

TEST(ContextResolverTest, RefusesNewContextsBeyondTheLimit) {
  ContextResolver resolver(2);
  const ExtraTags none;
  EXPECT_EQ(resolver.Resolve("a", "", Tags{}, none).status, ResolveResult::Status::kResolved);
  EXPECT_EQ(resolver.Resolve("b", "", Tags{}, none).status, ResolveResult::Status::kResolved);
  EXPECT_EQ(resolver.Resolve("c", "", Tags{}, none).status, ResolveResult::Status::kLimit);
  // Known contexts still resolve.
  EXPECT_EQ(resolver.Resolve("a", "", Tags{}, none).status, ResolveResult::Status::kResolved);
  EXPECT_EQ(resolver.size(), 2u);
}

TEST(ContextResolverTest, RefusesNewContextsWhenItsMemoryShareIsFullAndGivesRoomBackOnRemove) {
  runtime::MemoryAccount account(0);
  runtime::MemoryShare& share =
      account.AddShare("dogstatsd.contexts", 256 * ContextResolver::kBytesPerContext);
  const ExtraTags none;
  {
    ContextResolver resolver(1000, &share);
    std::vector<std::string> names;
    for (int i = 0; i < 257; ++i) {
      names.push_back("m" + std::to_string(i));
    }
    std::vector<ContextId> ids;
    for (int i = 0; i < 256; ++i) {
      const ResolveResult result = resolver.Resolve(names[i], "", Tags{}, none);
      ASSERT_EQ(result.status, ResolveResult::Status::kResolved);
      ids.push_back(result.id);
    }
    EXPECT_EQ(share.used(), 256 * ContextResolver::kBytesPerContext);  // One chunk.
    EXPECT_EQ(resolver.Resolve(names[256], "", Tags{}, none).status, ResolveResult::Status::kLimit);
    resolver.Remove(ids[0]);
    EXPECT_EQ(resolver.Resolve(names[256], "", Tags{}, none).status,
              ResolveResult::Status::kResolved);
    for (size_t i = 1; i < ids.size(); ++i) {
      resolver.Remove(ids[i]);
    }
    EXPECT_EQ(resolver.size(), 1u);
    EXPECT_EQ(share.used(), 256 * ContextResolver::kBytesPerContext);  // One chunk for the last.
  }
  EXPECT_EQ(share.used(), 0u);
}

TEST(ContextResolverTest, RemoveFreesTheSlotAndTheId) {
  ContextResolver resolver(1);
  const ExtraTags none;
  const ContextId a = resolver.Resolve("a", "", Tags{"t"}, none).id;
  EXPECT_TRUE(resolver.IsLive(a));
  resolver.Remove(a);
  EXPECT_FALSE(resolver.IsLive(a));
  EXPECT_EQ(resolver.size(), 0u);
  const ResolveResult b = resolver.Resolve("b", "", Tags{"u"}, none);
  EXPECT_EQ(b.status, ResolveResult::Status::kResolved);
  EXPECT_EQ(b.id, a);  // Reused.
  EXPECT_EQ(resolver.Get(b.id).name, "b");
  EXPECT_THAT(resolver.Get(b.id).tags, ElementsAre("u"));
  // "a" is a new context again.
  resolver.Remove(b.id);
  EXPECT_TRUE(resolver.Resolve("a", "", Tags{"t"}, none).created);
}

TEST(ContextResolverTest, ContextsWithTheSameTagSetShareOneCopy) {
  ContextResolver resolver(10);
  const ExtraTags extra({"env:prod"});
  const ContextId a = resolver.Resolve("a", "", Tags{"x", "y"}, extra).id;
  // The same set written in another order, with a duplicate and the extra tag sent by the client.
  const ContextId b = resolver.Resolve("b", "", Tags{"y", "env:prod", "x", "y"}, extra).id;
  const ContextId c = resolver.Resolve("c", "", Tags{"x"}, extra).id;
  EXPECT_EQ(resolver.Get(a).tags.data(), resolver.Get(b).tags.data());
  EXPECT_NE(resolver.Get(a).tags.data(), resolver.Get(c).tags.data());
  EXPECT_EQ(resolver.tag_set_count(), 2u);

  // The shared copy lives as long as one context uses it.
  resolver.Remove(a);
  EXPECT_EQ(resolver.tag_set_count(), 2u);
  EXPECT_THAT(resolver.Get(b).tags, ElementsAre("env:prod", "x", "y"));
  resolver.Remove(b);
  EXPECT_EQ(resolver.tag_set_count(), 1u);
  EXPECT_THAT(resolver.Get(c).tags, ElementsAre("env:prod", "x"));
  resolver.Remove(c);
  EXPECT_EQ(resolver.tag_set_count(), 0u);
}

TEST(ContextResolverTest, ContextsWithoutTagsShareTheEmptySet) {
  ContextResolver resolver(10);
  const ExtraTags none;
  const ContextId a = resolver.Resolve("a", "", Tags{}, none).id;
  const ContextId b = resolver.Resolve("b", "", Tags{}, none).id;
  EXPECT_TRUE(resolver.Get(a).tags.empty());
  EXPECT_TRUE(resolver.Get(b).tags.empty());
  EXPECT_EQ(resolver.tag_set_count(), 1u);
}

TEST(TagSetInternerTest, KeepsTagStringsInternedUntilTheLastRelease) {
  internal::StringInterner strings;
  internal::TagSetInterner sets(strings);
  std::string packet = "k:1,k:2";
  const std::array<std::string_view, 2> tags = {std::string_view(packet).substr(0, 3),
                                                std::string_view(packet).substr(4, 3)};
  const std::span<const std::string_view> first = sets.Intern(tags);
  const std::span<const std::string_view> second = sets.Intern(tags);
  packet.assign(packet.size(), '#');  // The shared copy does not point into the packet.
  EXPECT_EQ(first.data(), second.data());
  EXPECT_THAT(std::vector<std::string_view>(first.begin(), first.end()), ElementsAre("k:1", "k:2"));
  EXPECT_EQ(strings.size(), 2u);
  sets.Release(first);
  EXPECT_EQ(strings.size(), 2u);
  sets.Release(second);
  EXPECT_EQ(sets.size(), 0u);
  EXPECT_EQ(strings.size(), 0u);
}

TEST(ContextResolverTest, ManyContextsStayDistinct) {
  ContextResolver resolver(100'000);
  const ExtraTags extra({"env:prod", "service:x"});
  std::vector<std::string> names;
  for (int i = 0; i < 20'000; ++i) {
    names.push_back("metric." + std::to_string(i % 200));
  }
  for (int i = 0; i < 20'000; ++i) {
    const std::string tag = "id:" + std::to_string(i / 200);
    const std::array<std::string_view, 2> tags = {tag, "shared:1"};
    const ResolveResult r = resolver.Resolve(names[static_cast<size_t>(i)], "", tags, extra);
    ASSERT_EQ(r.status, ResolveResult::Status::kResolved);
    ASSERT_TRUE(r.created) << i;
  }
  EXPECT_EQ(resolver.size(), 20'000u);
  EXPECT_EQ(resolver.tag_set_count(), 100u);  // One per "id:" value.
  // Contexts live in chunks: earlier ones keep their address as later ones are added.
  EXPECT_EQ(resolver.Get(0).name, "metric.0");
  EXPECT_EQ(resolver.Get(19'999).name, "metric.199");
}

TEST(ContextResolverTest, HashBytesCoversEveryLength) {
  // Every length from 0 to 40 hashes differently from its neighbours and from a one-bit change.
  std::string s;
  uint64_t previous = internal::HashBytes(s, 0);
  for (int n = 1; n <= 40; ++n) {
    s.push_back(static_cast<char>('a' + n % 26));
    const uint64_t h = internal::HashBytes(s, 0);
    EXPECT_NE(h, previous) << n;
    std::string flipped = s;
    flipped[static_cast<size_t>(n) / 2] ^= 1;
    EXPECT_NE(internal::HashBytes(flipped, 0), h) << n;
    EXPECT_NE(internal::HashBytes(s, 1), h) << n;
    previous = h;
  }
}

TEST(ContextResolverTest, ExtraTagsAreSortedAndUnique) {
  const ExtraTags extra({"b", "a", "b"});
  EXPECT_THAT(extra.tags(), ElementsAre("a", "b"));
  EXPECT_EQ(extra.hashes().size(), 2u);
  EXPECT_EQ(extra.hash_sum(), internal::HashTag("a") + internal::HashTag("b"));
}

}  // namespace
}  // namespace sidecar::statsd
