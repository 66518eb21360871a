#pragma once
/// \file topology.hpp
/// What a node offers (cores, memory, caches) and what the cluster between nodes costs.
///
/// \code
///   amorsize::NodeTopology here = amorsize::local_topology();
///   amorsize::Cluster cluster{{here}};                       // one node, default message costs
///   auto big = amorsize::synthetic_topology("node:2 package:2 core:32 pu:2");
///   cluster = amorsize::Cluster::replicate(big, 64);         // 64 such nodes
/// \endcode
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace amorsize {

/// One node (a shared-memory machine). Memory figures are in bytes; 0 means unknown.
struct NodeTopology {
  std::string name;                          ///< hostname, or a description for synthetic nodes
  int cores = 1;                             ///< physical cores usable by this job
  int pus = 1;                               ///< hardware threads (PUs)
  int numa_domains = 1;                      ///< NUMA nodes
  std::uint64_t l3_bytes = 0;                ///< size of one L3 cache (0 when none or unknown)
  std::uint64_t memory_total_bytes = 0;      ///< what the machine has
  std::uint64_t memory_available_bytes = 0;  ///< what a new allocation can get now
  std::optional<std::uint64_t> cgroup_limit_bytes;  ///< the job's cgroup memory limit, if any
  std::optional<std::uint64_t> cgroup_usage_bytes;  ///< what the cgroup uses now, if known
  double speed = 1.0;  ///< relative speed of one core (1.0 = reference); measured by the runtime
  std::string source;  ///< "local", "synthetic:..." or "xml:..."
  std::vector<std::string> notes;  ///< disagreements found while reading (e.g. memory sources)
  /// The node's CPUs (OS indices) in the order workers are bound to them. Compact: one PU of
  /// each core, cores in hwloc's order (so NUMA domains fill in order), then each core's next
  /// PU (hyperthreads last). Spread: the same cores taken round robin over the NUMA domains.
  /// Empty when unknown (synthetic nodes without PUs, simulated nodes).
  std::vector<int> cpus_compact;
  std::vector<int> cpus_spread;

  /// Memory this job can use now: the smaller of what is available and the cgroup headroom
  /// (limit - usage; the limit alone when usage is unknown).
  std::uint64_t usable_memory_bytes() const;
};

/// The live machine, read with hwloc and cross-checked against /proc/meminfo and cgroups.
NodeTopology local_topology();

/// A node described by an hwloc synthetic string, e.g. "node:1 package:2 core:32 pu:2".
/// Memory comes from "(memory=...)" attributes in the string; without them it is unknown.
NodeTopology synthetic_topology(const std::string& description);

/// A node exported with `lstopo --of xml` (or hwloc_topology_export_xml).
NodeTopology xml_topology(const std::string& path);

/// Parses "local", "synthetic:STRING" or "xml:FILE".
NodeTopology topology_from_spec(const std::string& spec);

/// The machines of an allocation and the message costs between them.
struct Cluster {
  /// Defaults: a shared-memory hop (Open MPI's vader BTL measured here: ~0.5 us round trip
  /// for 8 bytes, ~2 us for a serialized request + reply) rounded up to cover a fast network.
  static constexpr double kDefaultLatencySeconds = 2e-6;
  /// A conservative figure for both shared memory and 100 Gb/s fabrics.
  static constexpr double kDefaultBandwidthBytesPerSecond = 5e9;

  std::vector<NodeTopology> nodes;
  double latency_seconds = kDefaultLatencySeconds;  ///< one-way small-message latency
  double bandwidth_bytes_per_second = kDefaultBandwidthBytesPerSecond;

  int total_cores() const;
  static Cluster replicate(const NodeTopology& node, int count);
  /// Throws invalid_argument when a figure is out of range (no nodes, negative latency, ...).
  void validate() const;
};

std::string to_json(const NodeTopology& node);
NodeTopology node_topology_from_json(const std::string& json);

}  // namespace amorsize
