#pragma once
// How fast each node gets through items, measured from the run's own chunks: time per item
// over the node's recent chunks (at least the last second of its busy time), against the
// fastest node's. What a node's chunks take is what its chunk sizes must follow, whatever
// makes it slow: a slower core, a CPU quota, another job on its cores, slower I/O. No MPI.
#include <cstdint>
#include <deque>
#include <vector>

namespace amorsize::detail {

class NodeSpeeds {
 public:
  // A node is measured once this many of its chunks are in.
  static constexpr int kMinChunks = 3;
  // Its estimate spans at least this much of its recent busy time: a CPU quota throttles in
  // periods of 100 ms, so a short chunk may run unthrottled, and one chunk says little.
  static constexpr double kWindowSeconds = 1.0;
  // A chunk whose time per item is this many times the window's median held a heavy item: it
  // says nothing of the node's speed.
  static constexpr double kHeavy = 10.0;

  explicit NodeSpeeds(std::size_t nodes) : recent_(nodes), busy_(nodes, 0.0) {}

  /// A chunk of `items` that took `seconds` on one worker of `node`.
  void observe(int node, std::int64_t items, double seconds);

  bool measured(int node) const { return recent_[std::size_t(node)].size() >= kMinChunks; }
  /// Per node: its speed relative to the fastest measured node (1.0). A node not measured yet
  /// gets the median of the measured ones; with none measured, every node is 1.0.
  std::vector<double> speeds() const;

 private:
  struct Chunk {
    std::int64_t items;
    double seconds;
  };
  double item_seconds(std::size_t node) const;
  std::vector<std::deque<Chunk>> recent_;  // per node: its recent chunks
  std::vector<double> busy_;               // per node: the seconds in recent_
};

}  // namespace amorsize::detail
