#pragma once
// Measuring a synthetic workload in-process, as `amorsize plan --workload` does.
#include "amorsize/profile.hpp"
#include "amorsize/workload.hpp"

namespace amorsize::app {

/// Runs the first items of the workload (busy-waiting for their drawn durations) for about
/// `budget_seconds`, at least 8 and at most 256 items, and returns the measured profile.
WorkloadProfile sample_synthetic(const WorkloadSpec& spec, double budget_seconds = 0.05);

}  // namespace amorsize::app
