#pragma once
/// \file plan.hpp
/// The planner: from what an item costs (WorkloadProfile) and what the allocation offers
/// (Cluster), decide how to run. Pure computation: no MPI, no I/O.
///
/// \code
///   amorsize::WorkloadProfile w;
///   w.item_seconds_mean = 200e-6;  w.item_seconds_cv = 1.0;  w.items = 50'000;
///   amorsize::Plan p = amorsize::plan(w, amorsize::Cluster{{amorsize::local_topology()}});
///   std::cout << p.explain();      // workers, chunk sizes, order, predicted speedup, why
///   if (p.serial) run_serially();
/// \endcode
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "amorsize/profile.hpp"
#include "amorsize/topology.hpp"

namespace amorsize {

/// How chunk sizes are chosen. `adaptive` is ours (the default); the others are the classic
/// dynamic loop schedules, kept as baselines.
enum class Schedule {
  adaptive,  ///< factoring-style taper bounded by a target chunk duration, adapted at run time
  fixed,     ///< every chunk has `fixed_chunk` items
  static_,   ///< one chunk per worker, items split evenly ("static")
  gss,       ///< guided self-scheduling: remaining / workers
  fac,       ///< factoring (FAC2): batches of one chunk per worker of remaining / (2 workers)
};
enum class Order { automatic, ordered, unordered };

/// Who feeds the workers. `flat`: the coordinator sends every chunk. `leaders`: on every node
/// but the coordinator's, one rank (the node leader) takes batches of chunks from the
/// coordinator and feeds the node's other ranks, so the coordinator handles one message per
/// node and batch instead of one per worker and chunk. `automatic` lets the plan choose.
enum class Hierarchy { automatic, flat, leaders };

std::string to_string(Schedule s);
std::string to_string(Order o);
std::string to_string(Hierarchy h);
/// Parses "auto"/"adaptive", "static", "gss", "fac" and "fixed:N" (sets `fixed_chunk`).
Schedule parse_schedule(const std::string& text, std::int64_t* fixed_chunk);
/// Parses "auto", "ordered" or "unordered".
Order parse_order(const std::string& text);
/// Parses "auto", "flat" or "leaders".
Hierarchy parse_hierarchy(const std::string& text);

/// How the runtime binds workers to CPUs, always inside each rank's allowed CPUs (its cgroup
/// cpuset and whatever the launcher bound it to). compact: workers take cores in order (NUMA
/// domains fill in order), hyperthreads last; spread: round robin over the NUMA domains; none:
/// the operating system places them.
enum class Bind { compact, spread, none };
std::string to_string(Bind b);
/// Parses "compact", "spread" or "none".
Bind parse_bind(const std::string& text);

/// Knobs of the planner. Every default is explained where it is set (src/plan.cpp).
struct PlanOptions {
  double target_chunk_duration_seconds = 0.2;  ///< Amorsize's rule: a chunk runs ~0.2 s
  std::int64_t min_chunk = 0;                  ///< 0 = derived from message overhead
  std::int64_t max_chunk = 0;                  ///< 0 = derived from the target duration
  Schedule schedule = Schedule::adaptive;
  std::int64_t fixed_chunk = 0;  ///< chunk size for Schedule::fixed
  Order order = Order::automatic;
  Hierarchy hierarchy = Hierarchy::automatic;
  Bind bind = Bind::compact;              ///< how the runtime binds workers to CPUs
  double memory_threshold = 0.8;          ///< backpressure when a node's memory use passes this
  double result_buffer_fraction = 0.1;    ///< share of memory for buffered results (reorder)
  double adaptation_rate = 0.3;           ///< weight of each measured chunk in the time estimate
  int inflight_per_worker = 0;            ///< chunks a worker holds; 0 = derived from latency
  double serial_speedup_threshold = 1.2;  ///< run serially below this predicted speedup
  double max_overhead_fraction = 0.05;    ///< per-chunk overhead allowed vs chunk compute
  /// Coordinator CPU time to handle one chunk (receive a request and results, send a chunk).
  /// Measured here: a Boost-serialized request + reply over shared memory costs ~2 us.
  double message_seconds = 2e-6;
  /// Upper bound on the workers of each node (e.g. the ranks launched there); missing or 0
  /// entries mean no bound beyond the node's cores and memory.
  std::vector<int> max_workers_per_node;

