#include "amorsize/schedule.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace amorsize {
namespace {

Plan base_plan(Schedule s, int workers = 4) {
  Plan p;
  p.schedule = s;
  p.workers = workers;
  p.item_seconds_mean = 1e-3;
  p.target_chunk_duration_seconds = 0.1;  // 100 items
  p.chunk_size = 100;
  p.min_chunk = 5;
  p.max_chunk = 400;
  p.taper_factor = 2;
  p.adaptation_rate = 0.5;
  return p;
}

std::vector<std::int64_t> run(ChunkSchedule& s, std::int64_t items) {
  std::vector<std::int64_t> sizes;
  for (std::int64_t left = items; left > 0; left -= sizes.back()) sizes.push_back(s.next(left));
  return sizes;
}

TEST(ChunkSchedule, ChunksCoverEveryItemExactlyOnce) {
  for (Schedule kind :
       {Schedule::adaptive, Schedule::fixed, Schedule::static_, Schedule::gss, Schedule::fac}) {
    for (std::int64_t items : {1, 7, 1000, 12345}) {
      const Plan p = base_plan(kind);
      ChunkSchedule s(p);
      const auto sizes = run(s, items);
      EXPECT_EQ(std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}), items)
          << to_string(kind) << " " << items;
    }
  }
}

TEST(ChunkSchedule, AdaptiveHoldsTargetThenTapersToMinimum) {
  const Plan p = base_plan(Schedule::adaptive);
  ChunkSchedule s(p);
  const auto sizes = run(s, 10'000);
  EXPECT_EQ(sizes.front(), 100);  // target 0.1 s / 1 ms
  for (std::size_t i = 1; i < sizes.size(); ++i) ASSERT_LE(sizes[i], sizes[i - 1]);
  EXPECT_EQ(sizes[sizes.size() - 2], 5);  // the taper ends at min_chunk
}

TEST(ChunkSchedule, SlowerMeasuredChunksShrinkTheNextChunks) {
  const Plan p = base_plan(Schedule::adaptive);
  ChunkSchedule s(p);
  EXPECT_EQ(s.next(std::nullopt), 100);
  for (int i = 0; i < 10; ++i) s.observe(100, 0.4);  // items take 4 ms, not 1 ms
  EXPECT_NEAR(s.item_seconds(), 4e-3, 1e-5);
  EXPECT_EQ(s.next(std::nullopt), 25);
  for (int i = 0; i < 20; ++i) s.observe(25, 25 * 1e-5);  // and now 10 us: bounded by max
  EXPECT_EQ(s.next(std::nullopt), 400);
}

TEST(ChunkSchedule, BaselinesDoNotAdapt) {
  const Plan p = base_plan(Schedule::fixed);
  ChunkSchedule s(p);
  s.observe(100, 100.0);
  EXPECT_EQ(s.next(std::nullopt), 100);
  EXPECT_DOUBLE_EQ(s.item_seconds(), 1e-3);
}

TEST(ChunkSchedule, GuidedTakesRemainingOverWorkers) {
  const Plan p = base_plan(Schedule::gss, 4);
  ChunkSchedule s(p);
  EXPECT_EQ(s.next(1000), 250);
  EXPECT_EQ(s.next(750), 188);
  EXPECT_EQ(s.next(3), 1);
}

TEST(ChunkSchedule, FactoringHandsOutBatchesOfEqualChunks) {
  const Plan p = base_plan(Schedule::fac, 4);
  ChunkSchedule s(p);
  const auto sizes = run(s, 1000);
  // First batch: 4 chunks of 1000 / 8; second batch: 4 of 500 / 8.
  ASSERT_GE(sizes.size(), 8u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(sizes[i], 125);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(sizes[i], 63);
}

TEST(ChunkSchedule, StaticSplitsTheFirstTotalEvenly) {
  const Plan p = base_plan(Schedule::static_, 3);
  ChunkSchedule s(p);
  EXPECT_EQ(run(s, 10), (std::vector<std::int64_t>{4, 4, 2}));
}

TEST(ChunkSchedule, SpeedWeightScalesChunks) {
  const Plan p = base_plan(Schedule::adaptive);
  ChunkSchedule s(p);
  EXPECT_EQ(s.next(std::nullopt, 2.0), 200);
  EXPECT_EQ(s.next(std::nullopt, 0.5), 50);
}

}  // namespace
}  // namespace amorsize
