#pragma once
// The coordinator's view of each node's memory pressure, from readings its ranks send with
// results and status messages.
#include <cstdint>
#include <vector>

namespace amorsize::detail {

class NodePressure {
 public:
  explicit NodePressure(std::size_t nodes) : pressured_(nodes, false), read_at_(nodes, -1e300) {}

  /// A reading of `node`'s memory taken at `when` (the node's clock, the same for all its
  /// ranks). Readings can arrive out of order: a result sent before another rank's "cleared"
  /// may land after it, and must not put the node back under pressure, so an older reading than
  /// the latest is ignored. Returns true when the node's state changed.
  bool update(int node, bool pressured, double when);

  bool pressured(int node) const { return pressured_[std::size_t(node)]; }
  /// Times a node entered pressure.
  std::int64_t events() const { return events_; }

 private:
  std::vector<bool> pressured_;
  std::vector<double> read_at_;
  std::int64_t events_ = 0;
};

}  // namespace amorsize::detail
