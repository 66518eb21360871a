#pragma once
// The coordinator's view of each node's memory pressure, from readings its ranks send with
// results and status messages (and its own, for rank 0's node), and the rule that keeps
// pressure from stopping a run: a pressured node is held to one chunk at a time; after
// `warn_after` seconds of unbroken pressure the run warns; after `release_after` seconds the
// node is released (it gets its full share again) until its memory clears.
#include <cstdint>
#include <limits>
#include <vector>

namespace amorsize::detail {

struct PressureRules {
  double warn_after = 5;
  double release_after = 30;  // infinity: never released
};

class NodePressure {
 public:
  explicit NodePressure(std::size_t nodes, PressureRules rules = {});

  /// A reading of `node`'s memory taken at `when` (the node's clock, the same for all its
  /// ranks), with `used` the fraction in use, arriving at `now` (the coordinator's clock).
  /// Readings can arrive out of order: a result sent before another rank's "cleared" may land
  /// after it, and must not put the node back under pressure, so an older reading than the
  /// latest is ignored. Returns true when the node's state changed.
  bool update(int node, bool pressured, double when, double used, double now);

  bool pressured(int node) const { return nodes_[std::size_t(node)].pressured; }
  /// Pressured and not released: the node may hold one chunk (or probe, or batch) at a time.
  bool held(int node) const {
    const Node& n = nodes_[std::size_t(node)];
    return n.pressured && !n.released;
  }

  /// What the rule says is due by `now`, each once per episode of pressure.
  struct Notice {
    enum class Kind { warn, release } kind;
    int node;
    double seconds;  // of unbroken pressure so far
    double used;     // the node's latest reading
  };
  std::vector<Notice> due(double now);

  /// Seconds `node` has spent under pressure by `now` (an episode still open counts to now).
  double seconds(int node, double now) const;
  /// Times a node entered pressure.
  std::int64_t events() const { return events_; }
  const PressureRules& rules() const { return rules_; }

 private:
  struct Node {
    bool pressured = false;
    bool warned = false;
    bool released = false;
    double read_at = -std::numeric_limits<double>::infinity();
    double since = 0;  // coordinator clock: when this episode began
    double total = 0;  // seconds in episodes that ended
    double used = 0;
  };
  PressureRules rules_;
  std::vector<Node> nodes_;
  std::int64_t events_ = 0;
  int open_ = 0;  // nodes under pressure now
};

}  // namespace amorsize::detail
