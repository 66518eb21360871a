#pragma once
// How a loop on a Context splits its range: from the previous call of the same loop (what each
// piece cost), a contiguous block of equal predicted cost for every rank and a pool, the rest,
// handed out on demand in shrinking chunks; without a previous call, all of it as a pool. No
// MPI: loop.cpp sends what this decides.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "wire.hpp"

namespace amorsize::detail {

/// What the pieces of one call cost, to predict the cost of any range of the next.
class LoopProfile {
 public:
  LoopProfile() = default;
  /// Pieces in any order; overlaps and gaps are tolerated (a gap costs the mean per item).
  LoopProfile(std::int64_t first, std::int64_t last, std::vector<wire::LoopPiece> pieces);
  std::int64_t first() const { return first_; }
  std::int64_t last() const { return last_; }
  double total() const { return cost(first_, last_); }
  /// Predicted seconds of [lo, hi).
  double cost(std::int64_t lo, std::int64_t hi) const;
  /// The smallest x in [from, last] with cost(from, x) >= c (last when the rest costs less).
  std::int64_t index_at(std::int64_t from, double c) const;

 private:
  std::int64_t first_ = 0, last_ = 0;
  std::vector<std::int64_t> at_;  // boundaries of segments of constant cost per item
  std::vector<double> prefix_;    // cost from first_ to at_[i]
};

/// One call's split over `ranks` ranks: rank p's block is [bounds[p], bounds[p+1]), the pool
/// [bounds[ranks], last). With a profile of the same range, `static_fraction` of the predicted
/// cost goes to the blocks; without, everything is the pool.
std::vector<std::int64_t> split_loop(std::int64_t first, std::int64_t last, int ranks,
                                     const LoopProfile* profile, double static_fraction);

/// The pool, handed out in guided chunks: a rank asking gets (its share of) the remaining
/// predicted cost over 2 x ranks, at least one item.
class LoopPool {
 public:
  LoopPool(std::int64_t lo, std::int64_t hi, int ranks, const LoopProfile* profile)
      : next_(lo), hi_(hi), ranks_(ranks), profile_(profile) {}
  bool empty() const { return next_ >= hi_; }
  /// `share`: 1 for a rank's chunk; less for rank 0's own pieces, so it answers sooner.
  std::optional<std::pair<std::int64_t, std::int64_t>> take(double share = 1);

 private:
  std::int64_t next_, hi_;
  int ranks_;
  const LoopProfile* profile_;
};

/// [lo, hi) in `parts` pieces of about equal predicted cost (fewer when it has fewer items).
std::vector<std::pair<std::int64_t, std::int64_t>> cut(std::int64_t lo, std::int64_t hi, int parts,
                                                       const LoopProfile* profile);

}  // namespace amorsize::detail
