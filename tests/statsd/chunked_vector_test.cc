// ChunkedVector: the grow-only, chunk-allocated array behind the per-context aggregation state.
#include "statsd/chunked_vector.h"

#include <gtest/gtest.h>

#include <memory>

namespace sidecar::statsd {
namespace {

TEST(ChunkedVectorTest, GrowsWithDefaultConstructedElements) {
  ChunkedVector<int, 2> values;  // Chunks of 4.
  EXPECT_TRUE(values.empty());
  values.resize(3);
  EXPECT_EQ(values.size(), 3u);
  values[2] = 7;
  values.resize(10);
  EXPECT_EQ(values.size(), 10u);
  EXPECT_EQ(values[2], 7);
  for (size_t i = 3; i < 10; ++i) {
    EXPECT_EQ(values[i], 0) << i;
  }
}

TEST(ChunkedVectorTest, NeverShrinks) {
  ChunkedVector<int, 2> values;
  values.resize(6);
  values[5] = 1;
  values.resize(2);
  EXPECT_EQ(values.size(), 6u);
  EXPECT_EQ(values[5], 1);
}

TEST(ChunkedVectorTest, ElementsKeepTheirAddressWhenItGrows) {
  ChunkedVector<std::unique_ptr<int>, 2> values;
  values.resize(1);
  values[0] = std::make_unique<int>(42);
  const std::unique_ptr<int>* first = &values[0];
  values.resize(1000);
  EXPECT_EQ(&values[0], first);
  EXPECT_EQ(*values[0], 42);
  EXPECT_EQ(values[999], nullptr);
}

}  // namespace
}  // namespace sidecar::statsd
