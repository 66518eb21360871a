#pragma once
/// \file profile.hpp
/// What one work item costs: time, bytes, memory and threads. Read from JSON, measured by
/// sampling a callable, or predicted from the history of earlier runs.
///
/// \code
///   std::vector<double> xs = load_inputs();
///   auto s = amorsize::sample([](double x) { return simulate(x); }, xs, 16);
///   // s.profile describes the workload; s.results holds the 16 results, ready for the sink.
/// \endcode
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace amorsize {

struct WorkloadProfile {
  double item_seconds_mean = 0;  ///< mean compute time of one item
  double item_seconds_cv = 0;    ///< coefficient of variation (stddev / mean)
  double item_seconds_p50 = 0;
  double item_seconds_p95 = 0;
  double item_seconds_max = 0;
  std::optional<std::int64_t> items;  ///< number of items; empty = unknown or unbounded
  double bytes_in = 0;                ///< bytes sent to a worker per item
  double bytes_out = 0;               ///< bytes of one result
  double serialize_seconds = 0;       ///< packing + unpacking one item and its result
  double mem_per_item_bytes = 0;      ///< peak extra memory while one item runs
  double threads_per_item = 1;        ///< cores one item keeps busy (nested parallelism)
  int sample_count = 0;               ///< items measured (0 when given, not sampled)
  /// Relative standard error of item_seconds_mean, from the sample (0: not known; the planner
  /// then takes CV / sqrt(sample_count)). A sample spread over the source measures it from the
  /// differences of neighbouring items, so a trend does not count as noise.
  double item_seconds_mean_error = 0;
  std::string source = "given";  ///< "given", "json", "sampled" or "predicted"

  /// Fills the statistics that were left out (p50/p95/max from mean and CV) and throws
  /// invalid_argument naming the first bad field (negative time, CV < 0, threads < 1, ...).
  void validate_and_complete();
};

/// Reads the JSON keys item_seconds_mean, item_seconds_cv, items (null = unbounded), bytes_in,
/// bytes_out, mem_per_item_bytes, threads_per_item (plus the optional p50/p95/max,
/// serialize_seconds). Unknown keys are an error: a typo must not pass silently.
WorkloadProfile profile_from_json(const std::string& json);
WorkloadProfile load_profile(const std::string& path);
std::string to_json(const WorkloadProfile& profile);

/// Summary statistics of measured item times, the building block of sampling.
struct TimingStats {
  double mean = 0, cv = 0, p50 = 0, p95 = 0, max = 0;
};
TimingStats summarize(std::vector<double> seconds);

/// What sampling measured, gathered item by item (on any rank), then turned into a profile.
struct SampleTotals {
  std::vector<double> seconds;        ///< one entry per item
  std::vector<std::int64_t> indices;  ///< each item's index in the source, when `spread`
  bool spread = false;                ///< the items were drawn one per stratum of the source
  double bytes_in = 0, bytes_out = 0;
  double cpu_seconds = 0;     ///< CPU time of the processes while the items ran (all threads)
  double wall_seconds = 0;    ///< wall time of the same intervals
  double mem_peak_bytes = 0;  ///< largest growth of a resident set while an item ran

  /// Fills the measured fields of `p`: time statistics, bytes per item, memory, and threads
  /// per item (CPU per wall time, counted only over at least `min_wall_for_threads` seconds:
  /// CPU clocks tick coarsely, and a few short items would read as many threads).
  void fill(WorkloadProfile& p, double min_wall_for_threads = 0) const;
  /// The relative standard error of the items' mean (see WorkloadProfile::
  /// item_seconds_mean_error); 0 with fewer than 2 items.
  double mean_error() const;
};

/// Bytes a value occupies on the wire. Overload for your own types (found by ADL) when the
/// default is wrong; the runtime measures the serialized size anyway.
template <class T>
double byte_size(const T& value) {
  if constexpr (std::is_arithmetic_v<T> || std::is_trivially_copyable_v<T>) {
    return static_cast<double>(sizeof(value));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return static_cast<double>(value.size());
  } else {
    double total = 0;
    for (const auto& element : value) total += byte_size(element);
    return total;
  }
}

/// Tells amorsize how much memory the item running on this thread used outside this
/// process's resident set, e.g. the peak of a child process it ran (`amorsize run` notes each
/// task's). Sampling counts the larger of this and the growth of the resident set, so the plan
/// caps workers per node by it.
void note_item_memory(std::uint64_t bytes);

/// Tells amorsize how much CPU time the item running on this thread used outside this thread,
/// e.g. the child processes it ran (`amorsize run` notes each task's, from wait4) or threads
/// it started. The run's efficiency counts an item's work as the CPU time of its thread plus
/// what it notes (see RunReport::work_seconds).
void note_item_cpu(double seconds);

namespace detail {
/// CPU seconds noted by note_item_cpu() on this thread since the last call; resets it to 0.
double take_noted_item_cpu();
/// CPU seconds used by this process (all threads) so far.
double process_cpu_seconds();
/// Resident set size of this process now, in bytes (0 when unknown).
std::uint64_t resident_bytes();
/// The most noted by note_item_memory() on this thread since the last call; resets it to 0.
std::uint64_t take_noted_item_memory();
/// Before an item: clears what was noted and returns the resident set to measure from.
inline std::uint64_t item_memory_start() {
  take_noted_item_memory();
  return resident_bytes();
}
/// After it: the memory it used, the growth of the resident set since `start` or what it
/// noted using outside the process, whichever is larger.
inline std::uint64_t item_memory_since(std::uint64_t start) {
  const std::uint64_t now = resident_bytes();
  return std::max(now > start ? now - start : 0, take_noted_item_memory());
}

template <class R, class = void>
struct has_size : std::false_type {};
template <class R>
struct has_size<R, std::void_t<decltype(std::size(std::declval<const R&>()))>> : std::true_type {};
}  // namespace detail

/// A profile measured on real items, with the results computed while measuring.
template <class Result>
struct Sampled {
  WorkloadProfile profile;
  std::vector<Result> results;  ///< results of the sampled items, in item order
};

/// Runs `fn` on the first `n` of `items` and measures it. Nested threads show as CPU time per
/// wall time; memory as growth of the resident set.
template <class Fn, class Range>
auto sample(Fn&& fn, const Range& items, std::size_t n) {
  using Item = std::decay_t<decltype(*std::begin(items))>;
  using Result = std::decay_t<std::invoke_result_t<Fn&, const Item&>>;
  Sampled<Result> out;
  SampleTotals totals;
  std::size_t count = 0;
  for (auto it = std::begin(items); it != std::end(items) && count < n; ++it, ++count) {
    const std::uint64_t memory_start = detail::item_memory_start();
    const double cpu_before = detail::process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    Result r = fn(*it);
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    totals.cpu_seconds += detail::process_cpu_seconds() - cpu_before;
    totals.wall_seconds += dt;
    totals.mem_peak_bytes =
        std::max(totals.mem_peak_bytes, double(detail::item_memory_since(memory_start)));
    totals.seconds.push_back(dt);
    totals.bytes_in += byte_size(*it);
    totals.bytes_out += byte_size(r);
    out.results.push_back(std::move(r));
  }
  totals.fill(out.profile);
  if constexpr (detail::has_size<Range>::value)
    out.profile.items = static_cast<std::int64_t>(std::size(items));
  return out;
}

}  // namespace amorsize
