#pragma once
/// \file report.hpp
/// What `amorsize report` shows of an HDF5 log: a line per run, one run in detail, the same as
/// JSON, and a self-contained HTML page with a timeline of every worker's chunks.
#include <string>
#include <vector>

#include "amorsize/history.hpp"

namespace amorsize {

/// Figures derived from one run's records.
struct RunAnalysis {
  struct Node {
    int node = 0;
    std::string name;
    int workers = 0;
    double busy_seconds = 0;
    double utilization = 0;       ///< busy / (workers x makespan)
    double pressure_seconds = 0;  ///< time under memory pressure
    double speed = 1;             ///< measured (NodeTopology::speed in the log)
    std::string binding;          ///< each worker's CPUs (NodePlan::binding); empty: unbound
  };
  struct Worker {
    int node = 0;
    int rank = 0;
    int lane = 0;  ///< threads of one rank (rank 0) get lanes of their own
    double busy_seconds = 0;
    double last_end_seconds = 0;
    std::int64_t chunks = 0;
  };
  std::vector<Node> nodes;
  std::vector<Worker> workers;
  std::vector<int> chunk_worker;          ///< for each of run.chunks, its row in `workers`
  double imbalance_seconds = 0;           ///< spread of the workers' finishing times
  std::vector<std::int64_t> chunk_sizes;  ///< in dispatch order
  std::vector<ChunkRecord> slowest;       ///< the five longest chunks
  double prediction_error = 0;            ///< (measured - predicted) / measured makespan
};

RunAnalysis analyze(const LoggedRun& run);

/// One line per run: id, key, items, makespan, efficiency, status.
std::string runs_text(const std::vector<RunIndexRow>& runs);
/// One run in detail.
std::string run_text(const LoggedRun& run);
std::string runs_json(const std::vector<RunIndexRow>& runs);
std::string run_json(const LoggedRun& run);
/// A self-contained HTML page (no network): SVG Gantt timeline of every worker's chunks,
/// utilization over time, and a histogram of item times.
std::string run_html(const LoggedRun& run);

}  // namespace amorsize
