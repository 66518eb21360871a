// An HPC code that sizes its own loop with the amorsize planner.
#include <amorsize/amorsize.hpp>
#include <iostream>

int main() {
  amorsize::WorkloadProfile work;
  work.item_seconds_mean = 1e-3;
  work.item_seconds_cv = 0.5;
  work.items = 100000;
  const auto node = amorsize::synthetic_topology("node:1 package:2 core:16 pu:2");
  const amorsize::Plan p = amorsize::plan(work, amorsize::Cluster::replicate(node, 4));
  std::cout << "consumer: " << p.workers << " workers, first chunk " << p.chunk_size << "\n";
  return p.workers == 128 ? 0 : 1;
}
