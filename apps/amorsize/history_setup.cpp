#include "history_setup.hpp"

#include "amorsize/error.hpp"

namespace amorsize::app {

std::unique_ptr<TimingLog> prepare_history(MPI_Comm comm, const HistoryArgs& args,
                                           const std::string& key, const std::string& command_line,
                                           RunOptions& options, bool item_costs) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::unique_ptr<TimingLog> log;
  std::string problem;
  if (rank == 0) {
    try {
      const std::string history = args.history.empty() ? args.log : args.history;
      if (!history.empty()) {
        const Prediction p = predict(history, key, {}, options.features);
        if (p.profile) {
          options.profile = p.profile;
          options.profile_reason = "planned from history, without sampling: " + p.reason;
          if (p.overheads.chunks > 0 && p.overheads.per_chunk_seconds > 0)
            options.latency_seconds = p.overheads.per_chunk_seconds / 2;
          if (p.overheads.per_byte_seconds > 0)
            options.bandwidth_bytes_per_second = 1 / p.overheads.per_byte_seconds;
          if (item_costs) {
            ItemCosts costs = predict_item_costs(history, key);
            if (costs.run_id > 0) options.profile_reason += "; " + costs.reason;
            options.heavy_items = std::move(costs.longest);
            options.predicted_work_seconds = costs.work_seconds;
          }
        } else {
          options.profile_reason = "sampled: " + p.reason;
        }
      }
      if (!args.log.empty()) {
        log = std::make_unique<TimingLog>(args.log, key, command_line);
        log->set_from_history(options.profile.has_value());
        options.recorder = log.get();
      }
    } catch (const invalid_argument& e) {
      problem = e.what();
    }
  }
  int ok = problem.empty() ? 1 : 0;
  MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
  if (!ok) {
    if (rank == 0) throw invalid_argument(problem);
    throw PeerFailed{};
  }
  return log;
}

std::string run_status(const RunReport& report) {
  if (report.stopped && !report.failures.empty()) return "failed";
  if (report.stopped) return "interrupted";
  return report.failures.empty() ? "complete" : "failed";
}

}  // namespace amorsize::app
