#pragma once
/// \file task_model.hpp
/// Each task's time, predicted from the tasks earlier runs recorded in the HDF5 log
/// (`amorsize run --log` records every task: its line, time, status, peak memory and the size
/// of the files it names).
///
/// \code
///   amorsize::TaskModel model("runs.h5", "./simulate {}");    // the command template
///   amorsize::FileSizes files;
///   if (auto p = model.predict("--n 400 in/case-7.dat", &files))
///     std::printf("%.2f s (confidence %.2f)\n", p->seconds, p->confidence);
/// \endcode
///
/// A line that ran before is predicted from its earlier times (their median). A new line is
/// predicted from the earlier tasks of the same *shape* - the same command and the same line
/// with its numbers taken out ("--n # in/case-#.dat") - by the k nearest of them over the
/// line's features: its numbers and the log of the size of the files it names, each scaled by
/// its spread (k-nearest-neighbour regression, inverse-distance weighted, as the Python
/// Amorsize predicted whole workloads). The confidence of a shape is 1 - the median relative
/// error of predicting each of its earlier tasks from the others (leave-one-out), times
/// n / (n + 1) for n earlier tasks; a run uses the model only at a confidence of at least 0.7.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "amorsize/history.hpp"

namespace amorsize {

/// Sizes of the files task lines name. Each distinct path is stat'ed at most once, and none
/// after `budget_seconds` spent in stat calls (a slow shared filesystem must not hold the run
/// back).
class FileSizes {
 public:
  explicit FileSizes(double budget_seconds = 2.0) : budget_(budget_seconds) {}
  /// The size of `path`, or -1 when it is not a regular file (or the budget is spent).
  double size(const std::string& path);
  std::int64_t stat_calls() const { return calls_; }
  bool budget_spent() const { return spent_ >= budget_; }

 private:
  double budget_;
  double spent_ = 0;
  std::int64_t calls_ = 0;
  std::unordered_map<std::string, double> known_;
};

/// What a task line says about its cost.
struct TaskFeatures {
  std::string shape;            ///< the line with every number replaced by '#'
  std::vector<double> numbers;  ///< its numbers, in order
  double file_bytes = -1;       ///< total size of the files it names (-1: none)
};

/// The features of `line`. Numbers are decimal ("7", "-2.5", "1e-3"; a sign only after a
/// space or one of "=,:([{"); files are the words (split at spaces and '=') with a '/' or '.'
/// that name a regular file, looked up through `files` (none looked up without it).
TaskFeatures task_features(const std::string& line, FileSizes* files = nullptr);

struct TaskModelOptions {
  int max_runs = 20;                 ///< the newest runs (that recorded tasks) learned from
  int neighbours = 4;                ///< k
  std::size_t max_points = 4000;     ///< earlier distinct lines kept per shape, at most
  std::size_t max_loo_points = 400;  ///< lines of a shape its confidence is measured on
  int min_points = 5;                ///< a shape with fewer earlier lines predicts nothing
  double min_confidence = 0.7;       ///< below this, a run samples instead
};

struct TaskPrediction {
  double seconds = 0;
  double confidence = 0;  ///< of the shape (see the file comment)
  bool seen = false;      ///< the line itself ran before
};

class TaskModel {
 public:
  /// Learns from the successful tasks that the newest runs of the log at `path` recorded with
  /// this command template (empty: lines that are commands). A missing log learns nothing;
  /// a damaged tasks table, or a log of a newer schema, throws invalid_argument naming it.
  TaskModel(const std::string& path, const std::string& command, TaskModelOptions options = {});
  /// Learns from these tasks (successful ones; the later a task, the newer).
  explicit TaskModel(const std::vector<TaskRecord>& tasks, TaskModelOptions options = {});

  /// The predicted time of `line`, or nullopt when neither the line nor its shape ran before.
  std::optional<TaskPrediction> predict(const std::string& line, FileSizes* files = nullptr) const;
  std::optional<TaskPrediction> predict(const std::string& line,
                                        const TaskFeatures& features) const;

  /// Earlier tasks learned from, their distinct lines, and the runs they came from.
  std::int64_t tasks() const { return tasks_; }
  std::size_t lines() const { return seen_.size(); }
  int runs() const { return runs_; }
  /// The newest run learned from (0: none): its bytes per item and memory plan the next run.
  std::int64_t newest_run() const { return newest_run_; }
  const TaskModelOptions& options() const { return options_; }
  /// Per shape: its earlier lines and its confidence.
  std::map<std::string, std::pair<std::size_t, double>> shapes() const;

 private:
  struct Shape {
    std::vector<std::vector<double>> x;  // features of each distinct line
    std::vector<double> seconds;         // its median time
    std::vector<double> scale;           // per feature: 1 / spread (0: constant)
    double confidence = 0;
  };
  void learn(const std::vector<TaskRecord>& tasks);
  double nearest(const Shape& s, const std::vector<double>& x, std::size_t leave_out) const;

  TaskModelOptions options_;
  std::unordered_map<std::string, std::vector<double>> seen_;  // line -> its times, newest last
  std::map<std::string, Shape> shapes_;
  std::int64_t tasks_ = 0;
  int runs_ = 0;
  std::int64_t newest_run_ = 0;
};

}  // namespace amorsize
