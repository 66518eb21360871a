#pragma once
/// \file history.hpp
/// The HDF5 timing log: every run appends its plan, samples and chunk timings to one file, and
/// the model trained from those records plans the next run of the same workload without
/// sampling.
///
/// \code
///   amorsize::TimingLog log("runs.h5", "my-sweep", "mpirun -np 64 ./sweep");
///   amorsize::RunOptions options;
///   options.recorder = &log;                 // chunks stream into the file as the run goes
///   auto report = amorsize::run(world, source, fn, sink, options);
///   log.finish(report, "complete");
/// \endcode
///
/// Layout of the file (schema version 2; see README "The HDF5 log"):
///   /                 attrs schema="amorsize-log", schema_version=2
///   /index            one row per finished run (RunIndexRow), for fast look-ups
///   /runs/NNNNNN/     one group per run (attributes: the run's metadata and, once it ends,
///                     its RunIndexRow); datasets chunks, samples, nodes, failures, pressure,
///                     and tasks (schema 2: one row per task, TaskRecord) when the run
///                     recorded tasks
/// Readers take no lock and see a running log as of its last flush; a killed run keeps the
/// status "running". One writer per file: a second TimingLog on the same file is refused.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/plan.hpp"
#include "amorsize/profile.hpp"
#include "amorsize/run_types.hpp"
#include "amorsize/topology.hpp"

namespace amorsize {

/// Logs are written in version 2; versions 1 and 2 are read (a version-1 log gets version-2
/// runs after its own when a run is added to it).
constexpr int kLogSchemaVersion = 2;
constexpr int kOldestLogSchemaVersion = 1;

struct LogOptions {
  std::size_t flush_rows = 4096;  ///< write buffered chunk rows once this many are waiting
  double flush_seconds = 1.0;     ///< ... or once this long has passed since the last write
  /// Tasks (TaskRecord rows) one run keeps; beyond, tasks are counted in the run's
  /// `tasks_dropped` attribute but not stored. 10^7 rows take about 200 MB before compression.
  std::int64_t max_tasks = 10'000'000;
  /// Where warnings go when a write fails mid-run (default: stderr, prefixed "amorsize: ").
  std::function<void(const std::string&)> warn;
};

/// Per-run figures kept in /index and as attributes of the run's group.
struct RunIndexRow {
  std::int64_t run_id = 0;
  std::string workload_key;
  std::string status;  ///< "running", "complete", "interrupted" or "failed"
  double start_unix_seconds = 0;
  double end_unix_seconds = 0;
  std::int64_t items = 0;
  std::int64_t chunks = 0;
  std::int64_t failed = 0;
  int workers = 0;
  int cores = 0;
  double makespan_seconds = 0;
  double predicted_makespan_seconds = 0;  ///< what the plan predicted (0 when unknown)
  double efficiency = 0;
  double compute_seconds = 0;  ///< sum of item times
  /// Item statistics of the run, from its chunks and samples (see TimingLog::finish).
  double item_seconds_mean = 0;
  double item_seconds_cv = 0;
  double item_seconds_p95 = 0;
  double item_seconds_max = 0;
  double bytes_in = 0;   ///< per item
  double bytes_out = 0;  ///< per item
  double mem_per_item_bytes = 0;
  double threads_per_item = 1;
  bool from_history = false;  ///< the plan came from the model, without sampling
};

/// Everything logged about one run.
struct LoggedRun {
  RunIndexRow summary;
  std::string command_line;
  std::string amorsize_version;
  std::string start_time;  ///< ISO 8601, UTC
  std::string end_time;
  std::string plan_json;
  std::vector<NodeTopology> nodes;
  std::vector<ChunkRecord> chunks;
  std::vector<SampleRecord> samples;
  std::vector<Failure> failures;
  std::vector<std::pair<double, int>> pressure;  ///< (seconds, node) when a node became pressured
  /// Per node: each worker's CPUs (NodePlan::binding; empty when not bound or in a version-1
  /// log).
  std::vector<std::string> node_bindings;
  /// Per node: time under memory pressure (an episode still open at the end counts to the
  /// makespan).
  std::vector<double> pressure_seconds;
  /// The tasks it recorded, in the order they finished (schema 2; empty in a version-1 log).
  std::vector<TaskRecord> tasks;
  /// The command template its tasks ran with (`amorsize run -- CMD {}`; empty when each line
  /// is a command), which tasks of the same command share (task_model.hpp).
  std::string task_command;
  std::map<std::string, double> features;  ///< RunOptions::features (empty: none given)
  std::int64_t tasks_dropped = 0;          ///< tasks beyond LogOptions::max_tasks, not stored
};

/// Writes one run into an HDF5 log as it goes (rank 0 only; one writer per file).
class TimingLog final : public Recorder {
 public:
  /// Opens `path` (creating it when missing) and starts a new run. Throws invalid_argument,
  /// before any work starts, when the file cannot be created or written, is not HDF5, or
  /// holds another schema or schema version.
  TimingLog(const std::string& path, std::string workload_key, std::string command_line,
            LogOptions options = {});
  /// A run that was not finished is marked "interrupted"; buffered rows are written first.
  ~TimingLog() override;
  TimingLog(const TimingLog&) = delete;
  TimingLog& operator=(const TimingLog&) = delete;

  std::int64_t run_id() const;
  /// Marks whether the plan was made from history (stored in the index).
  void set_from_history(bool from_history);
  /// The command template of the tasks this run records (LoggedRun::task_command).
  void set_task_command(const std::string& command);

