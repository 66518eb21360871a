// The hand-back pool: pieces go out lowest first, split where the schedule says, every item
// exactly once.
#include "runtime/handback.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"
#include "runtime/wire.hpp"

namespace amorsize::detail {
namespace {

using testing::RangeCodec;

std::vector<char> items(std::int64_t first, std::int64_t count) {
  std::vector<char> out;
  for (std::int64_t i = first; i < first + count; ++i) RangeCodec::put(out, i);
  return out;
}

HandBackPool pool() {
  return HandBackPool([](const char*, std::size_t, std::int64_t n) { return std::size_t(8 * n); });
}

TEST(HandBackPool, LowestPieceFirstAndSplitWhereAsked) {
  HandBackPool p = pool();
  const auto late = items(50, 10), early = items(20, 5);
  p.add(50, 10, late.data(), late.size());
  p.add(20, 5, early.data(), early.size());
  EXPECT_EQ(p.items(), 15);
  auto a = p.take(3);
  EXPECT_EQ(a.first, 20);
  EXPECT_EQ(a.count, 3);
  EXPECT_EQ(RangeCodec::values(a.items.data(), a.items.size()),
            (std::vector<std::int64_t>{20, 21, 22}));
  auto b = p.take(100);  // the rest of that piece, no more
  EXPECT_EQ(b.first, 23);
  EXPECT_EQ(b.count, 2);
  EXPECT_EQ(RangeCodec::values(b.items.data(), b.items.size()),
            (std::vector<std::int64_t>{23, 24}));
  auto c = p.take(10);
  EXPECT_EQ(c.first, 50);
  EXPECT_EQ(c.count, 10);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.items(), 0);
}

TEST(HandBackPool, EveryItemLeavesExactlyOnce) {
  HandBackPool p = pool();
  const auto all = items(0, 100);
  p.add(0, 100, all.data(), all.size());
  std::vector<std::int64_t> out;
  for (std::int64_t want = 1; !p.empty(); want = want % 7 + 1) {
    auto piece = p.take(want);
    auto v = RangeCodec::values(piece.items.data(), piece.items.size());
    ASSERT_EQ(std::int64_t(v.size()), piece.count);
    ASSERT_EQ(v.front(), piece.first);
    out.insert(out.end(), v.begin(), v.end());
  }
  ASSERT_EQ(out.size(), 100u);
  for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(out[std::size_t(i)], i);
}

TEST(HandBackPool, ATakeOfZeroStillMovesOneItem) {
  HandBackPool p = pool();
  const auto v = items(0, 2);
  p.add(0, 2, v.data(), v.size());
  EXPECT_EQ(p.take(0).count, 1);
}

TEST(HandBackPool, TheSameItemHandedBackTwiceIsAProtocolError) {
  HandBackPool p = pool();
  const auto v = items(0, 2);
  p.add(0, 2, v.data(), v.size());
  EXPECT_THROW(p.add(0, 2, v.data(), v.size()), protocol_error);
  EXPECT_THROW(p.add(9, 0, nullptr, 0), protocol_error);
}

}  // namespace
}  // namespace amorsize::detail
