// Leave-one-out error of the per-task model: every distinct line of a command's tasks in a log
// predicted from all the other lines (none of its own times), against its measured time.
//   task_prediction LOG [COMMAND]     (COMMAND: the template; empty = lines are commands)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "amorsize/task_model.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: task_prediction LOG [COMMAND]\n");
    return 2;
  }
  const std::string path = argv[1], command = argc > 2 ? argv[2] : "";
  std::vector<amorsize::TaskRecord> all;
  for (const auto& r : amorsize::list_runs(path, false)) {
    amorsize::LoggedRun run = amorsize::read_run(path, r.run_id);
    if (run.task_command != command) continue;
    for (auto& t : run.tasks)
      if (t.status == 0 && t.seconds > 0) all.push_back(std::move(t));
  }
  std::map<std::string, std::vector<double>> lines;
  for (const auto& t : all) lines[t.line].push_back(t.seconds);
  std::vector<double> errors;
  double confidence_sum = 0;
  for (const auto& [line, times] : lines) {
    std::vector<amorsize::TaskRecord> others;
    for (const auto& t : all)
      if (t.line != line) others.push_back(t);
    const amorsize::TaskModel model(others);
    const auto p = model.predict(line);
    if (!p) continue;
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const double measured = sorted[sorted.size() / 2];
    errors.push_back(std::fabs(p->seconds - measured) / measured);
    confidence_sum += p->confidence;
  }
  if (errors.empty()) {
    std::printf("no predictable lines\n");
    return 1;
  }
  std::sort(errors.begin(), errors.end());
  auto at = [&](double q) {
    return errors[std::min(errors.size() - 1, std::size_t(q * errors.size()))];
  };
  std::printf(
      "{\"lines\": %zu, \"predicted\": %zu, \"median_error\": %.4f, \"p90_error\": %.4f, "
      "\"mean_confidence\": %.3f}\n",
      lines.size(), errors.size(), at(0.5), at(0.9), confidence_sum / double(errors.size()));
  return 0;
}
