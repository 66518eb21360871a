#include "speed.hpp"

#include <algorithm>

namespace amorsize::detail {

void NodeSpeeds::observe(int node, std::int64_t items, double seconds) {
  if (items <= 0 || !(seconds > 0)) return;
  auto& ring = recent_[std::size_t(node)];
  const double per_item = seconds / double(items);
  if (ring.size() < kWindow) {
    ring.push_back(per_item);
    return;
  }
  std::size_t& next = next_[std::size_t(node)];
  ring[next] = per_item;
  next = (next + 1) % kWindow;
}

double NodeSpeeds::median_item_seconds(std::size_t node) const {
  std::vector<double> v = recent_[node];
  const auto mid = v.begin() + std::ptrdiff_t(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

std::vector<double> NodeSpeeds::speeds() const {
  const std::size_t n = recent_.size();
  std::vector<double> per_item(n, 0.0);
  double fastest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!measured(int(i))) continue;
    per_item[i] = median_item_seconds(i);
    if (fastest == 0 || per_item[i] < fastest) fastest = per_item[i];
  }
  std::vector<double> out(n, 1.0);
  if (fastest == 0) return out;
  std::vector<double> known;
  for (std::size_t i = 0; i < n; ++i)
    if (per_item[i] > 0) known.push_back(out[i] = fastest / per_item[i]);
  const auto mid = known.begin() + std::ptrdiff_t(known.size() / 2);
  std::nth_element(known.begin(), mid, known.end());
  for (std::size_t i = 0; i < n; ++i)
    if (per_item[i] == 0) out[i] = *mid;
  return out;
}

}  // namespace amorsize::detail
