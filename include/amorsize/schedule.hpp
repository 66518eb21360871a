#pragma once
/// \file schedule.hpp
/// Chunk sizes at run time: the plan's schedule, applied to what remains and adapted to the
/// chunk times measured so far. Pure logic, shared by the runtime, the planner's prediction
/// and the simulator.
///
/// \code
///   amorsize::ChunkSchedule s(plan);
///   auto n = s.next(remaining);           // size of the next chunk to hand out
///   s.observe(n, measured_seconds);       // adapt the item-time estimate
/// \endcode
#include <cstdint>
#include <optional>

#include "amorsize/plan.hpp"

namespace amorsize {

class ChunkSchedule {
 public:
  explicit ChunkSchedule(const Plan& plan);

  /// Size of the next chunk, given the items not yet handed out (empty = unbounded) and the
  /// speed weight of the node that asks. Never more than `remaining`, never less than 1.
  std::int64_t next(std::optional<std::int64_t> remaining, double weight = 1.0);

  /// Feeds back the compute time of a finished chunk of `items` items.
  void observe(std::int64_t items, double seconds);

  /// The current estimate of one item's compute time.
  double item_seconds() const { return item_seconds_; }

 private:
  std::int64_t target_size() const;

  const Plan& plan_;
  double item_seconds_;
  std::int64_t first_total_ = -1;  // items when the first chunk was cut (static schedule)
  std::int64_t batch_left_ = 0;    // factoring: chunks left in the current batch
  std::int64_t batch_size_ = 0;    // factoring: size of the chunks of the current batch
};

}  // namespace amorsize
