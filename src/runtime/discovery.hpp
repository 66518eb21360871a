#pragma once
// Start-up on every rank: which node each rank is on, each node's topology, and each node's
// clock offset and the message latency, measured by rank 0.
#include <vector>

#include "amorsize/plan.hpp"
#include "amorsize/run_types.hpp"
#include "amorsize/topology.hpp"
#include "mpi.hpp"

namespace amorsize::detail {

struct Layout {
  int leader = 0;                 // every rank: the lowest rank on its node
  std::vector<int> node_of_rank;  // rank 0: world rank -> node index (rank 0's node is 0)
  std::vector<int> node_leader;   // rank 0: node -> its lowest rank
  std::vector<NodeTopology> nodes;
  std::vector<int> ranks_on_node;
  /// Rank 0: nodes whose ranks may use fewer CPUs than the node has (the plan warns of them).
  std::vector<std::string> warnings;
  /// Rank 0: per rank, the CPUs it may use ("0-3,8"); empty where a node's cores are its ranks
  /// (simulated nodes, SMPI), so nothing is bound there.
  std::vector<std::string> allowed_cpus;
};

/// Collective: groups ranks into nodes (real ones, or `options.simulated_nodes` blocks) and
/// gathers each node's description on rank 0.
Layout discover(Transport& transport, const RunOptions& options);

struct Clocks {
  std::vector<double> offset;  // rank 0: per rank, seconds to subtract from its clock
  double latency = Cluster::kDefaultLatencySeconds;
};

/// Collective: rank 0 pings each node's lowest rank (rank 1 when there is one node) a few
/// times. The round trip with the smallest time gives that node's offset (its clock minus rank
/// 0's, at the midpoint) and the one-way latency (half the best round trip of all). One node
/// costs a few round trips, whatever its ranks. `one_machine`: simulated nodes share a clock.
Clocks measure_clocks(Transport& transport, const Layout& layout, bool one_machine);

}  // namespace amorsize::detail
