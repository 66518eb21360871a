#include "amorsize/plan.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "amorsize/error.hpp"
#include "amorsize/schedule.hpp"

namespace amorsize {
namespace {

constexpr std::uint64_t GiB = 1ull << 30;

NodeTopology node(int cores, std::uint64_t memory = 64 * GiB, double speed = 1.0) {
  NodeTopology n;
  n.name = "n" + std::to_string(cores);
  n.cores = cores;
  n.pus = cores;
  n.memory_total_bytes = memory;
  n.memory_available_bytes = memory;
  n.speed = speed;
  return n;
}

WorkloadProfile work(double mean, std::optional<std::int64_t> items, double cv = 0) {
  WorkloadProfile w;
  w.item_seconds_mean = mean;
  w.item_seconds_cv = cv;
  w.items = items;
  w.bytes_in = 8;
  w.bytes_out = 8;
  return w;
}

Cluster cluster(int nodes, int cores) {
  return Cluster::replicate(node(cores), nodes);
}

std::vector<std::int64_t> chunk_sequence(const Plan& p, std::int64_t items) {
  ChunkSchedule s(p);
  std::vector<std::int64_t> sizes;
  for (std::int64_t left = items; left > 0;) {
    sizes.push_back(s.next(left));
    left -= sizes.back();
  }
  return sizes;
}

// The 80% interval around the predicted makespan: wider for a small, uneven sample, and only
// the model's own error for a profile from history.
TEST(Plan, ThePredictionComesWithAnEightyPercentInterval) {
  WorkloadProfile few = work(1e-3, 100'000, 1.0);
  few.sample_count = 9;
  WorkloadProfile many = few;
  many.sample_count = 900;
  WorkloadProfile known = few;
  known.sample_count = 0;
  const auto c = cluster(1, 16);
  const Plan a = plan(few, c), b = plan(many, c), h = plan(known, c);
  for (const Plan* p : {&a, &b, &h}) {
    ASSERT_TRUE(p->predicted_makespan_low_seconds && p->predicted_makespan_high_seconds);
    EXPECT_LT(*p->predicted_makespan_low_seconds, *p->predicted_makespan_seconds);
    EXPECT_GT(*p->predicted_makespan_high_seconds, *p->predicted_makespan_seconds);
  }
  const auto half = [](const Plan& p) {
    return (*p.predicted_makespan_high_seconds - *p.predicted_makespan_low_seconds) / 2 /
           *p.predicted_makespan_seconds;
  };
  // 1.2816 x sqrt((1 / 3)^2 + 0.1^2) for 9 items of CV 1; the model's 10% alone from history.
  EXPECT_NEAR(half(a), 1.2816 * std::sqrt(1.0 / 9 + 0.01), 1e-6);
  EXPECT_NEAR(half(h), 0.12816, 1e-6);
  EXPECT_LT(half(b), half(a));
  EXPECT_NE(a.explain().find("(80%: "), std::string::npos) << a.explain();
  // A spread sample's own standard error, where it has one, replaces CV / sqrt(k).
  WorkloadProfile spread = few;
  spread.item_seconds_mean_error = 0.02;
  EXPECT_NEAR(half(plan(spread, c)), 1.2816 * std::sqrt(0.0004 + 0.01), 1e-6);
}

TEST(Plan, SlowerItemsGiveFewerItemsPerChunk) {
  const auto c = cluster(1, 16);
  const Plan fast = plan(work(100e-6, 10'000'000), c);
  const Plan slow = plan(work(10e-3, 10'000'000), c);
  EXPECT_GT(fast.chunk_size, slow.chunk_size);
  EXPECT_GT(fast.max_chunk, slow.max_chunk);
  // Amorsize's rule: a chunk runs about the target duration.
  EXPECT_NEAR(double(slow.chunk_size) * 10e-3, 0.2, 0.02);
}

TEST(Plan, HeterogeneousItemsGiveSmallerTaperingChunks) {
  const auto c = cluster(1, 16);
  const Plan even = plan(work(1e-3, 100'000, 0.0), c);
  const Plan uneven = plan(work(1e-3, 100'000, 2.0), c);
  EXPECT_LT(uneven.chunk_size, even.chunk_size);
  const auto sizes = chunk_sequence(uneven, 100'000);
  ASSERT_GT(sizes.size(), 16u);
  for (std::size_t i = 1; i < sizes.size(); ++i) EXPECT_LE(sizes[i], sizes[i - 1]) << i;
  EXPECT_LT(sizes.back() * 4, sizes.front());
  EXPECT_EQ(sizes.back(), uneven.min_chunk);
}

TEST(Plan, TinyWorkloadRunsSerially) {
  const Plan p = plan(work(1e-6, 10), cluster(1, 16));
  EXPECT_TRUE(p.serial);
  EXPECT_LT(p.predicted_speedup, 1.2);
  EXPECT_NE(p.explain().find("serially"), std::string::npos);
}

TEST(Plan, LargeWorkloadRunsInParallelNearTheBound) {
  const Plan p = plan(work(1e-3, 1'000'000, 0.5), cluster(1, 64));
  EXPECT_FALSE(p.serial);
  EXPECT_EQ(p.workers, 64);
  EXPECT_GT(p.predicted_speedup, 55);
  EXPECT_GT(p.predicted_efficiency, 0.9);
  EXPECT_LE(p.predicted_efficiency, 1.0);
}

TEST(Plan, NoItemsRunsSerially) {
  EXPECT_TRUE(plan(work(1e-3, 0), cluster(1, 8)).serial);
}

TEST(Plan, MemoryPerItemCapsWorkersPerNode) {
  Cluster c = Cluster::replicate(node(64, 16 * GiB), 2);
  WorkloadProfile w = work(10e-3, 100'000);
  w.mem_per_item_bytes = double(GiB);
  const Plan p = plan(w, c);
  // 80% of 16 GiB holds 12 items; the coordinator's node also keeps 10% for results.
  EXPECT_EQ(p.nodes[1].workers, 12);
  EXPECT_EQ(p.nodes[0].workers, 11);
  EXPECT_EQ(p.nodes[1].memory_budget_bytes, std::uint64_t(0.8 * 16 * GiB));
  bool mentioned = false;
  for (const auto& r : p.reasons) mentioned |= r.find("memory caps workers") != std::string::npos;
  EXPECT_TRUE(mentioned);
}

TEST(Plan, ItemLargerThanMemoryWarnsAndKeepsOneWorker) {
  WorkloadProfile w = work(10e-3, 1000);
  w.mem_per_item_bytes = double(100 * GiB);
  const Plan p = plan(w, Cluster::replicate(node(8, 16 * GiB), 1));
  EXPECT_EQ(p.nodes[0].workers, 1);
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("100 GiB"), std::string::npos);
}

TEST(Plan, NestedThreadsReduceWorkers) {
  WorkloadProfile w = work(10e-3, 100'000);
  w.threads_per_item = 4;
  EXPECT_EQ(plan(w, cluster(2, 64)).workers, 32);
  w.threads_per_item = 2.5;  // rounds up: an item that keeps 2.5 cores busy needs 3
  EXPECT_EQ(plan(w, cluster(1, 64)).workers, 21);
}

TEST(Plan, UnboundedSourceGetsNoTailTaper) {
  const Plan p = plan(work(1e-3, std::nullopt, 1.0), cluster(1, 16));
  EXPECT_FALSE(p.predicted_makespan_seconds.has_value());
  EXPECT_FALSE(p.serial);
  ChunkSchedule s(p);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(s.next(std::nullopt), p.chunk_size);
  bool said = false;
  for (const auto& r : p.reasons) said |= r.find("unbounded") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Plan, BoundsHoldForRandomWorkloads) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> log_mean(-7, 1), cv(0, 3);
  std::uniform_int_distribution<int> nodes(1, 64), cores(1, 128);
  std::uniform_int_distribution<std::int64_t> items(1, 10'000'000);
  for (int trial = 0; trial < 300; ++trial) {
    const auto n = items(rng);
    const Plan p =
        plan(work(std::pow(10, log_mean(rng)), n, cv(rng)), cluster(nodes(rng), cores(rng)));
    ASSERT_GE(p.min_chunk, 1);
    ASSERT_LE(p.min_chunk, p.max_chunk);
    ASSERT_GE(p.chunk_size, 1);
    ASSERT_LE(p.chunk_size, std::max(p.max_chunk, n));
    ASSERT_GE(p.inflight_per_worker, 1);
    ASSERT_GT(p.predicted_speedup, 0);
    ASSERT_GT(p.predicted_efficiency, 0);
    ASSERT_LE(p.predicted_efficiency, 1.0 + 1e-9);
    if (p.ordered) {
      ASSERT_GE(p.reorder_window, 1);
    }
    if (n < 200'000) {
      ChunkSchedule s(p);
      std::int64_t left = n;
      while (left > 0) {
        const auto c = s.next(left);
        ASSERT_GE(c, 1);
        ASSERT_LE(c, left);
        if (left >= p.min_chunk) {
          ASSERT_GE(c, p.min_chunk);
        }
        ASSERT_LE(c, p.max_chunk);
        left -= c;
      }
    }
  }
}

TEST(Plan, ExplicitBoundsAreRespected) {
  PlanOptions o;
  o.min_chunk = 50;
  o.max_chunk = 60;
  const Plan p = plan(work(1e-3, 1'000'000), cluster(1, 8), o);
  EXPECT_EQ(p.min_chunk, 50);
  EXPECT_EQ(p.max_chunk, 60);
  EXPECT_GE(p.chunk_size, 50);
  EXPECT_LE(p.chunk_size, 60);
}

TEST(Plan, InvalidProfileIsRejectedByName) {
  const auto c = cluster(1, 4);
  auto expect_error = [&](WorkloadProfile w, const std::string& field) {
    try {
      plan(w, c);
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_error(work(-1e-3, 10), "item_seconds_mean");
  expect_error(work(0, 10), "item_seconds_mean");
  expect_error(work(1e-3, 10, -1), "item_seconds_cv");
  expect_error(work(1e-3, -5), "items");
  WorkloadProfile w = work(1e-3, 10);
  w.threads_per_item = 0;
  expect_error(w, "threads_per_item");
  w = work(1e-3, 10);
  w.bytes_out = std::nan("");
  expect_error(w, "bytes_out");
}

TEST(Plan, InvalidOptionsAreRejectedByName) {
  const auto c = cluster(1, 4);
  auto expect_error = [&](PlanOptions o, const std::string& field) {
    try {
      plan(work(1e-3, 100), c, o);
      ADD_FAILURE() << "accepted bad " << field;
    } catch (const invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  PlanOptions o;
  o.target_chunk_duration_seconds = 0;
  expect_error(o, "target_chunk_duration");
  o = {};
  o.memory_threshold = 1.5;
  expect_error(o, "memory_threshold");
  o = {};
  o.min_chunk = 10;
  o.max_chunk = 5;
  expect_error(o, "min_chunk");
  o = {};
  o.adaptation_rate = -0.1;
  expect_error(o, "adaptation_rate");
  o = {};
  o.schedule = Schedule::fixed;
  expect_error(o, "fixed_chunk");
}

TEST(Plan, InvalidClusterIsRejected) {
  EXPECT_THROW(plan(work(1e-3, 100), Cluster{}), invalid_argument);
  Cluster c = cluster(1, 4);
  c.latency_seconds = -1;
  EXPECT_THROW(plan(work(1e-3, 100), c), invalid_argument);
}

TEST(Plan, HeterogeneousNodesGetChunksWeightedBySpeed) {
  Cluster c;
  c.nodes = {node(8, 64 * GiB, 2.0), node(8, 64 * GiB, 1.0)};
  const Plan p = plan(work(1e-3, 1'000'000), c);
  EXPECT_NEAR(p.nodes[0].chunk_weight, 4.0 / 3, 1e-9);
  EXPECT_NEAR(p.nodes[1].chunk_weight, 2.0 / 3, 1e-9);
  ChunkSchedule s(p);
  EXPECT_GT(s.next(std::nullopt, p.nodes[0].chunk_weight),
            s.next(std::nullopt, p.nodes[1].chunk_weight));
}

TEST(Plan, BusyCoordinatorGetsACoreOfItsOwn) {
  PlanOptions o;
  o.schedule = Schedule::fixed;
  o.fixed_chunk = 1;
  o.hierarchy = Hierarchy::flat;
  const Plan p = plan(work(20e-6, 10'000'000), cluster(64, 64), o);
  EXPECT_FALSE(p.coordinator_computes);
  EXPECT_EQ(p.nodes[0].workers, 63);
  EXPECT_EQ(p.workers, 64 * 64 - 1);
  const Plan q = plan(work(20e-6, 10'000'000), cluster(1, 4));
  EXPECT_TRUE(q.coordinator_computes);
  EXPECT_EQ(q.workers, 4);
}

TEST(Plan, LargeResultsChooseUnorderedDelivery) {
  WorkloadProfile w = work(10e-3, 100'000);
  w.bytes_out = 512.0 * (1 << 20);  // 512 MiB per result
  const Plan p = plan(w, Cluster::replicate(node(32, 16 * GiB), 1));
  EXPECT_FALSE(p.ordered);
  EXPECT_EQ(p.reorder_window, 0);
  const Plan small = plan(work(10e-3, 100'000), Cluster::replicate(node(32, 16 * GiB), 1));
  EXPECT_TRUE(small.ordered);
  EXPECT_GE(small.reorder_window, 32 * small.inflight_per_worker);
}

TEST(Plan, ForcedOrderIsKept) {
  PlanOptions o;
  o.order = Order::unordered;
  EXPECT_FALSE(plan(work(1e-3, 100'000), cluster(1, 8), o).ordered);
  o.order = Order::ordered;
  WorkloadProfile w = work(10e-3, 100'000);
  w.bytes_out = 512.0 * (1 << 20);
  const Plan p = plan(w, Cluster::replicate(node(32, 16 * GiB), 1), o);
  EXPECT_TRUE(p.ordered);
  EXPECT_FALSE(p.warnings.empty());
}

TEST(Plan, BaselineSchedules) {
  const auto c = cluster(1, 8);
  PlanOptions o;
  o.schedule = Schedule::static_;
  EXPECT_EQ(plan(work(1e-3, 1000), c, o).chunk_size, 125);
  o.schedule = Schedule::fixed;
  o.fixed_chunk = 7;
  const Plan f = plan(work(1e-3, 1000), c, o);
  EXPECT_EQ(f.chunk_size, 7);
  EXPECT_NEAR(f.predicted_chunks, 143, 0.5);
  o.schedule = Schedule::gss;
  EXPECT_EQ(plan(work(1e-3, 1000), c, o).chunk_size, 125);
  o.schedule = Schedule::fac;
  EXPECT_EQ(plan(work(1e-3, 1000), c, o).chunk_size, 63);
  o.schedule = Schedule::static_;
  EXPECT_THROW(plan(work(1e-3, std::nullopt), c, o), invalid_argument);
}

TEST(Plan, AdaptiveBeatsStaticOnUnevenItemsInPrediction) {
  const auto c = cluster(4, 32);
  const auto w = work(1e-3, 200'000, 1.5);
  PlanOptions o;
  o.schedule = Schedule::static_;
  EXPECT_GT(plan(w, c).predicted_efficiency, plan(w, c, o).predicted_efficiency);
}

TEST(Plan, JsonRoundTripKeepsEveryField) {
  WorkloadProfile w = work(2e-3, 1'000'000, 0.8);
  w.mem_per_item_bytes = 1 << 20;
  const Plan p = plan(w, cluster(3, 16));
  const std::string json = to_json(p);
  EXPECT_EQ(to_json(plan_from_json(json)), json);
  const Plan unbounded = plan(work(1e-3, std::nullopt), cluster(1, 4));
  EXPECT_EQ(to_json(plan_from_json(to_json(unbounded))), to_json(unbounded));
  EXPECT_THROW(plan_from_json("{\"workers\": 3"), invalid_argument);
  EXPECT_THROW(plan_from_json("{\"workers\": \"many\", \"nodes\": [], \"schedule\": \"fac\", "
                              "\"chunk_size\": 1}"),
               invalid_argument);
}

TEST(Plan, ExplainSaysWhatAndWhy) {
  const Plan p = plan(work(200e-6, 50'000, 1.0), cluster(1, 8));
  const std::string text = p.explain();
  EXPECT_NE(text.find("Run 8 workers"), std::string::npos) << text;
  EXPECT_NE(text.find("Chunks: adaptive schedule"), std::string::npos) << text;
  EXPECT_NE(text.find("Predicted:"), std::string::npos) << text;
  EXPECT_NE(text.find("Why:"), std::string::npos) << text;
}

TEST(Plan, WorkersNeverExceedTheRanksOfANode) {
  PlanOptions o;
  o.max_workers_per_node = {0, 3};
  const Plan p = plan(work(1e-3, 1'000'000), cluster(2, 16), o);
  EXPECT_EQ(p.nodes[0].workers, 16);
  EXPECT_EQ(p.nodes[1].workers, 3);
  EXPECT_EQ(p.workers, 19);
  o.max_workers_per_node = {-1};
  EXPECT_THROW(plan(work(1e-3, 100), cluster(1, 4), o), invalid_argument);
}

TEST(Plan, ParseScheduleAndOrder) {
  std::int64_t n = 0;
  EXPECT_EQ(parse_schedule("fixed:32", &n), Schedule::fixed);
  EXPECT_EQ(n, 32);
  EXPECT_EQ(parse_schedule("auto", &n), Schedule::adaptive);
  EXPECT_THROW(parse_schedule("fixed:0", &n), invalid_argument);
  EXPECT_THROW(parse_schedule("fixed:3x", &n), invalid_argument);
  EXPECT_THROW(parse_schedule("zigzag", &n), invalid_argument);
  EXPECT_EQ(parse_order("unordered"), Order::unordered);
  EXPECT_THROW(parse_order("sorted"), invalid_argument);
}

}  // namespace
TEST(Plan, AShortRunOnManyNodesChoosesNodeLeaders) {
  // 64 nodes x 64 cores, 2 ms items of CV 0.8, 0.5 s of work per core: a flat coordinator
  // would need chunks of 9+ items (18 ms) to keep up, and the uneven end of such chunks costs
  // more than the core per node that leaders take.
  const WorkloadProfile w = work(2e-3, 1'000'000, 0.8);
  const Plan p = plan(w, cluster(64, 64));
  EXPECT_EQ(p.hierarchy, Hierarchy::leaders);
  EXPECT_FALSE(p.nodes[0].leader);
  for (std::size_t i = 1; i < p.nodes.size(); ++i) {
    EXPECT_TRUE(p.nodes[i].leader);
    EXPECT_EQ(p.nodes[i].workers, 63);
  }
  EXPECT_NE(p.explain().find("Node leaders: on 63 nodes"), std::string::npos);
  PlanOptions flat;
  flat.hierarchy = Hierarchy::flat;
  const Plan f = plan(w, cluster(64, 64), flat);
  EXPECT_EQ(f.hierarchy, Hierarchy::flat);
  EXPECT_GT(p.predicted_efficiency, f.predicted_efficiency + 0.01);
  EXPECT_GT(f.min_chunk, p.min_chunk);
  EXPECT_LT(p.coordinator_load, f.coordinator_load);
}

TEST(Plan, FewNodesOrLongItemsStayFlat) {
  // Two nodes, or 10 ms items on 64 nodes: one coordinator keeps up, and a leader would only
  // take a core from each node.
  EXPECT_EQ(plan(work(1e-3, 200'000), cluster(2, 32)).hierarchy, Hierarchy::flat);
  const Plan p = plan(work(10e-3, 64 * 64 * 200), cluster(64, 64));
  EXPECT_EQ(p.hierarchy, Hierarchy::flat);
  EXPECT_NE(p.reasons.back().find("flat: the coordinator keeps up"), std::string::npos)
      << p.explain();
  PlanOptions leaders;
  leaders.hierarchy = Hierarchy::leaders;
  const Plan l = plan(work(10e-3, 64 * 64 * 200), cluster(64, 64), leaders);
  EXPECT_EQ(l.hierarchy, Hierarchy::leaders);
  EXPECT_EQ(l.workers, 64 * 64 - 63);
}

TEST(Plan, LeadersNeedASecondNodeWithTwoWorkers) {
  PlanOptions leaders;
  leaders.hierarchy = Hierarchy::leaders;
  const Plan p = plan(work(1e-3, 100'000), cluster(1, 8), leaders);
  EXPECT_EQ(p.hierarchy, Hierarchy::flat);
  EXPECT_FALSE(p.nodes[0].leader);
  EXPECT_FALSE(p.warnings.empty());
  EXPECT_EQ(parse_hierarchy("auto"), Hierarchy::automatic);
  EXPECT_THROW(parse_hierarchy("tree"), invalid_argument);
}

TEST(Plan, HierarchyRoundTripsThroughJson) {
  const Plan p = plan(work(2e-3, 1'000'000, 0.8), cluster(64, 64));
  const Plan q = plan_from_json(to_json(p));
  EXPECT_EQ(q.hierarchy, Hierarchy::leaders);
  EXPECT_TRUE(q.nodes[1].leader);
  EXPECT_FALSE(q.nodes[0].leader);
}

}  // namespace amorsize