  /// Throws invalid_argument naming the first bad option and its value.
  void validate() const;
};

/// What one node does.
struct NodePlan {
  std::string name;
  int cores = 0;
  int workers = 0;                        ///< worker ranks/threads that run items
  std::uint64_t memory_budget_bytes = 0;  ///< memory_threshold x usable memory; 0 = unknown
  double chunk_weight = 1.0;              ///< chunk size multiplier (relative core speed)
  bool coordinator = false;               ///< hosts the coordinator (rank 0)
  bool leader = false;  ///< one rank leads the node (hierarchy "leaders"); not in `workers`
  /// Set by the runtime once ranks are placed (0 before): the ranks that run the node's
  /// workers, and how many of the workers are threads beside the ranks' MPI thread.
  int ranks = 0;
  int threads = 0;
  /// Set by the runtime when it binds: each worker's CPUs, workers separated by " | " (e.g.
  /// "0 | 1", or "0,1 | 2,3" with two CPUs an item); empty: not bound.
  std::string binding;
};

/// The decision, with the figures behind it.
struct Plan {
  int workers = 0;  ///< total, all nodes
  std::vector<NodePlan> nodes;
  bool coordinator_computes = true;  ///< the coordinator's rank also runs items
  Schedule schedule = Schedule::adaptive;
  std::int64_t chunk_size = 1;  ///< first chunk
  std::int64_t min_chunk = 1;
  std::int64_t max_chunk = 1;
  double taper_factor = 2;  ///< chunks never exceed remaining / (taper_factor x workers)
  double adaptation_rate = 0.3;
  double target_chunk_duration_seconds = 0.2;
  int inflight_per_worker = 2;
  std::int64_t reorder_window = 0;  ///< chunks buffered out of order at most (ordered mode)
  std::uint64_t result_buffer_bytes = 0;
  bool ordered = true;
  bool serial = false;  ///< parallel does not pay: run the items in one process
  std::optional<std::int64_t> items;
  double item_seconds_mean = 0;                      ///< the estimate the schedule starts from
  std::optional<double> predicted_makespan_seconds;  ///< empty for unbounded sources
  /// The 80% interval around it: the uncertainty of the mean item time (its CV over the square
  /// root of the items sampled; none from history) and the model's own error, combined.
  std::optional<double> predicted_makespan_low_seconds, predicted_makespan_high_seconds;
  double predicted_serial_seconds = 0;  ///< per item for unbounded sources
  double predicted_speedup = 1;
  double predicted_efficiency = 1;  ///< against max(work / cores, longest item)
  double predicted_chunks = 0;
  double coordinator_load = 0;  ///< fraction of a core the coordinator is predicted to use
  Hierarchy hierarchy = Hierarchy::flat;  ///< flat or leaders (never automatic)
  Bind bind = Bind::compact;              ///< how the runtime binds workers (PlanOptions::bind)
  int cpus_per_worker = 1;  ///< CPUs a worker is bound to: threads_per_item, rounded up
  std::vector<std::string> reasons;
  std::vector<std::string> warnings;

  /// A few plain sentences: what will happen and why.
  std::string explain() const;
};

/// Computes the plan. Throws invalid_argument for an invalid profile, cluster or option.
Plan plan(WorkloadProfile profile, const Cluster& cluster, const PlanOptions& options = {});

std::string to_json(const Plan& plan, int indent = 2);
Plan plan_from_json(const std::string& json);

}  // namespace amorsize
