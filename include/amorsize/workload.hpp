#pragma once
/// \file workload.hpp
/// Synthetic workloads for planning, benchmarks and tests: `DIST:key=value,...`.
///
/// \code
///   auto w = amorsize::parse_workload("exp:mean=200us,n=50000,seed=7");
///   double t = w.item_seconds(42);   // the same on every rank, no shared state
///   amorsize::busy_wait(t);          // what `amorsize bench` runs per item
/// \endcode
///
/// DIST is one of
///   const    every item takes `mean`
///   uniform  uniform in [min, max]; with only `mean`, in [0, 2*mean]
///   exp      exponential with `mean`
///   bimodal  `min` with probability 1-p, `max` with probability p (default p=0.1); with only
///            `mean`, max = 10*min chosen so the mean is `mean`
///   pareto   Pareto with shape `alpha` (default 2.5) and mean `mean` (or scale `min`),
///            cut at `max` when given
///   linear   item time moving linearly with the index from `min` to `max` (falling when
///            min > max); with only `mean`, from 0 to 2*mean; needs `n`
/// Keys: mean, min, max, alpha, p (durations take ns, us, ms or s; a bare number is seconds),
/// n (items; absent = unbounded), seed, out (result bytes), mem (bytes per item; k/M/G
/// suffixes are powers of 1024).
#include <cstdint>
#include <optional>
#include <string>

namespace amorsize {

struct WorkloadSpec {
  enum class Distribution { constant, uniform, exponential, bimodal, pareto, linear };
  Distribution distribution = Distribution::constant;
  double mean_seconds = 0;
  double min_seconds = 0;
  double max_seconds = 0;
  double alpha = 2.5;
  double p = 0.1;
  std::optional<std::int64_t> items;
  std::uint64_t seed = 1;
  double out_bytes = 8;
  double mem_bytes = 0;
  std::string text;  ///< the specification as given (the workload's key)

  /// Duration of item `index`: a pure function of (seed, index), identical on every rank.
  double item_seconds(std::int64_t index) const;
  /// The distribution's mean, as drawn (for linear: over the n items).
  double expected_mean_seconds() const;
};

/// Parses a specification; throws invalid_argument naming the bad part.
WorkloadSpec parse_workload(const std::string& text);

/// Parses a duration such as "200us", "1.5ms", "2s" or "0.001" (seconds).
double parse_duration(const std::string& text);
/// Parses a byte count such as "4096", "64k", "1.5M", "2G" (powers of 1024).
double parse_bytes(const std::string& text);

/// Spins on the steady clock for `seconds`: a CPU-bound item that neither sleeps nor yields.
/// It takes `seconds` of wall time however little CPU it gets.
void busy_wait(double seconds);

/// A fixed amount of arithmetic: `units` steps of a dependent integer chain, which take longer
/// on a slower core and on a core the item gets only part of (a CPU quota, another process).
void cpu_work(std::uint64_t units);
/// Steps of cpu_work per second of the calling thread's CPU time, measured over about
/// `seconds` of it (so a core shared meanwhile does not bias it).
double cpu_work_rate(double seconds = 0.05);

/// A uniform draw in [0, 1) from a counter-based hash of (seed, index, stream).
double uniform01(std::uint64_t seed, std::uint64_t index, std::uint64_t stream = 0);

}  // namespace amorsize
