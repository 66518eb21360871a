#pragma once
/// \file run_types.hpp
/// Options and report of amorsize::run (see run.hpp), free of MPI and Boost.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "amorsize/plan.hpp"

namespace amorsize {

/// An item that threw (or failed): its index in the source and the message.
struct Failure {
  std::int64_t index = 0;
  std::string message;
};

/// One chunk as the coordinator saw it. Times are seconds since the run started, on the
/// coordinator's clock; compute times are measured by the worker.
struct ChunkRecord {
  std::int64_t seq = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  int node = 0;
  int rank = 0;                 ///< MPI rank that ran it (0 for the coordinator's threads)
  double dispatch_seconds = 0;  ///< sent by the coordinator
  double start_seconds = 0;     ///< the worker began the first item (clock offset applied)
  double end_seconds = 0;       ///< the worker finished the last item
  double receive_seconds = 0;   ///< the result reached the coordinator
  double compute_seconds = 0;   ///< time in the items (end - start, as the worker measured)
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  std::int64_t failed = 0;
};

/// One item measured while sampling, before the plan.
struct SampleRecord {
  std::int64_t item = 0;
  int node = 0;
  double seconds = 0;
  double bytes_in = 0;
  double bytes_out = 0;
  double memory_bytes = 0;  ///< growth of the resident set while the item ran
};

/// One task of `amorsize run` (or one item of a run that records items) as it ran: what the
/// per-task model (task_model.hpp) learns from.
struct TaskRecord {
  std::int64_t item = 0;  ///< the task's number in its file, or the item's index in the source
  std::string line;       ///< the task line (empty for an item of the library)
  double seconds = 0;     ///< wall time
  double predicted_seconds = 0;  ///< what the model predicted for it (0: nothing predicted)
  int status = 0;                ///< exit status (0: success)
  double max_rss_bytes = 0;      ///< peak resident set
  double file_bytes = -1;  ///< total size of the files the line names (-1: none, or not looked at)
};

/// Memory as a node's probe sees it.
struct MemorySample {
  std::uint64_t available_bytes = 0;
  std::uint64_t total_bytes = 0;
};

/// Observes a run as it goes (the HDF5 log implements it). Called on rank 0 only.
class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual void on_nodes(const std::vector<NodeTopology>& /*nodes*/) {}
  virtual void on_plan(const Plan&) {}
  virtual void on_sample(const SampleRecord&) {}
  virtual void on_chunk(const ChunkRecord&) {}
  virtual void on_pressure(int /*node*/, double /*seconds*/, bool /*pressured*/) {}
  virtual void on_task(const TaskRecord&) {}
  /// The run's workload features (RunOptions::features), once, before its plan.
  virtual void on_features(const std::map<std::string, double>& /*features*/) {}
};

/// How far a run has got (RunOptions::on_progress).
struct Progress {
  std::int64_t done = 0;              ///< items finished (delivered or failed), sampled included
  std::optional<std::int64_t> total;  ///< items in the source, when it knows
  std::int64_t failed = 0;
  double elapsed_seconds = 0;         ///< since the run began
  double items_per_second = 0;        ///< over the run so far
  std::optional<double> eta_seconds;  ///< left at that rate, when the total is known
};

/// What an error outside an item does (see RunOptions::on_error).
enum class OnError {
  end_run,  ///< every rank ends the run and `run` throws on every rank
  abort,    ///< the failing rank calls MPI_Abort on the communicator
};

