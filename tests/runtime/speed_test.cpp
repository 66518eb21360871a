// Node speeds from the run's own chunks: the median time per item over recent chunks, against
// the fastest node's; robust to one heavy item; unmeasured nodes get the median speed.
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

TEST(NodeSpeeds, RecentChunksWin) {
  NodeSpeeds s(2);
  for (int i = 0; i < NodeSpeeds::kWindow; ++i) {
    s.observe(0, 1, 0.001);
    s.observe(1, 1, 0.001);
  }
  for (int i = 0; i < NodeSpeeds::kWindow; ++i) s.observe(1, 1, 0.004);  // it slowed down
  EXPECT_DOUBLE_EQ(s.speeds()[1], 0.25);
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
