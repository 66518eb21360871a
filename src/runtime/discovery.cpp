#include "discovery.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "binding.hpp"
#include "clock.hpp"
#include "platform.hpp"

namespace amorsize::detail {

namespace {

// A node's ranks may be bound to fewer CPUs than the node has (mpirun binds each rank to a core
// at -np <= 2, srun gives a task one CPU without --cpus-per-task): plan for the CPUs they may
// use, and say so.
void limit_to_allowed_cpus(Layout& layout, const std::vector<std::string>& cpus) {
  std::vector<std::set<int>> allowed(layout.nodes.size());
  for (std::size_t r = 0; r < cpus.size(); ++r) {
    const std::set<int> mine = cpu_set(cpus[r]);
    if (mine.empty()) return;  // unknown somewhere: trust the node's description
    allowed[std::size_t(layout.node_of_rank[r])].insert(mine.begin(), mine.end());
  }
  for (std::size_t n = 0; n < layout.nodes.size(); ++n) {
    auto& node = layout.nodes[n];
    const int pus = int(allowed[n].size());
    if (pus == 0 || pus >= node.pus) continue;
    const int cores = std::max(1, pus * node.cores / std::max(node.pus, 1));
    layout.warnings.push_back(
        "the ranks on " + node.name + " may use " + std::to_string(pus) + " of its " +
        std::to_string(node.pus) + " CPUs, so it is planned with " + std::to_string(cores) +
        " core" + (cores == 1 ? "" : "s") +
        ": to use them all, launch with mpirun --bind-to none (or one rank per core), or give "
        "srun --cpus-per-task or --exclusive");
    node.cores = cores;
    node.pus = pus;
  }
}

}  // namespace

Layout discover(Transport& transport, const RunOptions& options) {
  const int rank = transport.rank();
  const int size = transport.size();
  Layout layout;
  if (options.simulated_nodes > 0) {
    const int n = std::min(options.simulated_nodes, size);
    const int node = int(std::int64_t(rank) * n / size);
    layout.leader = int((std::int64_t(node) * size + n - 1) / n);
  } else {
    layout.leader = platform::node_leader(transport);
  }
  const std::vector<int> leaders = transport.gather(layout.leader);
  const std::vector<std::string> descriptions =
      transport.gather(layout.leader == rank ? to_json(platform::node_description()) : "");
  const std::vector<std::string> cpus = transport.gather(platform::allowed_cpus());
  if (rank != 0) return layout;
  std::map<int, int> node_index;  // leader rank -> node
  layout.node_of_rank.resize(std::size_t(size));
  for (int r = 0; r < size; ++r) {
    auto it = node_index.find(leaders[r]);
    if (it == node_index.end()) {
      it = node_index.emplace(leaders[r], int(layout.nodes.size())).first;
      layout.nodes.push_back(node_topology_from_json(descriptions[std::size_t(leaders[r])]));
      layout.node_leader.push_back(leaders[r]);
      layout.ranks_on_node.push_back(0);
    }
    layout.node_of_rank[r] = it->second;
    layout.ranks_on_node[it->second] += 1;
  }
  if (options.simulated_nodes > 0) {
    // Simulated nodes share one machine; each has a core per rank placed on it, as a job
    // launched with one rank per core would (the ranks share the real cores).
    for (std::size_t n = 0; n < layout.nodes.size(); ++n) {
      auto& node = layout.nodes[n];
      node.cores = node.pus = layout.ranks_on_node[n];
      node.name += "/sim" + std::to_string(n);
    }
  } else if (platform::cores_are_ranks()) {
    for (std::size_t n = 0; n < layout.nodes.size(); ++n)
      layout.nodes[n].cores = layout.nodes[n].pus = layout.ranks_on_node[n];
  } else {
    limit_to_allowed_cpus(layout, cpus);
    layout.allowed_cpus = cpus;
  }
  return layout;
}

namespace {

constexpr int kRoundTrips = 4;

struct RoundTrip {
  double sent, remote, back;  // rank 0's clock, the peer's, rank 0's
};

RoundTrip ping(Transport& transport, int peer) {
  RoundTrip t{};
  t.sent = node_clock_seconds();
  transport.send_value(peer, wire::Tag::kPing, t.sent);
  t.remote = transport.receive_value(peer, wire::Tag::kPing);
  t.back = node_clock_seconds();
  return t;
}

}  // namespace

Clocks measure_clocks(Transport& transport, const Layout& layout, bool one_machine) {
  const int rank = transport.rank();
  const int size = transport.size();
  Clocks clocks;
  const int nodes = transport.broadcast(rank == 0 ? int(layout.nodes.size()) : 0);
  if (rank == 0) {
    std::vector<double> node_offset(layout.nodes.size(), 0.0);
    double best_overall = 1e9;
    for (std::size_t n = 1; n < layout.nodes.size(); ++n) {
      double best = 1e9;
      for (int i = 0; i < kRoundTrips; ++i) {
        const RoundTrip t = ping(transport, layout.node_leader[n]);
        if (t.back - t.sent < best) {
          best = t.back - t.sent;
          // Simulated nodes share one machine, and so one clock.
          node_offset[n] = one_machine ? 0.0 : t.remote - (t.sent + t.back) / 2;
        }
      }
      best_overall = std::min(best_overall, best);
    }
    // One node: the latency between its ranks (shared memory), from rank 1.
    if (layout.nodes.size() == 1 && size > 1) {
      for (int i = 0; i < kRoundTrips; ++i) {
        const RoundTrip t = ping(transport, 1);
        best_overall = std::min(best_overall, t.back - t.sent);
      }
    }
    if (size > 1) clocks.latency = best_overall / 2;
    clocks.offset.resize(std::size_t(size));
    for (int r = 0; r < size; ++r) clocks.offset[r] = node_offset[layout.node_of_rank[r]];
  } else if (nodes == 1 ? rank == 1 : rank == layout.leader) {
    for (int i = 0; i < kRoundTrips; ++i) {
      (void)transport.receive_value(0, wire::Tag::kPing);
      transport.send_value(0, wire::Tag::kPing, node_clock_seconds());
    }
  }
  return clocks;
}

}  // namespace amorsize::detail
