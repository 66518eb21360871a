// The reorder buffer: every item once, in order, whatever order results arrive in; the window
// counts chunks out or held, and hand-backs give their place back.
#include "runtime/reorder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace amorsize::detail {
namespace {

struct Delivered {
  std::vector<std::int64_t> firsts;
  std::int64_t items = 0;
};

ReorderBuffer recording(Delivered& d) {
  return ReorderBuffer([&d](std::int64_t first, std::int64_t count, const std::vector<char>&,
                            const std::vector<Failure>&) {
    d.firsts.push_back(first);
    d.items += count;
  });
}

TEST(ReorderBuffer, RandomArrivalOrderIsDeliveredOnceAndInOrder) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    // Chunks of 1..7 items over 0..n-1, arriving in a random order.
    std::vector<std::pair<std::int64_t, std::int64_t>> chunks;
    std::int64_t n = 0;
    while (n < 500) {
      const std::int64_t c = 1 + std::int64_t(rng() % 7);
      chunks.emplace_back(n, c);
      n += c;
    }
    std::shuffle(chunks.begin(), chunks.end(), rng);
    Delivered d;
    ReorderBuffer buffer = recording(d);
    buffer.set_window(std::int64_t(chunks.size()));
    buffer.issued(std::int64_t(chunks.size()));
    for (const auto& [first, count] : chunks)
      buffer.accept(first, count, std::vector<char>(std::size_t(count)), {}, 1);
    ASSERT_EQ(d.items, n) << "seed " << seed;
    EXPECT_TRUE(std::is_sorted(d.firsts.begin(), d.firsts.end())) << "seed " << seed;
    EXPECT_EQ(d.firsts.size(), chunks.size());
    EXPECT_EQ(buffer.held(), 0u);
    EXPECT_EQ(buffer.used(), 0);
    EXPECT_EQ(buffer.next(), n);
  }
}

TEST(ReorderBuffer, HoldsResultsUntilTheEarlierOnesArrive) {
  Delivered d;
  ReorderBuffer buffer = recording(d);
  buffer.accept(10, 5, {}, {}, 0);
  buffer.accept(5, 5, {}, {}, 0);
  EXPECT_TRUE(d.firsts.empty());
  EXPECT_EQ(buffer.held(), 2u);
  buffer.accept(0, 5, {}, {}, 0);
  EXPECT_EQ(d.firsts, (std::vector<std::int64_t>{0, 5, 10}));
}

TEST(ReorderBuffer, AFullWindowStopsIssuingAndDeliveryFreesIt) {
  Delivered d;
  ReorderBuffer buffer = recording(d);
  buffer.set_window(3);
  buffer.issued(1);  // chunk 0..9
  buffer.issued(2);  // a leader's batch: 10..19 in two chunks
  EXPECT_TRUE(buffer.full());
  buffer.accept(10, 10, {}, {}, 2);  // held: 0..9 is not back
  EXPECT_TRUE(buffer.full()) << "a held result still counts against the window";
  buffer.accept(0, 10, {}, {}, 1);
  EXPECT_FALSE(buffer.full());
  EXPECT_EQ(buffer.used(), 0);
  EXPECT_EQ(d.items, 20);
}

TEST(ReorderBuffer, UnorderedDeliversAsResultsComeAndNeverFills) {
  Delivered d;
  ReorderBuffer buffer = recording(d);
  buffer.set_ordered(false);
  buffer.set_window(1);
  buffer.issued(5);
  EXPECT_FALSE(buffer.full());
  buffer.accept(40, 10, {}, {}, 1);
  buffer.accept(0, 10, {}, {}, 1);
  EXPECT_EQ(d.firsts, (std::vector<std::int64_t>{40, 0}));
  EXPECT_EQ(buffer.used(), 3);
}

// A chunk handed back whole gives its place in the window back; its items come later as new
// chunks (each counted when issued), and a partly handed-back chunk's result covers only the
// items that ran, the rest following in item order.
TEST(ReorderBuffer, HandedBackItemsKeepTheOrderAndTheWindowCount) {
  Delivered d;
  ReorderBuffer buffer = recording(d);
  buffer.set_window(4);
  buffer.issued(1);  // 0..9, runs 0..3 then hands back 4..9
  buffer.issued(1);  // 10..19, queued behind: handed back whole
  buffer.issued(1);  // 20..29
  buffer.withdrawn(1);
  EXPECT_EQ(buffer.used(), 2);
  buffer.accept(20, 10, {}, {}, 1);
  buffer.accept(0, 4, {}, {}, 1);
  EXPECT_EQ(d.items, 4);
  buffer.issued(1);  // 4..9 again
  buffer.issued(1);  // 10..19 again
  buffer.accept(10, 10, {}, {}, 1);
  buffer.accept(4, 6, {}, {}, 1);
  EXPECT_EQ(d.firsts, (std::vector<std::int64_t>{0, 4, 10, 20}));
  EXPECT_EQ(d.items, 30);
  EXPECT_EQ(buffer.used(), 0);
}

TEST(ReorderBuffer, FailuresTravelWithTheirResults) {
  std::vector<Failure> seen;
  ReorderBuffer buffer(
      [&](std::int64_t, std::int64_t, const std::vector<char>&, const std::vector<Failure>& f) {
        seen.insert(seen.end(), f.begin(), f.end());
      });
  buffer.accept(3, 3, {}, {{4, "four"}}, 0);
  buffer.accept(0, 3, {}, {{1, "one"}}, 0);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].index, 1);
  EXPECT_EQ(seen[1].message, "four");
}

}  // namespace
}  // namespace amorsize::detail
