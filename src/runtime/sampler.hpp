#pragma once
// Sampling before the plan. Rank 0 runs the first items itself (unless worker ranks already
// fill its node's cores) while every worker rank runs probe chunks that send back each item's
// time: one item, then twice as many each time. So no core waits for the plan, and the sample
// grows with the allocation. Items of unknown memory run one per node at first (plus rank 0's
// own there); the other ranks of a node join once measured items show that as many fit in its
// memory. No MPI: probes go out through an Outbox, results come in from the coordinator.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "amorsize/profile.hpp"
#include "amorsize/run_types.hpp"
#include "discovery.hpp"
#include "mpi.hpp"
#include "pressure.hpp"
#include "source_cursor.hpp"

namespace amorsize::detail {

class Sampler {
 public:
  /// `now`: the coordinator's clock; `stopped`: the run is stopping (no more probes).
  Sampler(const RunOptions& options, const Layout& layout, int size, SourceCursor& source,
          const NodePressure& pressure, Outbox& outbox, std::function<double()> now,
          std::function<bool()> stopped);

  /// Rank 0 runs sampled items too (its node has cores no worker rank takes).
  bool rank0_samples() const { return rank0_samples_; }
  /// The sample is complete: full, or the budget spent once every worker rank had a probe.
  bool enough() const;
  int probes_out() const { return probes_out_; }
  /// Items measured.
  std::int64_t done() const { return std::int64_t(totals_.seconds.size()); }
  /// Their mean time so far (0 before the first).
  double mean_item_seconds() const;

  /// Rank 0 samples through probes too (to its own thread pool), not run_local().
  void probe_rank0();
  /// Sends a probe to every worker rank that may take one now (and to rank 0, see above).
  void send_probes();
  /// Sends `rank` its next probe, if it may take one now. A rank may hold several, so that it
  /// runs the next while its result waits for rank 0 (busy with an item of its own).
  void send_probe(int rank);
  /// The sample may take another item now (it is not complete, and the items out do not
  /// already reach its size).
  bool has_room() const;
  /// A probe's result from `rank` (on `node`): its items' times.
  void on_probe(int rank, int node, const wire::Result& result);

  /// One item run by rank 0 itself.
  struct Item {
    wire::ResultHeader header;  // first = its index; its times and work
    std::vector<char> results;
    std::vector<Failure> failures;
  };
  /// Runs the source's next item on rank 0 (none when the source is exhausted).
  std::optional<Item> run_local();

  /// The profile the sample measured; `items` is left to the caller.
  void fill(WorkloadProfile& profile) const;
  /// The sample is drawn from the strata of the source, `strata` items at most, a power of two
  /// (RunOptions::sample_spread): it is then judged at each power of two.
  void set_spread(std::int64_t strata);

 private:
  bool may_grow() const;
  std::int64_t room() const;
  void raise_goal();
  void open_nodes();
  void add_item(std::int64_t index, int node, double seconds, double in, double out, double memory);

  const RunOptions& options_;
  const Layout& layout_;
  int size_;
  SourceCursor& source_;
  const NodePressure& pressure_;
  Outbox& outbox_;
  std::function<double()> now_;
  std::function<bool()> stopped_;
  double began_;
  bool rank0_samples_;
  SampleTotals totals_;
  std::vector<int> place_;  // a worker rank's place on its node
  std::vector<int> open_;   // ranks per node that may run probes
  struct Probe {
    std::int64_t items, bytes;
  };
  std::vector<std::deque<Probe>> probes_;  // out, per rank, oldest first
  std::vector<std::int64_t> next_count_;
  int probes_out_ = 0;
  std::int64_t items_out_ = 0;   // items of all the probes out
  int probed_ = 0;               // worker ranks sent a probe so far (their next_count is above 1)
  std::vector<int> cores_open_;  // per node: the worker ranks its cores let sample
  int probing_ranks_ = 0;        // their sum: the ranks the sample waits to have probed
  bool probe_rank0_ = false;
  std::int64_t strata_ = 0;  // of a spread sample (0: the source's first items)
  std::int64_t goal_ = 0;    // a spread sample's size for now: a power of two up to strata_
};

}  // namespace amorsize::detail
