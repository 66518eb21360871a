// The platform on a real MPI: nodes are shared-memory domains, described by hwloc.
#include <sched.h>

#include <algorithm>
#include <string>

#include "../memory_sources.hpp"
#include "mpi.hpp"
#include "platform.hpp"

namespace amorsize::detail::platform {

int node_leader(Transport& transport) {
  MPI_Comm shared;
  int rank = transport.rank();
  check_mpi(
      MPI_Comm_split_type(transport.comm(), MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shared),
      "MPI_Comm_split_type");
  int leader = 0;
  check_mpi(MPI_Allreduce(&rank, &leader, 1, MPI_INT, MPI_MIN, shared), "MPI_Allreduce");
  MPI_Comm_free(&shared);
  return leader;
}

NodeTopology node_description() {
  return local_topology();
}

bool cores_are_ranks() {
  return false;
}

std::string allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "";
  std::string out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    int last = c;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!out.empty()) out += ',';
    out += std::to_string(c);
    if (last > c) out += '-' + std::to_string(last);
    c = last;
  }
  return out;
}

std::vector<int> thread_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

bool set_thread_cpus(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE) CPU_SET(c, &set);
  return CPU_COUNT(&set) > 0 && sched_setaffinity(0, sizeof set, &set) == 0;  // this thread
}

bool may_share_duplicate() {
  return true;
}

bool threads_may_compute() {
  return true;
}

MemorySample default_memory_sample() {
  MemorySample s;
  s.total_bytes = read_meminfo_bytes("/proc/meminfo", "MemTotal").value_or(0);
  s.available_bytes = read_meminfo_bytes("/proc/meminfo", "MemAvailable").value_or(s.total_bytes);
  if (const auto limit = read_cgroup_limit("/proc/self/cgroup", "/sys/fs/cgroup")) {
    const auto usage = read_cgroup_usage("/proc/self/cgroup", "/sys/fs/cgroup").value_or(0);
    const std::uint64_t headroom = usage < *limit ? *limit - usage : 0;
    if (*limit < s.total_bytes || s.total_bytes == 0) {
      s.total_bytes = *limit;
      s.available_bytes = std::min(s.available_bytes, headroom);
    }
  }
  return s;
}

}  // namespace amorsize::detail::platform
