#include "synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace amorsize::app {

WorkloadProfile sample_synthetic(const WorkloadSpec& spec, double budget_seconds) {
  // Enough items for a CV estimate, few enough to stay within the budget.
  constexpr std::int64_t kMinItems = 8, kMaxItems = 256;
  const double first = std::max(spec.item_seconds(0), 1e-9);
  std::int64_t n =
      std::clamp<std::int64_t>(std::llround(budget_seconds / first), kMinItems, kMaxItems);
  if (spec.items) n = std::min(n, *spec.items);
  std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  const auto out_bytes = static_cast<std::size_t>(spec.out_bytes);
  auto sampled = sample(
      [&](std::int64_t i) {
        busy_wait(spec.item_seconds(i));
        return std::string(out_bytes, 'x');
      },
      indices, indices.size());
  WorkloadProfile p = sampled.profile;
  p.items = spec.items;
  p.bytes_in = sizeof(std::int64_t);
  p.mem_per_item_bytes = spec.mem_bytes;
  // A busy-wait item is single-threaded by construction; rounding CPU/wall of a short sample
  // could say otherwise on a loaded machine.
  p.threads_per_item = 1;
  p.validate_and_complete();
  return p;
}

}  // namespace amorsize::app
