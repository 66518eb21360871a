#pragma once
// `amorsize run` with history: each task's time predicted in the first pass over the task
// file, the profile the run plans with, and the tasks that may start first.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "amorsize/task_model.hpp"
#include "amorsize/tasks.hpp"

namespace amorsize::app {

struct TaskForecast {
  std::int64_t tasks = 0;      ///< in the file
  std::int64_t predicted = 0;  ///< with a prediction
  std::int64_t seen = 0;       ///< ... whose line ran before
  double confidence = 0;       ///< mean over the tasks (0 for one without a prediction)
  double work_seconds = 0;     ///< predicted time of all tasks
  /// The longest predicted tasks (at most RunOptions::max_first_items), and their lines.
  std::vector<RunOptions::HeavyItem> heavy;
  std::map<std::int64_t, Task> heavy_tasks;  ///< by index in the source
  /// The profile of the predicted times (bytes and memory from `newest`, the newest run the
  /// model learned from).
  WorkloadProfile profile(const RunIndexRow& newest) const;
  std::string reason(const TaskModel& model) const;

  double sum_squares = 0, longest = 0;
  std::vector<double> reservoir;  ///< a uniform sample of the predicted times, for the p95
};

/// Predicts the tasks of a file, in file order (the source index of a task is its number - 1).
class TaskForecaster {
 public:
  TaskForecaster(const TaskModel& model, FileSizes& files, std::size_t keep);
  void add(const Task& task);
  TaskForecast finish();

 private:
  const TaskModel& model_;
  FileSizes& files_;
  std::size_t keep_;
  TaskForecast f_;
  double confidence_sum_ = 0;
  // Min-heap on seconds: the `keep_` longest so far.
  std::vector<std::pair<RunOptions::HeavyItem, Task>> heap_;
};

}  // namespace amorsize::app
