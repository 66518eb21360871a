#pragma once
// Clocks of the runtime. A node's ranks share CLOCK_MONOTONIC, which differs between nodes
// (discovery measures the offsets); under SimGrid the same calls return simulated time.
namespace amorsize::detail {

/// Seconds on this node's monotonic clock (the same for every rank of a node).
double node_clock_seconds();

/// CPU seconds of the calling thread.
double thread_cpu_seconds();

}  // namespace amorsize::detail
