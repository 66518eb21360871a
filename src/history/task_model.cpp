// The per-task model: earlier times of a line, or k nearest earlier lines of its shape.
#include "amorsize/task_model.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "amorsize/error.hpp"
#include "neighbours.hpp"

namespace amorsize {
namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// A sign belongs to a number only at a word's start.
bool sign_may_start(const std::string& s, std::size_t i) {
  return i == 0 || std::strchr(" \t=,:([{", s[i - 1]) != nullptr;
}

// Length of the decimal number at s[i] (0: none): [sign] digits [. digits] [e [sign] digits].
std::size_t number_at(const std::string& s, std::size_t i) {
  std::size_t j = i;
  if ((s[j] == '-' || s[j] == '+') && sign_may_start(s, i)) ++j;
  const std::size_t digits_from = j;
  while (j < s.size() && digit(s[j])) ++j;
  bool any = j > digits_from;
  if (j < s.size() && s[j] == '.' && j + 1 < s.size() && digit(s[j + 1])) {
    ++j;
    while (j < s.size() && digit(s[j])) ++j;
    any = true;
  }
  if (!any) return 0;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    std::size_t k = j + 1;
    if (k < s.size() && (s[k] == '-' || s[k] == '+')) ++k;
    if (k < s.size() && digit(s[k])) {
      while (k < s.size() && digit(s[k])) ++k;
      j = k;
    }
  }
  return j - i;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0)
    m = (m + *std::max_element(v.begin(), v.begin() + std::ptrdiff_t(mid))) / 2;
  return m;
}

std::vector<double> feature_vector(const TaskFeatures& f) {
  std::vector<double> x = f.numbers;
  x.push_back(f.file_bytes >= 0 ? std::log1p(f.file_bytes) : 0.0);
  return x;
}

}  // namespace

double FileSizes::size(const std::string& path) {
  auto it = known_.find(path);
  if (it != known_.end()) return it->second;
  if (spent_ >= budget_) return -1;
  const auto t0 = std::chrono::steady_clock::now();
  struct stat st {};
  const double bytes =
      ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? double(st.st_size) : -1.0;
  ++calls_;
  spent_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  known_.emplace(path, bytes);
  return bytes;
}

TaskFeatures task_features(const std::string& line, FileSizes* files) {
  TaskFeatures f;
  f.shape.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    const std::size_t n = number_at(line, i);
    if (n == 0) {
      f.shape += line[i++];
      continue;
    }
    f.numbers.push_back(std::strtod(line.substr(i, n).c_str(), nullptr));
    f.shape += '#';
    i += n;
  }
  if (files) {
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '=')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '=') ++j;
      const std::string word = line.substr(i, j - i);
      i = j;
      if (word.find_first_of("/.") == std::string::npos || number_at(word, 0) == word.size())
        continue;
      const double bytes = files->size(word);
      if (bytes >= 0) f.file_bytes = std::max(0.0, f.file_bytes) + bytes;
    }
  }
  return f;
}

TaskModel::TaskModel(const std::vector<TaskRecord>& tasks, TaskModelOptions options)
    : options_(options) {
  learn(tasks);
}

TaskModel::TaskModel(const std::string& path, const std::string& command, TaskModelOptions options)
    : options_(options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // no history yet
  std::vector<TaskRecord> tasks;               // oldest run first
  std::vector<std::vector<TaskRecord>> newest_first;
  const std::vector<RunIndexRow> rows = list_runs(path, false);
  for (auto r = rows.rbegin(); r != rows.rend() && runs_ < options_.max_runs; ++r) {
    if (r->status != "complete" && r->status != "failed") continue;
    LoggedRun run = read_run(path, r->run_id);
    if (run.tasks.empty() || run.task_command != command) continue;
    if (newest_run_ == 0) newest_run_ = r->run_id;
    ++runs_;
    newest_first.push_back(std::move(run.tasks));
  }
  for (auto r = newest_first.rbegin(); r != newest_first.rend(); ++r)
    tasks.insert(tasks.end(), r->begin(), r->end());
  learn(tasks);
}

