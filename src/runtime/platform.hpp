#pragma once
// What differs between real MPI and SimGrid's SMPI: how ranks find their node, what a node is,
// and how memory is read. CMake compiles exactly one of platform_mpi.cpp and
// platform_smpi.cpp, so no other runtime file needs to know which it is built for.
#include <string>
#include <vector>

#include "amorsize/run_types.hpp"
#include "amorsize/topology.hpp"

namespace amorsize::detail {
class Transport;
}  // namespace amorsize::detail

namespace amorsize::detail::platform {

/// The lowest rank on the calling rank's node (collective over the transport).
int node_leader(Transport& transport);

/// The calling rank's node, as its leader describes it.
NodeTopology node_description();

/// True where a node's cores are the ranks placed on it (a simulated node has no hwloc).
bool cores_are_ranks();

/// True where runs on a communicator may share one duplicate of it, kept as its attribute.
/// Not under SMPI, whose simulated ranks share the library's static state.
bool may_share_duplicate();

/// True where threads may run items. Under SMPI a thread must not call into the simulator,
/// so rank 0 runs no worker threads there.
bool threads_may_compute();

/// The CPUs the calling rank may run on (its affinity: the launcher's binding and the cgroup
/// cpuset), as a list like "0-3,8"; empty where unknown.
std::string allowed_cpus();

/// The CPUs the calling thread may run on (empty where unknown), and binding it to `cpus`
/// (false where binding is not possible: SMPI, or the kernel refused).
std::vector<int> thread_cpus();
bool set_thread_cpus(const std::vector<int>& cpus);

/// MemAvailable of the node, or the cgroup's headroom when that is smaller.
MemorySample default_memory_sample();

}  // namespace amorsize::detail::platform