struct RunOptions {
  PlanOptions plan;  ///< schedule, order, chunk bounds, memory threshold, ...
  /// Items measured before planning, run by rank 0 and, at the same time, in probe chunks on the
  /// worker ranks (1, 2, 4, ... items each; until the first item's memory is known, one rank
  /// per node): at least `sample_min_items`, then until `sample_budget_seconds` have passed and
  /// the mean item time is known to 8% (relative standard error), or `sample_max_items` are
  /// done. A mean still that uncertain after 10 budgets stops the sample, unless the source has
  /// a known size and the sample is under an eighth of it (and its results under 64 MiB): then
  /// it goes on. Every sampled result is delivered, none is run twice.
  int sample_min_items = 4;
  int sample_max_items = 1024;
  double sample_budget_seconds = 0.005;
  /// Sample items spread over the whole source rather than its first items, when the source
  /// knows its size and has at(index) (source::range, source::container of a random-access
  /// container, a task file): one item from each of up to sample_max_items strata, at a random
  /// place inside it, so that a trend or a period in the items does not mislead the plan.
  bool sample_spread = true;
  /// A known profile (e.g. amorsize::predict from the log): no sampling, the plan uses it.
  /// Its `items` is replaced by the source's size.
  std::optional<WorkloadProfile> profile;
  /// Why the profile was or was not taken from history; added to the plan's reasons.
  std::string profile_reason;
  /// What the workload is, as numbers: its sizes and parameters ({"atoms", 4000}, {"steps",
  /// 100}). Logged with the run (Recorder::on_features); amorsize::predict plans a workload
  /// the log has not seen from the earlier workloads with the nearest features.
  std::map<std::string, double> features;
  /// Items predicted to be long (e.g. by the per-task model, task_model.hpp), as candidates
  /// to start before the source's order: a long item that starts late sets the finish time.
  /// With a known `profile` and a source with `at(index)` (source::range, source::container of
  /// a random-access container, ...), the run starts first, longest first and one per chunk,
  /// each candidate that would otherwise finish late: one whose predicted end, starting when
  /// the source's order reaches it (work_before / workers), passes the predicted makespan
  /// max(predicted_work_seconds / workers, longest) by more than 2%. At most `max_first_items`
  /// (and, ordered, half the reorder window, which they hold until the order reaches them). The
  /// plan's reasons say which and why.
  struct HeavyItem {
    std::int64_t index = 0;  ///< in the source
    double seconds = 0;      ///< its predicted time
    double work_before = 0;  ///< predicted time of all the source's items before it
  };
  std::vector<HeavyItem> heavy_items;
  double predicted_work_seconds = 0;  ///< predicted time of all items (with heavy_items)
  std::int64_t max_first_items = 4096;
  /// The cluster's fitted message costs (from history), used instead of the defaults when set.
  std::optional<double> latency_seconds;
  std::optional<double> bandwidth_bytes_per_second;
  bool fail_fast = false;  ///< stop at the first failed item
  /// Polled by the coordinator: once it returns true the run drains (nothing new is sent,
  /// results of chunks in flight are still delivered) and the report says `drained`.
  std::function<bool()> stop_requested;
  /// Run serially on rank 0 when the plan says parallel does not pay.
  bool allow_serial = true;
  /// Groups ranks into this many simulated nodes (contiguous blocks of ranks); 0 = real nodes.
  int simulated_nodes = 0;
  /// Reads a node's memory; called on the workers' ranks (default: MemAvailable and cgroup).
  /// Receives the calling rank, so a test can put one node under pressure.
  std::function<MemorySample(int rank)> memory_probe;
  /// Memory pressure slows a run but never stops it. A node whose memory use passes
  /// plan.memory_threshold gets one chunk at a time until use falls 5 points below it; after
  /// `memory_warn_seconds` of unbroken pressure the run warns (the node, its reading, the
  /// threshold); after `memory_release_seconds` the node is released: holding work back has
  /// not brought its memory down, so it gets its full share again until its memory clears
  /// (infinity: never released).
  double memory_warn_seconds = 5;
  double memory_release_seconds = 30;
  /// Called on rank 0 every `progress_interval_seconds` while the run goes (between messages,
  /// on the coordinator's thread: keep it short). amorsize run and bench draw their progress
  /// bar or lines with it.
  std::function<void(const Progress&)> on_progress;
  double progress_interval_seconds = 0.5;
  /// Receives the run's warnings as they happen, on rank 0 (default: each is written to
  /// stderr after "amorsize: warning: "). RunReport::warnings has them too.
  std::function<void(const std::string&)> on_warning;
  Recorder* recorder = nullptr;  ///< observes the run on rank 0 (not owned)
  /// Every item's wall time goes to the recorder (Recorder::on_task: the log's tasks table,
  /// `item` its index), 8 bytes per item more in each result. What `amorsize bench
  /// --record-items` and a later run's heavy_items (predict_item_costs) learn from.
  bool record_items = false;
  /// An error outside an item (a sink or source that throws, a message or item that cannot be
  /// read, an MPI error) on any rank: with `end_run` every rank stops once its current chunk
  /// is done and `run` throws on every rank (see run.hpp); with `abort` the failing rank calls
  /// MPI_Abort on the communicator, ending every process in it.
  OnError on_error = OnError::end_run;
  /// On a Context: a later run of the same name plans from this one's measured profile,
  /// without sampling (no effect on a plain communicator).
  std::string name = "run";
};

