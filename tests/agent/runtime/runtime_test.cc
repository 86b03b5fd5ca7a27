#include "agent/runtime/runtime.h"

#include <atomic>

#include "gtest/gtest.h"

namespace sidecar::runtime {
namespace {

// Listeners close by posting to the ingress loop right before StopIngress(); those handlers must
// run (they read what the kernel queued and break reference cycles), not be cut off by the stop.
TEST(RuntimeTest, StopIngressRunsWhatWasPostedBefore) {
  for (int round = 0; round < 50; ++round) {
    Runtime runtime;
    runtime.Start();
    std::atomic<int> ran{0};
    for (int i = 0; i < 10; ++i) {
      boost::asio::post(runtime.Ingress(), [&ran] { ran.fetch_add(1); });
    }
    runtime.StopIngress();
    EXPECT_EQ(ran.load(), 10) << "round " << round;
    runtime.JoinCompute();
    runtime.StopEgress();
  }
}

}  // namespace
}  // namespace sidecar::runtime
