#pragma once
// Memory pressure on a worker's node: the injectable probe, read at most once a millisecond,
// with hysteresis so a node does not flap around the threshold.
#include <chrono>
#include <optional>
#include <string>

#include "../memory_sources.hpp"
#include "amorsize/run_types.hpp"

namespace amorsize::detail {

double node_clock_seconds();

/// MemAvailable of the machine, or the cgroup's headroom when that is smaller.
inline MemorySample default_memory_sample() {
  MemorySample s;
#ifdef AMORSIZE_SMPI
  // Simulated nodes have 256 GiB, all free: the real machine's memory is not theirs.
  s.total_bytes = s.available_bytes = std::uint64_t(256) << 30;
  return s;
#endif
  s.total_bytes = read_meminfo_bytes("/proc/meminfo", "MemTotal").value_or(0);
  s.available_bytes = read_meminfo_bytes("/proc/meminfo", "MemAvailable").value_or(s.total_bytes);
  if (const auto limit = read_cgroup_limit("/proc/self/cgroup", "/sys/fs/cgroup")) {
    const auto usage = read_cgroup_usage("/proc/self/cgroup", "/sys/fs/cgroup").value_or(0);
    const std::uint64_t headroom = usage < *limit ? *limit - usage : 0;
    if (*limit < s.total_bytes || s.total_bytes == 0) {
      s.total_bytes = *limit;
      s.available_bytes = std::min(s.available_bytes, headroom);
    }
  }
  return s;
}

class MemoryWatch {
 public:
  // Pressure ends only when use falls this far below the threshold.
  static constexpr double kHysteresis = 0.05;
  static constexpr std::chrono::microseconds kInterval{1000};

  MemoryWatch(const RunOptions& options, int rank)
      : probe_(options.memory_probe), threshold_(options.plan.memory_threshold), rank_(rank) {}

  /// Whether the node is under pressure, and when (node clock) memory was last read: readings
  /// are cached for kInterval, so the time of the reading, not of the question, orders them.
  struct Reading {
    bool pressured = false;
    double when = 0;
  };

  Reading read() {
    const auto t = std::chrono::steady_clock::now();
    if (t - last_ < kInterval) return reading_;
    last_ = t;
    reading_.when = node_clock_seconds();
    const MemorySample s = probe_ ? probe_(rank_) : default_memory_sample();
    if (s.total_bytes == 0) {
      reading_.pressured = false;
      return reading_;
    }
    const double used = 1.0 - double(s.available_bytes) / double(s.total_bytes);
    reading_.pressured = reading_.pressured ? used > threshold_ - kHysteresis : used > threshold_;
    return reading_;
  }

 private:
  std::function<MemorySample(int)> probe_;
  double threshold_;
  int rank_;
  Reading reading_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace amorsize::detail
