// The JSON readers: a profile, a plan, a node's topology (what rank 0 gathers).
#include "amorsize/plan.hpp"
#include "amorsize/profile.hpp"
#include "amorsize/topology.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  try {
    const amorsize::WorkloadProfile p = amorsize::profile_from_json(input);
    (void)amorsize::to_json(p);
  } catch (const amorsize::error&) {
  }
  try {
    const amorsize::Plan plan = amorsize::plan_from_json(input);
    (void)plan.explain();
    (void)amorsize::to_json(plan);
  } catch (const amorsize::error&) {
  }
  (void)amorsize::node_topology_from_json(input);
}