void TaskModel::learn(const std::vector<TaskRecord>& tasks) {
  // Lines and their times (successful tasks only), newest last.
  std::unordered_map<std::string, double> file_bytes;
  for (const auto& t : tasks) {
    if (t.status != 0 || !std::isfinite(t.seconds) || t.seconds <= 0) continue;
    ++tasks_;
    auto& times = seen_[t.line];
    times.push_back(t.seconds);
    file_bytes[t.line] = t.file_bytes;
  }
  // One point per distinct line, per shape; at most max_points of them.
  std::map<std::string, std::vector<std::pair<std::vector<double>, double>>> points;
  for (const auto& [line, times] : seen_) {
    TaskFeatures f = task_features(line);
    f.file_bytes = file_bytes[line];
    points[f.shape].emplace_back(feature_vector(f), median(times));
  }
  for (auto& [shape, pts] : points) {
    if (pts.size() > options_.max_points) pts.resize(options_.max_points);
    Shape s;
    for (auto& [x, t] : pts) {
      s.x.push_back(std::move(x));
      s.seconds.push_back(t);
    }
    s.scale = detail::feature_scales(s.x);
    // Leave-one-out over (an even spread of) its lines.
    const std::size_t n = s.x.size();
    if (int(n) >= options_.min_points) {
      const std::size_t step = std::max<std::size_t>(1, n / options_.max_loo_points);
      std::vector<double> errors;
      for (std::size_t i = 0; i < n; i += step) {
        const double p = nearest(s, s.x[i], i);
        errors.push_back(std::fabs(p - s.seconds[i]) / s.seconds[i]);
      }
      s.confidence = std::max(0.0, 1 - median(errors)) * double(n) / double(n + 1);
    }
    shapes_.emplace(shape, std::move(s));
  }
}

// The k nearest lines, and a linear fit through them (neighbours.hpp); never below half or
// above twice the times they hold, so a fit cannot run away from its data.
double TaskModel::nearest(const Shape& s, const std::vector<double>& x,
                          std::size_t leave_out) const {
  const std::size_t k = std::max<std::size_t>(std::size_t(std::max(1, options_.neighbours)),
                                              2 * (detail::varying_features(s.scale) + 1) + 1);
  const detail::Neighbourhood n = detail::nearest_points(s.x, s.scale, x, k, leave_out);
  if (n.nearest.empty()) return 0;
  double low = s.seconds[n.nearest.front().second], high = low;
  for (const auto& [d, i] : n.nearest) {
    low = std::min(low, s.seconds[i]);
    high = std::max(high, s.seconds[i]);
  }
  const double v = detail::neighbourhood_value(n, s.x, s.seconds, s.scale, x);
  return std::clamp(v, low / 2, high * 2);
}

std::optional<TaskPrediction> TaskModel::predict(const std::string& line, FileSizes* files) const {
  return predict(line, task_features(line, files));
}

std::optional<TaskPrediction> TaskModel::predict(const std::string& line,
                                                 const TaskFeatures& features) const {
  const auto shape = shapes_.find(features.shape);
  const double confidence = shape == shapes_.end() ? 0 : shape->second.confidence;
  if (auto it = seen_.find(line); it != seen_.end())
    return TaskPrediction{median(it->second), confidence, true};
  if (shape == shapes_.end() || int(shape->second.x.size()) < options_.min_points)
    return std::nullopt;
  const double seconds = nearest(shape->second, feature_vector(features), SIZE_MAX);
  return TaskPrediction{seconds, confidence, false};
}

std::map<std::string, std::pair<std::size_t, double>> TaskModel::shapes() const {
  std::map<std::string, std::pair<std::size_t, double>> out;
  for (const auto& [name, s] : shapes_) out[name] = {s.x.size(), s.confidence};
  return out;
}

}  // namespace amorsize
