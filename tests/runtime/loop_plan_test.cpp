// A loop's plan: the cost of any range from the previous call's pieces, blocks of equal cost,
// a pool handed out in shrinking chunks, and pieces cut by cost.
#include "runtime/loop_plan.hpp"

#include <gtest/gtest.h>

namespace amorsize::detail {
namespace {

// Items 0..99 cost 1 s each, 100..199 cost 3 s each: two pieces.
LoopProfile two_rates() {
  return LoopProfile(0, 200, {{100, 200, 300.0}, {0, 100, 100.0}});
}

TEST(LoopProfile, CostsARangeFromThePiecesThatCoverIt) {
  const LoopProfile p = two_rates();
  EXPECT_DOUBLE_EQ(p.total(), 400);
  EXPECT_DOUBLE_EQ(p.cost(50, 150), 50 + 150);
  EXPECT_DOUBLE_EQ(p.cost(150, 150), 0);
  EXPECT_EQ(p.index_at(0, 100), 100);
  EXPECT_EQ(p.index_at(100, 30), 110);
  EXPECT_EQ(p.index_at(150, 1e9), 200) << "past the end: the end";
}

TEST(LoopProfile, AGapCostsTheMeanPerItem) {
  const LoopProfile p(0, 30, {{0, 10, 10.0}, {20, 30, 30.0}});  // 10..20 unseen: 2 s each
  EXPECT_DOUBLE_EQ(p.cost(10, 20), 20);
}

TEST(SplitLoop, BlocksOfEqualCostAndThePoolAfterThem) {
  const LoopProfile p = two_rates();
  const auto b = split_loop(0, 200, 2, &p, 0.9);  // 180 s each
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 127);  // 100 + 27 x 3 >= 180
  EXPECT_EQ(b[2], 187);  // 127 + 60 x 3 = 180
  const auto none = split_loop(0, 200, 2, nullptr, 0.9);
  EXPECT_EQ(none, (std::vector<std::int64_t>{0, 0, 0})) << "no history: all of it is the pool";
  const LoopProfile other(0, 100, {{0, 100, 1.0}});
  EXPECT_EQ(split_loop(0, 200, 2, &other, 0.9)[2], 0) << "another range: no plan from it";
}

TEST(LoopPool, ChunksShrinkAndCoverThePoolOnce) {
  LoopPool pool(0, 1000, 2, nullptr);
  std::int64_t next = 0, last_size = 1000;
  while (auto c = pool.take()) {
    EXPECT_EQ(c->first, next);
    EXPECT_LE(c->second - c->first, last_size);
    EXPECT_GE(c->second - c->first, 1);
    last_size = c->second - c->first;
    next = c->second;
  }
  EXPECT_EQ(next, 1000);
  EXPECT_TRUE(pool.empty());
}

TEST(LoopPool, ByCostAndASmallerShareForRankZero) {
  const LoopProfile p = two_rates();
  LoopPool pool(0, 200, 2, &p);
  const auto first = pool.take();  // 400 / 4 = 100 s: items 0..99
  EXPECT_EQ(first->second, 100);
  const auto small = pool.take(0.25);  // 300 / 4 / 4 = 18.75 s: 7 items of 3 s
  EXPECT_EQ(small->second - small->first, 7);
}

TEST(Cut, PiecesOfEqualCostOrEqualCount) {
  const LoopProfile p = two_rates();
  const auto by_cost = cut(0, 200, 4, &p);  // 100 s each
  ASSERT_EQ(by_cost.size(), 4u);
  EXPECT_EQ(by_cost[0], (std::pair<std::int64_t, std::int64_t>{0, 100}));
  EXPECT_EQ(by_cost[3].second, 200);
  const auto by_count = cut(0, 10, 4, nullptr);
  EXPECT_EQ(by_count.front(), (std::pair<std::int64_t, std::int64_t>{0, 2}));
  EXPECT_EQ(cut(5, 7, 8, nullptr).size(), 2u) << "no more pieces than items";
  EXPECT_TRUE(cut(5, 5, 8, nullptr).empty());
}

}  // namespace
}  // namespace amorsize::detail
