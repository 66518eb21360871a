// Node speeds from the run's own chunks: time per item over the last second of each node's
// busy time, against the fastest node's; robust to one heavy item and to CPU-quota periods;
// unmeasured nodes get the median speed.
#include "runtime/speed.hpp"

#include <gtest/gtest.h>

namespace amorsize::detail {
namespace {

TEST(NodeSpeeds, EveryNodeIsOneUntilMeasured) {
  NodeSpeeds s(2);
  s.observe(0, 10, 0.01);
  s.observe(0, 10, 0.01);
  EXPECT_FALSE(s.measured(0));
  EXPECT_EQ(s.speeds(), (std::vector<double>{1.0, 1.0}));
}

TEST(NodeSpeeds, AHalfSpeedNodeReadsHalf) {
  NodeSpeeds s(3);
  for (int i = 0; i < 5; ++i) {
    s.observe(0, 10, 0.010);
    s.observe(1, 4, 0.008);  // 2 ms per item against 1 ms
  }
  const auto v = s.speeds();
  EXPECT_DOUBLE_EQ(v[0], 1.0);
  EXPECT_DOUBLE_EQ(v[1], 0.5);
  EXPECT_FALSE(s.measured(2));
  EXPECT_DOUBLE_EQ(v[2], 1.0) << "the median of 1.0 and 0.5, taken as the upper middle";
}

TEST(NodeSpeeds, OneHeavyItemDoesNotMakeANodeSlow) {
  NodeSpeeds s(2);
  for (int i = 0; i < 6; ++i) {
    s.observe(0, 10, 0.010);
    s.observe(1, 10, i == 2 ? 1.0 : 0.010);  // one chunk held a 1 s item
  }
  EXPECT_DOUBLE_EQ(s.speeds()[1], 1.0);
}

// The estimate spans the node's last second of busy time: older chunks drop out.
TEST(NodeSpeeds, RecentChunksWin) {
  NodeSpeeds s(2);
  for (int i = 0; i < 20; ++i) {
    s.observe(0, 100, 0.1);
    s.observe(1, 100, 0.1);
  }
  for (int i = 0; i < 20; ++i) s.observe(1, 25, 0.1);  // it slowed down to a quarter
  EXPECT_DOUBLE_EQ(s.speeds()[1], 0.25);
}

// A CPU quota throttles in periods: short chunks that ran unthrottled and long ones that did
// not. Over a second of busy time, the node reads at its average speed, not its lucky one.
TEST(NodeSpeeds, AThrottledNodeReadsItsAverageSpeed) {
  NodeSpeeds s(2);
  for (int i = 0; i < 40; ++i) {
    s.observe(0, 10, 0.02);
    // Half the CPU: 10 items take 20 ms of CPU; every other chunk also waits out 40 ms.
    s.observe(1, 10, i % 2 == 0 ? 0.02 : 0.06);
  }
  EXPECT_NEAR(s.speeds()[1], 0.5, 0.02) << "the window holds whole chunks, not always pairs";
}

TEST(NodeSpeeds, EmptyOrFreeChunksAreIgnored) {
  NodeSpeeds s(1);
  for (int i = 0; i < 5; ++i) {
    s.observe(0, 0, 0.01);
    s.observe(0, 5, 0.0);
  }
  EXPECT_FALSE(s.measured(0));
}

}  // namespace
}  // namespace amorsize::detail
