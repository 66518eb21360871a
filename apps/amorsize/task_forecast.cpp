#include "task_forecast.hpp"

#include <algorithm>
#include <cmath>

#include "../../src/format.hpp"
#include "amorsize/workload.hpp"

namespace amorsize::app {
namespace {

constexpr std::size_t kReservoir = 10000;
constexpr std::uint64_t kReservoirSeed = 0x9e3779b97f4a7c15ull;

bool shorter(const std::pair<RunOptions::HeavyItem, Task>& a,
             const std::pair<RunOptions::HeavyItem, Task>& b) {
  return a.first.seconds > b.first.seconds;  // std::*_heap keeps the largest first: invert
}

}  // namespace

TaskForecaster::TaskForecaster(const TaskModel& model, FileSizes& files, std::size_t keep)
    : model_(model), files_(files), keep_(keep) {}

void TaskForecaster::add(const Task& task) {
  ++f_.tasks;
  const std::optional<TaskPrediction> p = model_.predict(task.line, &files_);
  if (!p) return;
  ++f_.predicted;
  if (p->seen) ++f_.seen;
  confidence_sum_ += p->confidence;
  const double s = p->seconds;
  RunOptions::HeavyItem h{task.number - 1, s, f_.work_seconds};
  f_.work_seconds += s;
  f_.sum_squares += s * s;
  f_.longest = std::max(f_.longest, s);
  // Reservoir sampling (Vitter's algorithm R), drawing with the workloads' uniform01.
  if (f_.reservoir.size() < kReservoir) {
    f_.reservoir.push_back(s);
  } else {
    const auto j = std::uint64_t(uniform01(kReservoirSeed, std::uint64_t(f_.predicted)) *
                                 double(f_.predicted));
    if (j < kReservoir) f_.reservoir[std::size_t(j)] = s;
  }
  if (keep_ == 0) return;
  if (heap_.size() < keep_) {
    heap_.emplace_back(h, task);
    std::push_heap(heap_.begin(), heap_.end(), shorter);
  } else if (s > heap_.front().first.seconds) {
    std::pop_heap(heap_.begin(), heap_.end(), shorter);
    heap_.back() = {h, task};
    std::push_heap(heap_.begin(), heap_.end(), shorter);
  }
}

TaskForecast TaskForecaster::finish() {
  f_.confidence = f_.tasks > 0 ? confidence_sum_ / double(f_.tasks) : 0;
  std::sort(heap_.begin(), heap_.end(),
            [](const auto& a, const auto& b) { return a.first.seconds > b.first.seconds; });
  for (auto& [h, t] : heap_) {
    f_.heavy.push_back(h);
    f_.heavy_tasks.emplace(h.index, std::move(t));
  }
  heap_.clear();
  return std::move(f_);
}

WorkloadProfile TaskForecast::profile(const RunIndexRow& newest) const {
  WorkloadProfile p = profile_of(newest, "predicted per task");
  const double n = double(std::max<std::int64_t>(predicted, 1));
  const double mean = work_seconds / n;
  p.item_seconds_mean = std::max(mean, 1e-9);
  p.item_seconds_cv = mean > 0 ? std::sqrt(std::max(0.0, sum_squares / n - mean * mean)) / mean : 0;
  std::vector<double> r = reservoir;
  if (!r.empty()) {
    const std::size_t at = std::min(r.size() - 1, std::size_t(0.95 * double(r.size())));
    std::nth_element(r.begin(), r.begin() + std::ptrdiff_t(at), r.end());
    p.item_seconds_p95 = std::max(r[at], p.item_seconds_mean);
  }
  p.item_seconds_max = longest;
  p.validate_and_complete();
  return p;
}

std::string TaskForecast::reason(const TaskModel& model) const {
  using detail::fixed;
  std::string why = std::to_string(predicted) + " of " + std::to_string(tasks) +
                    " tasks predicted from " + std::to_string(model.tasks()) +
                    " earlier tasks of this command in " + std::to_string(model.runs()) + " run" +
                    (model.runs() == 1 ? "" : "s") + " (" + std::to_string(seen) + " ran before, " +
                    std::to_string(predicted - seen) + " from their nearest earlier lines), " +
                    detail::human_seconds(work_seconds) + " of work: confidence " +
                    fixed(confidence, 2);
  return why;
}

}  // namespace amorsize::app
