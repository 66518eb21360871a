// The ending tree (ending.hpp): a binomial tree over the ranks rooted at 0, in which every
// rank but 0 has exactly one parent, is its parent's child, and is at most log2(size) hops
// from rank 0; rank 0 has about log2(size) children, not size - 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "runtime/ending.hpp"

namespace amorsize::detail {
namespace {

TEST(EndingTree, EveryRankHasOneParentAndIsItsChild) {
  for (int size = 1; size <= 300; ++size) {
    std::vector<int> parents(std::size_t(size), -1);
    for (int r = 0; r < size; ++r) {
      for (int child : end_tree_children(r, size)) {
        ASSERT_GT(child, r);
        ASSERT_LT(child, size);
        ASSERT_EQ(parents[std::size_t(child)], -1) << "rank " << child << " has two parents";
        parents[std::size_t(child)] = r;
      }
    }
    for (int r = 1; r < size; ++r) {
      ASSERT_EQ(parents[std::size_t(r)], end_tree_parent(r)) << "size " << size << " rank " << r;
      int hops = 0;
      for (int at = r; at != 0; at = end_tree_parent(at)) ++hops;
      int depth = 0;
      while ((1 << depth) < size) ++depth;
      EXPECT_LE(hops, depth);
    }
  }
}

TEST(EndingTree, RankZeroSendsToAFewRanks) {
  EXPECT_TRUE(end_tree_children(0, 1).empty());
  EXPECT_EQ(end_tree_children(0, 2), std::vector<int>{1});
  EXPECT_EQ(end_tree_children(0, 7), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(end_tree_children(3, 16), (std::vector<int>{7, 11}));
  EXPECT_EQ(end_tree_children(0, 4096).size(), 12u);
  EXPECT_EQ(end_tree_parent(11), 3);
  EXPECT_EQ(end_tree_parent(4095), 2047);
}

}  // namespace
}  // namespace amorsize::detail