  // Recorder: these never throw. A failed write prints one warning (LogOptions::warn) and
  // stops logging; the run goes on and its results are not affected.
  void on_nodes(const std::vector<NodeTopology>& nodes) override;
  void on_plan(const Plan& plan) override;
  void on_sample(const SampleRecord& sample) override;
  void on_chunk(const ChunkRecord& chunk) override;
  void on_pressure(int node, double seconds, bool pressured) override;
  void on_task(const TaskRecord& task) override;
  void on_features(const std::map<std::string, double>& features) override;

  /// Writes what is buffered and flushes the file (a killed run keeps what was flushed).
  void flush();
  /// Ends the run: status ("complete", "failed" or "interrupted"), the report's figures,
  /// failures, the item statistics, and the row in /index. Does not throw on write errors.
  void finish(const RunReport& report, const std::string& status);
  /// False once a write has failed.
  bool healthy() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The runs of a log, from /index (finished runs) and, with `with_unfinished`, the run groups
/// that have no index row (killed runs: status "running"), oldest first. Throws
/// invalid_argument for a missing file, a file that is not HDF5, or another schema version.
std::vector<RunIndexRow> list_runs(const std::string& path, bool with_unfinished = true);

/// One run with all its records; `run_id` < 0 means the last run. With `with_tasks` false
/// its tasks table is not read. A tasks table that is damaged (a column missing, a negative
/// or non-finite time) is refused with invalid_argument naming the problem.
LoggedRun read_run(const std::string& path, std::int64_t run_id = -1, bool with_tasks = true);

/// Every run's workload features (RunOptions::features), by run id; runs without any are left
/// out. Reads attributes only.
std::map<std::int64_t, std::map<std::string, double>> read_features(const std::string& path);

/// The times a run recorded for its items or tasks, (item, seconds) of the successful ones,
/// read without their lines (a few MB for millions of items). Empty when it recorded none.
std::vector<std::pair<std::int64_t, double>> read_item_seconds(const std::string& path,
                                                               std::int64_t run_id);

// ---------------------------------------------------------------------------------------------
// The model.

/// Confidence = runs x precision x consistency, each in [0, 1]:
///   runs        n / (n + 0.25): 0.8 for one run, 0.89 for two, 0.95 for five;
///   precision   1 - (CV / sqrt(items measured)) / max_standard_error: how well the runs pin
///               the mean down;
///   consistency 1 - (spread of the per-run means) / max_mean_spread (1 for a single run).
struct ModelOptions {
  int min_runs = 1;                 ///< complete runs of the key needed before trusting history
  double max_mean_spread = 0.25;    ///< per-run means varying this much give no confidence
  double max_standard_error = 0.2;  ///< a relative standard error this large gives none
  double min_confidence = 0.7;      ///< below this, sample instead
  int max_runs = 20;                ///< the newest runs that are used
  int neighbours = 3;               ///< across workloads: k nearest
  int min_workloads = 4;            ///< across workloads: earlier workloads needed
};

/// The cluster's message costs, fitted from chunk records by least squares over
/// (receive - dispatch) - compute = per_chunk + per_byte x (bytes in + bytes out).
struct OverheadFit {
  double per_chunk_seconds = 0;
  double per_byte_seconds = 0;
  std::int64_t chunks = 0;  ///< records used
};

struct Prediction {
  std::optional<WorkloadProfile> profile;  ///< set when the model is confident enough
  double confidence = 0;                   ///< 0..1
  int runs = 0;                            ///< complete runs of the key found
  OverheadFit overheads;
  std::string reason;  ///< why the model was or was not used, in words
};

/// A profile carrying what a finished run measured per item besides its times: bytes in and
/// out, memory, threads (sample_count 0: nothing sampled). The caller sets the item times.
WorkloadProfile profile_of(const RunIndexRow& run, std::string source);

/// Predicts the profile of `workload_key` from the log at `path` (a missing log predicts
/// nothing, with the reason).
///
/// With `features` (RunOptions::features), a key with no confident history of its own is
/// predicted from the earlier workloads whose features have the same names: the k nearest
/// (ModelOptions::neighbours) over the features' logarithms (their values where one is not
/// positive), each scaled by its spread, weighted by inverse distance, in log item time. Its
/// confidence is 1 - the median relative error of predicting each earlier workload's mean item
/// time from the others (leave-one-out), times n / (n + 1) for n workloads; at least
/// ModelOptions::min_workloads are needed.
Prediction predict(const std::string& path, const std::string& workload_key,
                   const ModelOptions& options = {},
                   const std::map<std::string, double>& features = {});

/// Each item's cost as the newest complete run of `workload_key` that recorded its items
/// measured them (RunOptions::record_items; a rerun of the same key runs the same items): the
/// `max_items` longest, as candidates to start first (RunOptions::heavy_items), and the total.
struct ItemCosts {
  std::int64_t run_id = 0;                     ///< the run they come from (0: none)
  std::int64_t items = 0;                      ///< items it recorded
  double work_seconds = 0;                     ///< their total time
  std::vector<RunOptions::HeavyItem> longest;  ///< longest first
  std::string reason;  ///< where they come from, or why there are none, in words
};
ItemCosts predict_item_costs(const std::string& path, const std::string& workload_key,
                             std::size_t max_items = 4096);

/// The least-squares fit over a set of chunk records.
OverheadFit fit_overheads(const std::vector<ChunkRecord>& chunks);

}  // namespace amorsize
