// Node pressure: the coordinator's view ignores readings older than the latest (they arrive out
// of order) and applies the liveness rule (warn, then release), and a node's own watch enters
// pressure above the threshold and leaves it only below threshold - hysteresis, so it does not
// flap.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <thread>

#include "runtime/memory_probe.hpp"
#include "runtime/pressure.hpp"

namespace amorsize::detail {
namespace {

// update(node, pressured, when (the node's clock), used, now (the coordinator's clock)).
TEST(NodePressure, ChangesAreReportedAndCounted) {
  NodePressure p(3);
  EXPECT_FALSE(p.pressured(1));
  EXPECT_TRUE(p.update(1, true, 1.0, 0.9, 1.0));
  EXPECT_TRUE(p.pressured(1));
  EXPECT_TRUE(p.held(1));
  EXPECT_FALSE(p.pressured(0));
  EXPECT_FALSE(p.update(1, true, 2.0, 0.9, 2.0)) << "no change, no report";
  EXPECT_TRUE(p.update(1, false, 3.0, 0.7, 3.0));
  EXPECT_FALSE(p.held(1));
  EXPECT_TRUE(p.update(1, true, 4.0, 0.9, 4.0));
  EXPECT_EQ(p.events(), 2);
}

// A result sent before another rank's "cleared" may land after it; it must not put the node
// back under pressure.
TEST(NodePressure, AnOlderReadingThanTheLatestIsIgnored) {
  NodePressure p(2);
  p.update(0, true, 10.0, 0.9, 0);
  EXPECT_TRUE(p.update(0, false, 12.0, 0.7, 0));
  EXPECT_FALSE(p.update(0, true, 11.0, 0.9, 0));
  EXPECT_FALSE(p.pressured(0));
  EXPECT_TRUE(p.update(0, true, 12.0, 0.9, 0)) << "a reading as recent as the latest counts";
  EXPECT_EQ(p.events(), 2);
}

TEST(NodePressure, NodesAreIndependent) {
  NodePressure p(2);
  p.update(0, true, 5.0, 0.9, 0);
  EXPECT_TRUE(p.update(1, true, 1.0, 0.9, 0)) << "node 1's clock is its own";
  EXPECT_TRUE(p.pressured(0));
  EXPECT_TRUE(p.pressured(1));
}

// The liveness rule: a warning once pressure has lasted warn_after, a release once it has
// lasted release_after, each once per episode; a released node is no longer held until its
// memory clears, and a new episode starts the clocks again.
TEST(NodePressure, AWarningAndThenAReleaseEachOncePerEpisode) {
  NodePressure p(2, PressureRules{5, 30});
  p.update(1, true, 0.0, 0.91, 10.0);
  EXPECT_TRUE(p.due(14.9).empty());
  auto n = p.due(15.0);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, NodePressure::Notice::Kind::warn);
  EXPECT_EQ(n[0].node, 1);
  EXPECT_DOUBLE_EQ(n[0].seconds, 5.0);
  EXPECT_DOUBLE_EQ(n[0].used, 0.91);
  EXPECT_TRUE(p.due(20.0).empty()) << "warned twice";
  p.update(1, true, 1.0, 0.93, 25.0);  // still pressured: the latest reading is reported
  n = p.due(40.0);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, NodePressure::Notice::Kind::release);
  EXPECT_DOUBLE_EQ(n[0].used, 0.93);
  EXPECT_TRUE(p.pressured(1));
  EXPECT_FALSE(p.held(1)) << "a released node gets its full share";
  EXPECT_TRUE(p.due(100.0).empty());
  p.update(1, false, 2.0, 0.5, 101.0);
  p.update(1, true, 3.0, 0.9, 102.0);
  EXPECT_TRUE(p.held(1)) << "a new episode holds the node again";
  EXPECT_TRUE(p.due(106.9).empty());
  EXPECT_EQ(p.due(107.0).size(), 1u);
}

TEST(NodePressure, AnInfiniteReleaseNeverReleases) {
  NodePressure p(1, PressureRules{5, std::numeric_limits<double>::infinity()});
  p.update(0, true, 0.0, 0.9, 0.0);
  EXPECT_EQ(p.due(6.0).size(), 1u);
  EXPECT_TRUE(p.due(1e9).empty());
  EXPECT_TRUE(p.held(0));
}

TEST(NodePressure, TimeUnderPressureAddsUpEpisodesAndCountsTheOpenOneToNow) {
  NodePressure p(2);
  p.update(0, true, 0.0, 0.9, 1.0);
  p.update(0, false, 1.0, 0.5, 3.5);
  p.update(0, true, 2.0, 0.9, 10.0);
  EXPECT_DOUBLE_EQ(p.seconds(0, 12.0), 2.5 + 2.0);
  EXPECT_DOUBLE_EQ(p.seconds(1, 12.0), 0.0);
}

class Watch : public ::testing::Test {
 protected:
  // Memory used, as a fraction: the probe reports it.
  double used = 0;
  int calls = 0;
  MemoryWatch watch() {
    RunOptions o;
    o.plan.memory_threshold = 0.8;
    o.memory_probe = [this](int) {
      ++calls;
      return MemorySample{std::uint64_t((1 - used) * 1000), 1000};
    };
    return MemoryWatch(o, 0);
  }
  // A fresh reading: past the cache interval.
  static bool read(MemoryWatch& w) {
    std::this_thread::sleep_for(MemoryWatch::kInterval + std::chrono::microseconds(500));
    return w.read().pressured;
  }
};

TEST_F(Watch, PressureBeginsAboveTheThresholdAndEndsBelowItMinusTheHysteresis) {
  MemoryWatch w = watch();
  used = 0.79;
  EXPECT_FALSE(read(w));
  used = 0.81;
  EXPECT_TRUE(read(w));
  used = 0.78;  // below the threshold, not below 0.75
  EXPECT_TRUE(read(w)) << "pressure ended inside the hysteresis band";
  used = 0.74;
  EXPECT_FALSE(read(w));
  used = 0.79;  // inside the band from below: still clear
  EXPECT_FALSE(read(w));
}

TEST_F(Watch, ReadingsAreCachedForTheInterval) {
  MemoryWatch w = watch();
  used = 0.5;
  const auto first = w.read();
  const int after_first = calls;
  const auto again = w.read();
  if (calls == after_first) {
    EXPECT_EQ(again.when, first.when) << "a cached reading took the time of the question";
  }
  EXPECT_LE(calls, after_first + 1);
}

TEST_F(Watch, AnUnknownTotalIsNeverPressure) {
  RunOptions o;
  o.memory_probe = [](int) { return MemorySample{0, 0}; };
  MemoryWatch w(o, 0);
  EXPECT_FALSE(w.read().pressured);
}

}  // namespace
}  // namespace amorsize::detail