struct RunReport {
  Plan plan;
  std::int64_t items = 0;      ///< items whose results reached the sink (or failed)
  std::int64_t delivered = 0;  ///< results handed to the sink
  std::int64_t chunks = 0;
  std::int64_t sampled = 0;  ///< items measured while sampling (on rank 0 and in probes)
  int ranks = 0;
  int cores = 0;  ///< physical cores of the allocation
  double makespan_seconds = 0;
  double plan_seconds = 0;     ///< topology, sampling and planning
  double compute_seconds = 0;  ///< sum of measured item times (wall)
  /// Sum of the items' work: the CPU time of the thread that ran each item, plus the CPU time
  /// it noted for its child processes (note_item_cpu; `amorsize run` notes each task's). A
  /// core shared with other work stretches an item's wall time but not its work.
  double work_seconds = 0;
  /// The run's longest item, its wall time scaled by its chunk's CPU share (work / wall, at
  /// most 1), so that sharing a core does not lengthen it either.
  double longest_item_seconds = 0;
  double lower_bound_seconds = 0;      ///< lower_bound_seconds(work, longest item, cores)
  double efficiency = 0;               ///< efficiency(lower bound, makespan)
  double coordinator_cpu_seconds = 0;  ///< CPU time of the coordinator's own thread
  std::int64_t returned_items = 0;     ///< items handed back unstarted by a chunk that ran long
  std::int64_t messages = 0;  ///< messages the coordinator sent and received (start-up excluded)
  std::vector<double> node_busy_seconds;
  /// Per node: how fast it got through items, measured from its chunks (the median time per
  /// item over its recent chunks), relative to the run's fastest node (1.0). Chunk sizes
  /// follow it as the run goes.
  std::vector<double> node_speeds;
  std::vector<Failure> failures;
  std::int64_t pressure_events = 0;      ///< times a node entered memory pressure
  std::vector<double> pressure_seconds;  ///< per node: time under memory pressure
  std::int64_t pressure_releases = 0;    ///< nodes released after memory_release_seconds
  std::vector<std::string> warnings;     ///< what the run warned of as it went
  /// The profile the run planned with, its mean item time replaced by the one measured.
  WorkloadProfile profile;
  bool stopped = false;  ///< the sink, fail_fast or a drain ended the run early
  bool drained = false;  ///< stop_requested ended it
};

/// The CPUs the calling item's worker is bound to (see PlanOptions::bind), empty when it is
/// not bound. An item that starts threads of its own (OpenMP, a BLAS) can size them by it;
/// `amorsize run` gives each task OMP_NUM_THREADS and OMP_PLACES from it.
std::vector<int> item_cpus();

/// The makespan no schedule can beat on `cores` cores: max(work / cores, longest item).
inline double lower_bound_seconds(double work_seconds, double longest_item_seconds, int cores) {
  return cores > 0 ? std::max(work_seconds / cores, longest_item_seconds) : longest_item_seconds;
}

/// amorsize's one efficiency: the lower bound over the makespan. A run that loses cores (two
/// workers bound to one core, say) does less work per second of makespan, and shows it.
inline double efficiency(double lower_bound_seconds, double makespan_seconds) {
  return makespan_seconds > 0 ? lower_bound_seconds / makespan_seconds : 0;
}

}  // namespace amorsize
