// The platform under SimGrid's SMPI: a node is a simulated host. Its MPI_Comm_split_type does
// not synchronize (ranks that call it late see a smaller node), so ranks compare host names
// instead, and a node's cores are the ranks placed on it (the platform file decides). hwloc
// would describe the real machine, not the simulated one.
#ifndef AMORSIZE_SMPI
#error "platform_smpi.cpp is for the SimGrid SMPI build (bench/sim) only"
#endif
#include <map>

#include "mpi.hpp"
#include "platform.hpp"

namespace amorsize::detail::platform {

namespace {
// Simulated nodes have 256 GiB, all free: the real machine's memory is not theirs.
constexpr std::uint64_t kSimulatedNodeMemory = std::uint64_t(256) << 30;

std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check_mpi(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  return std::string(name, std::size_t(length));
}
}  // namespace

int node_leader(Transport& transport) {
  const std::vector<std::string> names = transport.gather(processor_name());
  std::vector<int> leaders(names.size());
  std::map<std::string, int> first;
  for (std::size_t r = 0; r < names.size(); ++r)
    leaders[r] = first.emplace(names[r], int(r)).first->second;
  return transport.scatter(leaders);
}

NodeTopology node_description() {
  NodeTopology node;
  node.name = processor_name();
  node.cores = node.pus = 1;  // rank 0 counts the ranks on the node
  node.memory_total_bytes = node.memory_available_bytes = kSimulatedNodeMemory;
  return node;
}

bool cores_are_ranks() {
  return true;
}

bool may_share_duplicate() {
  return false;
}

// Simulated hosts have no CPUs to bind to.
std::vector<int> thread_cpus() {
  return {};
}

bool set_thread_cpus(const std::vector<int>&) {
  return false;
}

std::string allowed_cpus() {
  return "";
}  // a simulated host's cores are its ranks

bool threads_may_compute() {
  return false;
}

MemorySample default_memory_sample() {
  MemorySample s;
  s.total_bytes = s.available_bytes = kSimulatedNodeMemory;
  return s;
}

}  // namespace amorsize::detail::platform
