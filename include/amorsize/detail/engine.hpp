#pragma once
// The type-erased core of amorsize::run: the MPI protocol works on byte buffers through a
// Codec, so it is compiled once (plain MPI C API, also with SimGrid's smpicxx) and the typed
// layer in run.hpp only packs and unpacks.
#include <mpi.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "amorsize/context.hpp"
#include "amorsize/run_types.hpp"

namespace amorsize::detail {

/// What Codec::execute runs.
struct ExecuteIn {
  std::int64_t first = 0;  ///< index of the first item
  std::int64_t count = 0;  ///< items serialized in `items`
  const char* items = nullptr;
  std::size_t size = 0;  ///< bytes of `items`
  /// > 0: stop, before the next item, after an item that alone ran longer than this.
  double stop_after_item_seconds = 0;
  bool time_each_item = false;  ///< fill ExecuteOut::item_seconds
};

/// What Codec::execute did.
struct ExecuteOut {
  std::vector<char> results;         ///< of the items that succeeded, in order
  std::vector<Failure> failures;     ///< the items that threw
  std::vector<double> item_seconds;  ///< each item's wall time (with `time_each_item`)
  std::int64_t ran = 0;              ///< items run (fewer than `count` after a stop)
  std::size_t consumed = 0;          ///< bytes of `items` the items run took
  double longest_item_seconds = 0;   ///< wall time of the longest item run
};

class Codec {
 public:
  virtual ~Codec() = default;
  /// Coordinator: appends up to `max_items` serialized items of the source to `out` and returns
  /// how many it appended; fewer than asked means the source is exhausted.
  virtual std::int64_t pull(std::int64_t max_items, std::vector<char>& out) = 0;
  /// Items in the source when known (counted from the start, sampled items included).
  virtual std::optional<std::int64_t> size() const = 0;
  /// Worker: runs the items of `in`, appending to `out`. An item that throws is a failure; an
  /// item that cannot be unpacked throws out of execute. Called concurrently from several
  /// threads on the coordinator's rank.
  virtual void execute(const ExecuteIn& in, ExecuteOut& out) = 0;
  /// Bytes the first `n` items serialized in `in` take (to split a chunk handed back).
  virtual std::size_t item_bytes(const char* in, std::size_t size, std::int64_t n) const = 0;
  /// Coordinator: hands the results of items first..first+count-1 (failed ones absent) to the
  /// sink, in index order. Returns false when the sink asks to stop.
  virtual bool deliver(std::int64_t first, std::int64_t count, const char* data, std::size_t size,
                       const std::vector<Failure>& failures) = 0;

  // Items started first (RunOptions::heavy_items). The protocol numbers items by *position*,
  // the order pull() hands them out; these map positions back to the source's indices, which
  // the sink, the failures, the log and ordered delivery use.

  /// Coordinator, before anything is read in the source's order: hand out the items at these
  /// source indices next, in this order (those started first already stay; others named
  /// before and not handed out yet are dropped). False when the source cannot be read out of
  /// order (no at(), or no size) or has been read forward already.
  virtual bool start_first(const std::vector<std::int64_t>& /*indices*/) { return false; }
  /// The source index of the item at `position`.
  virtual std::int64_t source_index(std::int64_t position) const { return position; }
  /// How many positions from `position` on hold consecutive source indices (a chunk never
  /// spans more, so that it is one range of the source).
  virtual std::int64_t contiguous(std::int64_t /*position*/) const { return INT64_MAX; }
};

/// Runs the protocol on every rank of `comm`; the report is complete on rank 0 only.
RunReport run_engine(MPI_Comm comm, Codec& codec, const RunOptions& options);
/// The same on a context's communicator, layout and clocks.
RunReport run_engine(Context& context, Codec& codec, const RunOptions& options);

}  // namespace amorsize::detail
