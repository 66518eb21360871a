#pragma once
// Which CPUs each worker is bound to, and binding a thread to them. The coordinator decides for
// every rank (bind_workers: no MPI, no hwloc, tested alone); each rank binds its own threads
// (BoundThread), inside the CPUs it may use.
#include <set>
#include <string>
#include <vector>

#include "amorsize/plan.hpp"
#include "discovery.hpp"

namespace amorsize::detail {

struct Assignment;

/// "0-3,8" -> {0, 1, 2, 3, 8}; nothing for an empty or malformed list.
std::set<int> cpu_set(const std::string& list);
/// {0, 1, 2, 8} -> "0-2,8".
std::string cpu_list(const std::vector<int>& cpus);

/// Per rank, the CPUs of each of its workers (threads, or the rank itself), in the order the
/// rank runs them; and per node, the plan's summary (NodePlan::binding). Nothing is bound with
/// Bind::none, on a node whose CPU order is unknown, or for a rank whose allowed CPUs are.
///
/// A node's workers take its CPUs in the policy's order (NodeTopology::cpus_compact or
/// cpus_spread), `cpus_per_worker` each, counting the workers of its ranks one after another
/// (direct ranks in rank order, rank 0's pool, then the ranks a leader feeds). When the ranks
/// of a node may all use the same CPUs, the count runs over the node; when a launcher gave
/// each its own (mpirun --bind-to core, srun --cpu-bind), each rank counts within its own.
/// More workers than CPUs wrap around (two workers share a CPU).
struct Bindings {
  std::vector<std::vector<std::vector<int>>> of_rank;  // rank -> worker -> CPUs
  std::vector<std::string> of_node;
};
Bindings bind_workers(const Assignment& assignment, const Layout& layout, int size, Bind policy,
                      int cpus_per_worker);

/// Binds the calling thread to `cpus` while it lives, then gives it back the CPUs it had.
/// Empty `cpus`, or a platform that cannot bind: nothing happens. item_cpus() says the CPUs
/// meanwhile.
class BoundThread {
 public:
  explicit BoundThread(std::vector<int> cpus);
  ~BoundThread();
  BoundThread(const BoundThread&) = delete;
  BoundThread& operator=(const BoundThread&) = delete;

 private:
  std::vector<int> before_;       // the thread's CPUs before
  std::vector<int> item_before_;  // item_cpus() before
  bool bound_ = false;
};

}  // namespace amorsize::detail
