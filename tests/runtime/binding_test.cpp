// Which CPUs each worker is bound to: compact and spread orders, inside each rank's allowed
// CPUs, counted over a node whose ranks share their CPUs or per rank when a launcher split
// them, k CPUs for items with k threads, nothing for Bind::none or unknown CPUs.
#include "runtime/binding.hpp"

#include <gtest/gtest.h>

#include "runtime/dispatcher.hpp"

namespace amorsize::detail {
namespace {

using Cpus = std::vector<std::vector<int>>;

// One node of 2 NUMA domains x 2 cores x 2 PUs (CPUs 0-7), `size` ranks, all on it.
Layout one_node(int size, const std::string& allowed = "0-7") {
  Layout l;
  l.nodes = {synthetic_topology("numa:2 core:2 pu:2")};
  l.node_of_rank.assign(std::size_t(size), 0);
  l.ranks_on_node = {size};
  l.node_leader = {0};
  l.allowed_cpus.assign(std::size_t(size), allowed);
  return l;
}

TEST(BindWorkers, CompactGivesEachWorkerACoreBeforeAnyHyperthread) {
  Assignment a;
  a.direct = {{1, 0, 3}};  // rank 1 runs 3 threads
  a.threads = 2;           // rank 0's pool, counted after the node's other ranks
  const Bindings b = bind_workers(a, one_node(2), 2, Bind::compact, 1);
  EXPECT_EQ(b.of_rank[1], (Cpus{{0}, {2}, {4}}));
  EXPECT_EQ(b.of_rank[0], (Cpus{{6}, {1}}));
  EXPECT_EQ(b.of_node[0], "0 | 2 | 4 | 6 | 1");
}

TEST(BindWorkers, SpreadAlternatesNumaDomains) {
  Assignment a;
  a.direct = {{1, 0, 2}};
  const Bindings b = bind_workers(a, one_node(2), 2, Bind::spread, 1);
  EXPECT_EQ(b.of_rank[1], (Cpus{{0}, {4}}));
}

TEST(BindWorkers, ItemsWithTwoThreadsGetTwoCpus) {
  Assignment a;
  a.direct = {{1, 0, 2}};
  const Bindings b = bind_workers(a, one_node(2), 2, Bind::compact, 2);
  EXPECT_EQ(b.of_rank[1], (Cpus{{0, 2}, {4, 6}}));
  EXPECT_EQ(b.of_node[0], "0,2 | 4,6");
}

TEST(BindWorkers, StaysInsideTheAllowedCpusAndWrapsWhenTheyRunOut) {
  Assignment a;
  a.direct = {{1, 0, 3}};
  const Bindings b = bind_workers(a, one_node(2, "4-5"), 2, Bind::compact, 1);
  EXPECT_EQ(b.of_rank[1], (Cpus{{4}, {5}, {4}}));
}

// mpirun --bind-to core gave each rank its own CPU: each counts within its own.
TEST(BindWorkers, RanksALauncherBoundCountWithinTheirOwnCpus) {
  Layout l = one_node(3);
  l.allowed_cpus = {"0", "2", "4"};
  Assignment a;
  a.direct = {{1, 0, 1}, {2, 0, 1}};
  const Bindings b = bind_workers(a, l, 3, Bind::compact, 1);
  EXPECT_EQ(b.of_rank[1], (Cpus{{2}}));
  EXPECT_EQ(b.of_rank[2], (Cpus{{4}}));
}

TEST(BindWorkers, LedRanksComeAfterTheOthers) {
  Assignment a;
  a.led = {{2, 3}};
  const Bindings b = bind_workers(a, one_node(4), 4, Bind::compact, 1);
  EXPECT_EQ(b.of_rank[2], (Cpus{{0}}));
  EXPECT_EQ(b.of_rank[3], (Cpus{{2}}));
}

TEST(BindWorkers, NothingIsBoundWithNoneOrUnknownCpus) {
  Assignment a;
  a.direct = {{1, 0, 2}};
  EXPECT_TRUE(bind_workers(a, one_node(2), 2, Bind::none, 1).of_rank[1].empty());
  Layout simulated = one_node(2);
  simulated.allowed_cpus.clear();  // simulated nodes: the ranks are the cores
  EXPECT_TRUE(bind_workers(a, simulated, 2, Bind::compact, 1).of_rank[1].empty());
  Layout no_order = one_node(2);
  no_order.nodes[0].cpus_compact.clear();
  EXPECT_TRUE(bind_workers(a, no_order, 2, Bind::compact, 1).of_node[0].empty());
}

TEST(CpuList, ParsesAndFormatsRanges) {
  EXPECT_EQ(cpu_set("0-3,8"), (std::set<int>{0, 1, 2, 3, 8}));
  EXPECT_TRUE(cpu_set("x").empty());
  EXPECT_TRUE(cpu_set("-1").empty());
  EXPECT_EQ(cpu_list({8, 0, 1, 2, 2}), "0-2,8");
  EXPECT_EQ(cpu_list({}), "");
}

// The calling thread gets its CPUs back, and item_cpus() says where it is bound meanwhile.
TEST(BoundThread, BindsTheCallingThreadAndRestoresItsCpus) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  if (CPU_COUNT(&before) < 2) GTEST_SKIP() << "needs two CPUs to see a binding";
  int first = 0;
  while (!CPU_ISSET(first, &before)) ++first;
  {
    const BoundThread bound({first});
    cpu_set_t now;
    sched_getaffinity(0, sizeof now, &now);
    EXPECT_EQ(CPU_COUNT(&now), 1);
    EXPECT_TRUE(CPU_ISSET(first, &now));
    EXPECT_EQ(item_cpus(), std::vector<int>{first});
  }
  cpu_set_t after;
  sched_getaffinity(0, sizeof after, &after);
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
  EXPECT_TRUE(item_cpus().empty());
}

}  // namespace
}  // namespace amorsize::detail
