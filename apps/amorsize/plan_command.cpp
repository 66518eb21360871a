// `amorsize plan`: prints the plan for a workload on a cluster, as text or JSON.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/plan.hpp"
#include "amorsize/topology.hpp"
#include "amorsize/workload.hpp"
#include "commands.hpp"
#include "synthetic.hpp"

namespace amorsize::app {

Command add_plan_command(CLI::App& parent) {
  struct Args {
    std::string profile, workload, schedule = "auto", order = "auto", hierarchy = "auto";
    std::vector<std::string> topologies;
    int nodes = 0;
    bool json = false;
    double target = 0.2, latency = Cluster::kDefaultLatencySeconds,
           bandwidth = Cluster::kDefaultBandwidthBytesPerSecond;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand(
      "plan",
      "Compute and explain the plan for a workload on an allocation, without running it.\n\n"
      "Examples:\n"
      "  amorsize plan --workload exp:mean=200us,n=50000\n"
      "  amorsize plan --profile job.json --topology synthetic:'node:2 package:2 core:32 pu:2' "
      "--nodes 64 --json\n");
  auto* source = cmd->add_option_group("workload", "what one item costs (exactly one)");
  source->add_option("--profile", args->profile,
                     "JSON file with item_seconds_mean, item_seconds_cv, items (null = "
                     "unbounded), bytes_in, bytes_out, mem_per_item_bytes, threads_per_item");
  source->add_option("--workload", args->workload,
                     "synthetic workload DIST:key=value,... sampled here; DIST in const, "
                     "uniform, exp, bimodal, pareto, linear; keys mean, min, max, alpha, p, n, "
                     "seed, out, mem (e.g. exp:mean=200us,n=50000)");
  source->require_option(1);
  cmd->add_option("--topology", args->topologies,
                  "node type: local, synthetic:STRING (hwloc, e.g. 'node:1 package:2 core:32 "
                  "pu:2') or xml:FILE (lstopo --of xml); repeat for several node types")
      ->default_str("local");
  cmd->add_option("--nodes", args->nodes, "replicate the last --topology N times")
      ->check(positive_whole());
  cmd->add_option("--schedule", args->schedule, "auto, static, gss, fac or fixed:N")
      ->capture_default_str();
  cmd->add_option("--order", args->order, "auto, ordered or unordered")->capture_default_str();
  add_hierarchy_option(cmd, args->hierarchy);
  cmd->add_option("--target-chunk-seconds", args->target,
                  "how long one chunk should run (Amorsize's rule)")
      ->capture_default_str()
      ->check(number_above(0, true, "a positive number of seconds"));
  cmd->add_option("--latency", args->latency, "one-way message latency in seconds")
      ->capture_default_str()
      ->check(number_above(0, false, "a number of seconds >= 0"));
  cmd->add_option("--bandwidth", args->bandwidth, "bytes per second between nodes")
      ->capture_default_str()
      ->check(number_above(0, true, "a positive number of bytes per second"));
  cmd->add_flag("--json", args->json, "print the plan as JSON");

  return [args]() {
    PlanOptions options;
    options.schedule = for_option(
        "--schedule", [&] { return parse_schedule(args->schedule, &options.fixed_chunk); });
    options.order = for_option("--order", [&] { return parse_order(args->order); });
    options.hierarchy = for_option("--hierarchy", [&] { return parse_hierarchy(args->hierarchy); });
    options.target_chunk_duration_seconds = args->target;

    Cluster cluster;
    cluster.latency_seconds = args->latency;
    cluster.bandwidth_bytes_per_second = args->bandwidth;
    std::vector<std::string> specs = args->topologies;
    if (specs.empty()) specs.push_back("local");
    for (const auto& spec : specs)
      cluster.nodes.push_back(for_option("--topology", [&] { return topology_from_spec(spec); }));
    if (args->nodes > 1) {
      const NodeTopology last = cluster.nodes.back();
      for (int i = 1; i < args->nodes; ++i) cluster.nodes.push_back(last);
    }

    WorkloadProfile profile =
        args->profile.empty() ? sample_synthetic(for_option(
                                    "--workload", [&] { return parse_workload(args->workload); }))
                              : load_profile(args->profile);
    const Plan p = plan(profile, cluster, options);
    if (args->json)
      std::cout << to_json(p) << "\n";
    else
      std::cout << p.explain();
    return 0;
  };
}

}  // namespace amorsize::app
