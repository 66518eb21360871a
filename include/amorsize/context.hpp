#pragma once
/// \file context.hpp
/// A context for code that runs loops again and again (a loop per time step): discovery, clock
/// offsets and latency are measured once, when the context is made, and every later `run` or
/// loop on it plans from the earlier calls of the same name, without sampling.
///
/// \code
///   amorsize::Context ctx(MPI_COMM_WORLD);            // collective, once
///   for (int step = 0; step < steps; ++step) {
///     amorsize::Loop loop(ctx, 0, n, {"update"});     // collective: every rank computes
///     std::int64_t lo, hi;
///     while (loop.next(lo, hi))
///       for (std::int64_t i = lo; i < hi; ++i) update(i);   // the caller's own arrays
///     amorsize::LoopStats stats = loop.end();         // collective
///   }
///   // ctx goes before MPI_Finalize
/// \endcode
///
/// Progress. Rank 0 computes too, so it answers the other ranks' requests for ranges between
/// its own ranges, which it keeps short (a sixteenth of its block, a quarter of a pool chunk)
/// so that no rank waits long; each rank asks for its next range as it starts the last piece
/// of the one it has, so the answer arrives while it computes. Only each rank's calling thread
/// makes MPI calls: MPI_THREAD_SINGLE, what a plain MPI_Init gives C and Fortran codes, is
/// enough. LoopStats::wait_seconds says how long a rank waited for its ranges.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "amorsize/run_types.hpp"

namespace amorsize {

namespace detail {
struct ContextState;
}

struct ContextOptions {
  /// Groups ranks into this many simulated nodes (contiguous blocks of ranks); 0 = real nodes.
  int simulated_nodes = 0;
};

/// Collective over `comm`: finds the nodes, measures clock offsets and latency, and keeps a
/// private duplicate of `comm` for its messages. Destroy it before MPI_Finalize: destroying
/// it after is an error that says so and aborts (its communicator can no longer be freed).
class Context {
 public:
  explicit Context(MPI_Comm comm, const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int rank() const;
  int size() const;
  /// Seconds the constructor took on this rank (discovery, clocks).
  double setup_seconds() const;
  detail::ContextState& state() { return *state_; }

 private:
  std::unique_ptr<detail::ContextState> state_;
};

struct LoopOptions {
  /// Calls of the same name on a context learn from each other (what each part of the range
  /// cost last time).
  std::string name = "loop";
  /// With a previous call to plan from: the share of the predicted work given out at begin as
  /// one block per rank, of equal predicted cost; the rest is handed out on demand.
  double static_fraction = 0.9;
  /// Rank 0: at end(), receives the nodes, a plan (the ranks as workers) and every range each
  /// rank ran, as chunks on rank 0's clock: an amorsize::TimingLog records the call in the
  /// HDF5 log like a run (then `log.finish(stats.report, "complete")`). Not owned.
  Recorder* recorder = nullptr;
};

/// What one call of a loop did.
struct LoopStats {
  std::int64_t items = 0;     ///< this rank's
  std::int64_t ranges = 0;    ///< ranges next() gave this rank
  double seconds = 0;         ///< this rank: from begin to end
  double wait_seconds = 0;    ///< this rank: time waiting in next() for a range
  bool from_history = false;  ///< the split came from the previous call of the loop
  /// Rank 0 only, for the whole loop: the sum over all ranks of the time spent in the
  /// caller's ranges, and the most any rank waited.
  double busy_seconds = 0;
  double max_wait_seconds = 0;
  /// Rank 0: the call as a run's report (items, ranges as chunks, makespan, the lower bound
  /// busy / ranks and the efficiency), for TimingLog::finish.
  RunReport report;
};

/// One call of a loop over [first, last): begin (the constructor, collective), next() until it
/// returns false, then end() (collective). Every rank of the context computes. A Loop left
/// without end() - an exception out of the caller's code between next() calls, say - aborts
/// the job with a message saying so: the other ranks would otherwise wait for it forever.
class Loop {
 public:
  Loop(Context& context, std::int64_t first, std::int64_t last, LoopOptions options = {});
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// This rank's next range [lo, hi): true, or false when the loop has none left for it.
  bool next(std::int64_t& lo, std::int64_t& hi);
  /// After next() returned false: the call's statistics (see LoopStats).
  LoopStats end();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace amorsize
