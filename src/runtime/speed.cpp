#include "speed.hpp"

#include <algorithm>

namespace amorsize::detail {

void NodeSpeeds::observe(int node, std::int64_t items, double seconds) {
  if (items <= 0 || !(seconds > 0)) return;
  auto& recent = recent_[std::size_t(node)];
  double& busy = busy_[std::size_t(node)];
  recent.push_back({items, seconds});
  busy += seconds;
  while (recent.size() > std::size_t(kMinChunks) &&
         busy - recent.front().seconds >= kWindowSeconds) {
    busy -= recent.front().seconds;
    recent.pop_front();
  }
}

// Seconds per item over the window, heavy chunks left out.
double NodeSpeeds::item_seconds(std::size_t node) const {
  const auto& recent = recent_[node];
  std::vector<double> per_item;
  for (const auto& c : recent) per_item.push_back(c.seconds / double(c.items));
  auto mid = per_item.begin() + std::ptrdiff_t(per_item.size() / 2);
  std::nth_element(per_item.begin(), mid, per_item.end());
  const double median = *mid;
  double seconds = 0;
  std::int64_t items = 0;
  for (const auto& c : recent) {
    if (c.seconds / double(c.items) > kHeavy * median) continue;
    seconds += c.seconds;
    items += c.items;
  }
  return items > 0 ? seconds / double(items) : median;
}

std::vector<double> NodeSpeeds::speeds() const {
  const std::size_t n = recent_.size();
  std::vector<double> per_item(n, 0.0);
  double fastest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!measured(int(i))) continue;
    per_item[i] = item_seconds(i);
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
