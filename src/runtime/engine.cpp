// The protocol's entry point: one coordinator (rank 0) and workers (the other ranks, plus
// threads of rank 0 when its node has cores to spare). Plain MPI C API, one thread making MPI
// calls per rank. The parts: mpi (the transport), wire (the messages), discovery, coordinator,
// worker, leader, local_pool, chunk_runner, and the MPI-free state the coordinator keeps
// (sampler, dispatcher, reorder, handback, pressure).
#include "amorsize/detail/engine.hpp"

#include <cmath>
#include <string>

#include "amorsize/error.hpp"
#include "clock.hpp"
#include "context_state.hpp"
#include "coordinator.hpp"
#include "discovery.hpp"
#include "mpi.hpp"
#include "platform.hpp"
#include "worker.hpp"

namespace amorsize::detail {

namespace {

void validate(const RunOptions& options) {
  options.plan.validate();
  const auto seconds = [](const char* name, double value) {
    if (std::isnan(value) || value < 0)
      throw invalid_argument(std::string("invalid option ") + name + " = " + std::to_string(value) +
                             " (expected seconds >= 0)");
  };
  seconds("memory_warn_seconds", options.memory_warn_seconds);
  seconds("memory_release_seconds", options.memory_release_seconds);
}

// A context's nodes as they are now: each node's lowest rank reads its memory again (the CPUs
// and caches found when the context was made do not change).
void refresh_memory(Transport& transport, Layout& layout) {
  const bool describes = layout.leader == transport.rank() && platform::cores_are_ranks() == false;
  const std::vector<std::string> fresh =
      transport.gather(describes ? to_json(platform::node_description()) : "");
  if (transport.rank() != 0) return;
  for (std::size_t n = 0; n < layout.nodes.size(); ++n) {
    const std::string& json = fresh[std::size_t(layout.node_leader[n])];
    if (json.empty()) continue;
    const NodeTopology now = node_topology_from_json(json);
    NodeTopology& node = layout.nodes[n];
    node.memory_total_bytes = now.memory_total_bytes;
    node.memory_available_bytes = now.memory_available_bytes;
    node.cgroup_limit_bytes = now.cgroup_limit_bytes;
    node.cgroup_usage_bytes = now.cgroup_usage_bytes;
  }
}

}  // namespace

RunReport run_engine(MPI_Comm comm, Codec& codec, const RunOptions& options) {
  validate(options);
  Transport transport(comm, platform::may_share_duplicate() ? Transport::kShared : Transport::kOwn);
  transport.barrier();
  const double start = node_clock_seconds();
  Layout layout = discover(transport, options);
  Clocks clocks = measure_clocks(transport, layout, options.simulated_nodes > 0);
  if (transport.rank() != 0) {
    run_worker(transport, codec, options);
    return {};
  }
  return Coordinator(transport, codec, options, std::move(layout), std::move(clocks), start).run();
}

RunReport run_engine(Context& context, Codec& codec, const RunOptions& options) {
  validate(options);
  ContextState& ctx = context.state();
  Transport& transport = ctx.transport;
  RunOptions o = options;
  if (transport.rank() == 0 && !o.profile) {
    const auto known = ctx.runs.find(o.name);
    if (known != ctx.runs.end()) {
      o.profile = known->second;
      o.profile_reason =
          "planned from the previous run of \"" + o.name + "\" on this context, without sampling";
    }
  }
  transport.barrier();
  const double start = node_clock_seconds();
  refresh_memory(transport, ctx.layout);
  if (transport.rank() != 0) {
    run_worker(transport, codec, o);
    return {};
  }
  RunReport report = Coordinator(transport, codec, o, ctx.layout, ctx.clocks, start).run();
  ctx.runs[o.name] = report.profile;
  return report;
}

}  // namespace amorsize::detail
