#include "amorsize/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace amorsize {
namespace {
std::int64_t ceil_div(double a, double b) {
  return static_cast<std::int64_t>(std::ceil(a / b));
}
}  // namespace

ChunkSchedule::ChunkSchedule(const Plan& plan)
    : plan_(plan), item_seconds_(plan.item_seconds_mean) {}

std::int64_t ChunkSchedule::target_size() const {
  return static_cast<std::int64_t>(
      std::llround(plan_.target_chunk_duration_seconds / std::max(item_seconds_, 1e-12)));
}

std::int64_t ChunkSchedule::next(std::optional<std::int64_t> remaining, double weight) {
  const double workers = std::max(1, plan_.workers);
  std::int64_t size = 1;
  switch (plan_.schedule) {
    case Schedule::fixed:
      size = plan_.chunk_size;
      break;
    case Schedule::static_:
      if (first_total_ < 0) first_total_ = remaining.value_or(plan_.chunk_size * plan_.workers);
      size = ceil_div(double(first_total_), workers);
      break;
    case Schedule::gss:
      size = remaining ? ceil_div(double(*remaining), workers) : plan_.chunk_size;
      break;
    case Schedule::fac:
      if (batch_left_ == 0) {
        batch_size_ = remaining ? ceil_div(double(*remaining), 2 * workers) : plan_.chunk_size;
        batch_left_ = plan_.workers;
      }
      --batch_left_;
      size = batch_size_;
      break;
    case Schedule::adaptive: {
      // The smaller of "a chunk runs for the target duration" (with the item time as measured
      // so far) and the factoring taper "remaining / (x * workers)", scaled by node speed.
      double s = double(target_size());
      if (remaining)
        s = std::min(s, std::ceil(double(*remaining) / (plan_.taper_factor * workers)));
      s *= weight;
      size = std::clamp(static_cast<std::int64_t>(std::llround(s)), plan_.min_chunk,
                        std::max(plan_.min_chunk, plan_.max_chunk));
      break;
    }
  }
  size = std::max<std::int64_t>(size, 1);
  if (remaining) size = std::min(size, std::max<std::int64_t>(*remaining, 1));
  return size;
}

void ChunkSchedule::observe(std::int64_t items, double seconds) {
  if (plan_.schedule != Schedule::adaptive || items <= 0 || !(seconds > 0)) return;
  const double a = plan_.adaptation_rate;
  item_seconds_ = (1 - a) * item_seconds_ + a * (seconds / double(items));
}

}  // namespace amorsize
