#include "loop_plan.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace amorsize::detail {

LoopProfile::LoopProfile(std::int64_t first, std::int64_t last, std::vector<wire::LoopPiece> pieces)
    : first_(first), last_(last) {
  // Cost per item, piece by piece, in index order; the ranges no piece covers cost the mean.
  std::sort(pieces.begin(), pieces.end(),
            [](const wire::LoopPiece& a, const wire::LoopPiece& b) { return a.lo < b.lo; });
  double seconds = 0;
  std::int64_t items = 0;
  for (const auto& p : pieces) {
    seconds += std::max(p.seconds, 0.0);
    items += p.hi - p.lo;
  }
  const double mean = items > 0 ? seconds / double(items) : 0;
  std::vector<std::pair<std::int64_t, double>> rate;  // segment start -> seconds per item
  std::int64_t at = first;
  for (const auto& p : pieces) {
    const std::int64_t lo = std::max(p.lo, at), hi = std::min(p.hi, last);
    if (hi <= lo) continue;
    if (lo > at) rate.push_back({at, mean});
    rate.push_back({lo, std::max(p.seconds, 0.0) / double(p.hi - p.lo)});
    at = hi;
  }
  if (at < last) rate.push_back({at, mean});
  at_.push_back(first);
  prefix_.push_back(0);
  for (std::size_t i = 0; i < rate.size(); ++i) {
    const std::int64_t end = i + 1 < rate.size() ? rate[i + 1].first : last;
    prefix_.push_back(prefix_.back() + rate[i].second * double(end - rate[i].first));
    at_.push_back(end);
  }
}

double LoopProfile::cost(std::int64_t lo, std::int64_t hi) const {
  const auto upto = [&](std::int64_t x) {
    x = std::clamp(x, first_, last_);
    const auto it = std::upper_bound(at_.begin(), at_.end(), x);
    if (it == at_.begin()) return 0.0;
    const std::size_t i = std::size_t(it - at_.begin()) - 1;
    if (i + 1 >= at_.size()) return prefix_.back();
    const double per =
        (prefix_[i + 1] - prefix_[i]) / double(std::max<std::int64_t>(1, at_[i + 1] - at_[i]));
    return prefix_[i] + per * double(x - at_[i]);
  };
  return hi > lo ? upto(hi) - upto(lo) : 0;
}

std::int64_t LoopProfile::index_at(std::int64_t from, double c) const {
  std::int64_t lo = from, hi = last_;
  if (cost(from, hi) < c) return hi;
  while (lo < hi) {  // the smallest x with cost(from, x) >= c
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (cost(from, mid) >= c) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

std::vector<std::int64_t> split_loop(std::int64_t first, std::int64_t last, int ranks,
                                     const LoopProfile* profile, double static_fraction) {
  std::vector<std::int64_t> bounds(std::size_t(ranks) + 1, first);
  if (!profile || profile->first() != first || profile->last() != last || !(profile->total() > 0))
    return bounds;  // all of it is the pool
  const double block = static_fraction * profile->total() / double(ranks);
  for (int p = 0; p < ranks; ++p)
    bounds[std::size_t(p) + 1] = profile->index_at(bounds[std::size_t(p)], block);
  return bounds;
}

std::optional<std::pair<std::int64_t, std::int64_t>> LoopPool::take(double share) {
  if (empty()) return std::nullopt;
  std::int64_t end;
  if (profile_ && profile_->total() > 0) {
    const double want = share * profile_->cost(next_, hi_) / (2.0 * ranks_);
    end = std::max(next_ + 1, profile_->index_at(next_, want));
  } else {
    const double want = share * double(hi_ - next_) / (2.0 * ranks_);
    end = next_ + std::max<std::int64_t>(1, std::int64_t(std::ceil(want)));
  }
  end = std::min(end, hi_);
  const std::pair<std::int64_t, std::int64_t> out{next_, end};
  next_ = end;
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> cut(std::int64_t lo, std::int64_t hi, int parts,
                                                       const LoopProfile* profile) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  parts = int(std::max<std::int64_t>(1, std::min<std::int64_t>(parts, hi - lo)));
  const bool by_cost = profile && profile->cost(lo, hi) > 0;
  const double each = by_cost ? profile->cost(lo, hi) / parts : 0;
  std::int64_t at = lo;
  for (int i = 0; i < parts && at < hi; ++i) {
    std::int64_t end = i + 1 == parts ? hi
                       : by_cost      ? profile->index_at(at, each)
                                      : lo + (hi - lo) * (i + 1) / parts;
    end = std::clamp(end, at + 1, hi);
    out.push_back({at, end});
    at = end;
  }
  return out;
}

}  // namespace amorsize::detail
