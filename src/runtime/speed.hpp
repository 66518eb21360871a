#pragma once
// How fast each node gets through items, measured from the run's own chunks: the median time
// per item over a node's recent chunks, against the fastest node's. What a node's chunks take
// is what its chunk sizes must follow, whatever makes it slow: a slower core, a CPU quota,
// another job on its cores, slower I/O. No MPI.
#include <cstdint>
#include <vector>

namespace amorsize::detail {

class NodeSpeeds {
 public:
  // A node is measured once this many of its chunks are in; the median is over the last
  // kWindow of them, so one heavy item does not make a node look slow.
  static constexpr int kMinChunks = 3;
  static constexpr int kWindow = 31;

  explicit NodeSpeeds(std::size_t nodes) : recent_(nodes), next_(nodes, 0) {}

  /// A chunk of `items` that took `seconds` on one worker of `node`.
  void observe(int node, std::int64_t items, double seconds);

  bool measured(int node) const { return recent_[std::size_t(node)].size() >= kMinChunks; }
  /// Per node: its speed relative to the fastest measured node (1.0). A node not measured yet
  /// gets the median of the measured ones; with none measured, every node is 1.0.
  std::vector<double> speeds() const;

 private:
  double median_item_seconds(std::size_t node) const;
  std::vector<std::vector<double>> recent_;  // per node: seconds per item of recent chunks
  std::vector<std::size_t> next_;            // per node: the ring's next slot once full
};

}  // namespace amorsize::detail
