#pragma once
// Memory pressure on a rank's node: the injectable probe, read at most once an interval, with
// hysteresis so a node does not flap around the threshold.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "amorsize/run_types.hpp"
#include "clock.hpp"
#include "platform.hpp"

namespace amorsize::detail {

class MemoryWatch {
 public:
  // Pressure ends only when use falls this far below the threshold.
  static constexpr double kHysteresis = 0.05;
  static constexpr std::chrono::microseconds kInterval{1000};

  /// `interval`: how long a reading is reused (the coordinator, which reads between messages
  /// rather than after chunks, reads less often).
  MemoryWatch(const RunOptions& options, int rank, std::chrono::microseconds interval = kInterval)
      : probe_(options.memory_probe),
        threshold_(options.plan.memory_threshold),
        rank_(rank),
        interval_(interval) {}

  /// Whether the node is under pressure, and when (node clock) memory was last read: readings
  /// are cached for kInterval, so the time of the reading, not of the question, orders them.
  struct Reading {
    bool pressured = false;
    double when = 0;
    double used = 0;  // the fraction of the node's memory in use (0 when unknown)
  };

  Reading read() {
    const auto t = std::chrono::steady_clock::now();
    if (t - last_ < interval_) return reading_;
    last_ = t;
    reading_.when = node_clock_seconds();
    const MemorySample s = probe_ ? probe_(rank_) : platform::default_memory_sample();
    if (s.total_bytes == 0) {
      reading_.pressured = false;
      reading_.used = 0;
      return reading_;
    }
    const double used = 1.0 - double(s.available_bytes) / double(s.total_bytes);
    reading_.used = used;
    reading_.pressured = reading_.pressured ? used > threshold_ - kHysteresis : used > threshold_;
    return reading_;
  }

  /// What this rank last told its boss (with a result) of the node's memory.
  void reported(bool pressured) { reported_pressured_ = pressured; }
  bool reported_pressured() const { return reported_pressured_; }
  /// While idle: the reading that found reported pressure cleared, once (the boss is to be
  /// told, with a kStatus); nothing otherwise.
  std::optional<Reading> cleared() {
    if (!reported_pressured_) return std::nullopt;
    const Reading r = read();
    if (r.pressured) return std::nullopt;
    reported_pressured_ = false;
    return r;
  }

 private:
  std::function<MemorySample(int)> probe_;
  double threshold_;
  int rank_;
  std::chrono::microseconds interval_;
  Reading reading_;
  std::chrono::steady_clock::time_point last_{};
  bool reported_pressured_ = false;
};

}  // namespace amorsize::detail
