// Node pressure: the coordinator's view ignores readings older than the latest (they arrive out
// of order), and a node's own watch enters pressure above the threshold and leaves it only
// below threshold - hysteresis, so it does not flap.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "runtime/memory_probe.hpp"
#include "runtime/pressure.hpp"

namespace amorsize::detail {
namespace {

TEST(NodePressure, ChangesAreReportedAndCounted) {
  NodePressure p(3);
  EXPECT_FALSE(p.pressured(1));
  EXPECT_TRUE(p.update(1, true, 1.0));
  EXPECT_TRUE(p.pressured(1));
  EXPECT_FALSE(p.pressured(0));
  EXPECT_FALSE(p.update(1, true, 2.0)) << "no change, no report";
  EXPECT_TRUE(p.update(1, false, 3.0));
  EXPECT_TRUE(p.update(1, true, 4.0));
  EXPECT_EQ(p.events(), 2);
}

// A result sent before another rank's "cleared" may land after it; it must not put the node
// back under pressure.
TEST(NodePressure, AnOlderReadingThanTheLatestIsIgnored) {
  NodePressure p(2);
  p.update(0, true, 10.0);
  EXPECT_TRUE(p.update(0, false, 12.0));
  EXPECT_FALSE(p.update(0, true, 11.0));
  EXPECT_FALSE(p.pressured(0));
  EXPECT_TRUE(p.update(0, true, 12.0)) << "a reading as recent as the latest counts";
  EXPECT_EQ(p.events(), 2);
}

TEST(NodePressure, NodesAreIndependent) {
  NodePressure p(2);
  p.update(0, true, 5.0);
  EXPECT_TRUE(p.update(1, true, 1.0)) << "node 1's clock is its own";
  EXPECT_TRUE(p.pressured(0));
  EXPECT_TRUE(p.pressured(1));
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
