#pragma once
// The type-erased core of amorsize::run: the MPI protocol works on byte buffers through a
// Codec, so it is compiled once (plain MPI C API, also with SimGrid's smpicxx) and the typed
// layer in run.hpp only packs and unpacks.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "amorsize/run_types.hpp"

namespace amorsize::detail {

class Codec {
 public:
  virtual ~Codec() = default;
  /// Coordinator: appends up to `max_items` serialized items of the source to `out` and returns
  /// how many it appended; fewer than asked means the source is exhausted.
  virtual std::int64_t pull(std::int64_t max_items, std::vector<char>& out) = 0;
  /// Items in the source when known (counted from the start, sampled items included).
  virtual std::optional<std::int64_t> size() const = 0;
  /// Worker: runs items first..first+count-1, serialized in `in`; appends the results of the
  /// items that succeeded to `out`, records the others in `failures`; when `item_seconds` is
  /// given, pushes each item's compute time. Before each item but the first, `go_on` (when
  /// given) may end the chunk early. Returns the items run; `*consumed` (when given) gets the
  /// bytes of `in` they took. Called concurrently from several threads on the coordinator's
  /// rank.
  virtual std::int64_t execute(std::int64_t first, std::int64_t count, const char* in,
                               std::size_t size, std::vector<char>& out,
                               std::vector<Failure>& failures, std::vector<double>* item_seconds,
                               const std::function<bool()>* go_on = nullptr,
                               std::size_t* consumed = nullptr) = 0;
  /// Bytes the first `n` items serialized in `in` take (to split a chunk handed back).
  virtual std::size_t item_bytes(const char* in, std::size_t size, std::int64_t n) const = 0;
  /// Coordinator: hands the results of items first..first+count-1 (failed ones absent) to the
  /// sink, in index order. Returns false when the sink asks to stop.
  virtual bool deliver(std::int64_t first, std::int64_t count, const char* data, std::size_t size,
                       const std::vector<Failure>& failures) = 0;
};

/// Runs the protocol on every rank of `comm`; the report is complete on rank 0 only.
RunReport run_engine(MPI_Comm comm, Codec& codec, const RunOptions& options);

}  // namespace amorsize::detail
