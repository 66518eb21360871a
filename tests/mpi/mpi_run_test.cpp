// amorsize::run on a few ranks: delivery guarantees, failures, backpressure, stopping,
// sampling and simulated nodes. Every test runs on all ranks; checks are made on rank 0.
#include <gtest/gtest.h>
#include <mpi.h>

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../src/runtime/memory_probe.hpp"
#include "amorsize/run.hpp"
#include "amorsize/workload.hpp"
#include "ranks.hpp"

namespace amorsize {
namespace {

// An item that takes a pseudo-random 0..200 us, so chunks finish out of order.
std::int64_t jittery(std::int64_t i) {
  busy_wait(200e-6 * uniform01(7, std::uint64_t(i)));
  return i * 3;
}

RunOptions small_chunks(Order order) {
  RunOptions o;
  o.plan.order = order;
  o.plan.target_chunk_duration_seconds = 2e-3;  // many chunks, many chances to reorder
  o.allow_serial = false;
  return o;
}

class Delivery {
 public:
  explicit Delivery(std::int64_t n) : seen_(std::size_t(n), 0) {}
  void operator()(std::int64_t i, std::int64_t value) {
    if (i < 0 || i >= std::int64_t(seen_.size()) || value != 3 * i)
      bad_ = true;
    else
      seen_[std::size_t(i)]++;
    if (i < last_) in_order_ = false;
    last_ = i;
  }
  bool exactly_once() const {
    if (bad_) return false;
    for (int s : seen_)
      if (s != 1) return false;
    return true;
  }
  bool in_order() const { return in_order_; }

 private:
  std::vector<int> seen_;
  std::int64_t last_ = -1;
  bool in_order_ = true, bad_ = false;
};

TEST(MpiRun, OrderedDeliveryIsExactlyOnceAndInOrderUnderRandomDelays) {
  const std::int64_t n = 20000;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, small_chunks(Order::ordered));
  if (rank() != 0) return;
  EXPECT_TRUE(r.plan.ordered);
  EXPECT_GT(r.chunks, 3 * (ranks() - 1)) << "too few chunks to test reordering";
  EXPECT_TRUE(d.exactly_once());
  EXPECT_TRUE(d.in_order());
  EXPECT_EQ(r.items, n);
  EXPECT_EQ(r.delivered, n);
}

TEST(MpiRun, UnorderedModeDeliversEveryItem) {
  const std::int64_t n = 20000;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, small_chunks(Order::unordered));
  if (rank() != 0) return;
  EXPECT_FALSE(r.plan.ordered);
  EXPECT_TRUE(d.exactly_once());
  EXPECT_EQ(r.delivered, n);
}

TEST(MpiRun, ThrowingItemIsReportedAndOthersComplete) {
  const std::int64_t n = 5000;
  std::int64_t delivered = 0;
  bool saw_bad = false;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        if (i == 37 || i == 4321) throw std::runtime_error("bad item " + std::to_string(i));
        return jittery(i);
      },
      [&](std::int64_t i, std::int64_t) {
        ++delivered;
        saw_bad |= i == 37 || i == 4321;
      },
      small_chunks(Order::ordered));
  if (rank() != 0) return;
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].index + r.failures[1].index, 37 + 4321);
  for (const auto& f : r.failures) EXPECT_EQ(f.message, "bad item " + std::to_string(f.index));
  EXPECT_EQ(delivered, n - 2);
  EXPECT_FALSE(saw_bad);
  EXPECT_FALSE(r.stopped);
}

TEST(MpiRun, FailFastStopsTheRun) {
  const std::int64_t n = 200000;
  std::int64_t delivered = 0;
  RunOptions o = small_chunks(Order::unordered);
  o.fail_fast = true;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        if (i == 3000) throw std::runtime_error("stop here");
        return jittery(i);
      },
      [&](std::int64_t, std::int64_t) { ++delivered; }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(r.stopped);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].index, 3000);
  EXPECT_LT(delivered, n / 2);
}

TEST(MpiRun, UnboundedSourceStopsCleanlyWhenTheSinkSaysSo) {
  std::int64_t next = 0, delivered = 0, after_stop = 0;
  bool stopped = false;
  const RunReport r = run(
      MPI_COMM_WORLD, source::generator([&]() -> std::optional<std::int64_t> { return next++; }),
      jittery,
      [&](std::int64_t i, std::int64_t v) {
        if (stopped) ++after_stop;
        EXPECT_EQ(v, 3 * i);
        ++delivered;
        stopped = delivered == 30000;
        return !stopped;
      },
      small_chunks(Order::ordered));
  if (rank() != 0) return;
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(delivered, 30000);
  EXPECT_EQ(after_stop, 0);
  EXPECT_FALSE(r.plan.items.has_value());
}

TEST(MpiRun, SampledItemsAreNotRunTwice) {
  const std::int64_t n = 3000;
  std::vector<int> runs(n, 0);  // per rank, then summed over ranks
  std::vector<std::int64_t> order;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [&](std::int64_t i) {
        __atomic_fetch_add(&runs[std::size_t(i)], 1, __ATOMIC_RELAXED);
        return jittery(i);
      },
      [&](std::int64_t i, std::int64_t) { order.push_back(i); }, small_chunks(Order::ordered));
  std::vector<int> total(n, 0);
  MPI_Reduce(runs.data(), total.data(), int(n), MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank() != 0) return;
  EXPECT_GE(r.sampled, 4);
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(total[std::size_t(i)], 1) << "item " << i;
  ASSERT_EQ(order.size(), std::size_t(n));
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(order[std::size_t(i)], i);
}

TEST(MpiRun, WorkerRanksRunProbesWhileRankZeroSamples) {
  // Two simulated nodes: node 1's ranks get probe chunks while rank 0 samples, so the sample
  // has items from both nodes and every sampled item is delivered once, in order.
  const std::int64_t n = 400;
  RunOptions o = small_chunks(Order::ordered);
  o.simulated_nodes = 2;
  o.sample_budget_seconds = 0.02;
  struct Samples : Recorder {
    std::vector<SampleRecord> all;
    void on_sample(const SampleRecord& s) override { all.push_back(s); }
  } samples;
  o.recorder = &samples;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        busy_wait(1e-3);
        return i * 3;
      },
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  EXPECT_TRUE(d.in_order());
  EXPECT_EQ(r.sampled, std::int64_t(samples.all.size()));
  std::map<int, int> per_node;
  std::vector<bool> seen(n, false);
  for (const auto& s : samples.all) {
    ++per_node[s.node];
    ASSERT_FALSE(seen[std::size_t(s.item)]) << "item " << s.item << " sampled twice";
    seen[std::size_t(s.item)] = true;
    EXPECT_GT(s.seconds, 0.5e-3);
  }
  EXPECT_GT(per_node[1], 0) << "no probe ran on node 1";
  EXPECT_GE(r.sampled, 4);
}

TEST(MpiRun, SimulatedNodesGroupRanks) {
  const std::int64_t n = 20000;
  RunOptions o = small_chunks(Order::unordered);
  o.simulated_nodes = 2;
  std::map<int, std::int64_t> items_per_node;
  struct ByNode : Recorder {
    std::map<int, std::int64_t>* out;
    void on_chunk(const ChunkRecord& c) override { (*out)[c.node] += c.count; }
  } recorder;
  recorder.out = &items_per_node;
  o.recorder = &recorder;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  ASSERT_EQ(r.plan.nodes.size(), 2u);
  EXPECT_TRUE(d.exactly_once());
  EXPECT_GT(items_per_node[0], 0);
  EXPECT_GT(items_per_node[1], 0);
}

// Node 1's memory is 95% used from 0.3 s to 0.9 s after the start, then 10%: its ranks (from
// `first_rank` on) read one machine-wide clock, as they would read one node's memory. Records
// node 1's pressure events and chunks, and checks that it was held to one chunk at a time
// meanwhile: no chunk went to it while another of its chunks was out.
struct PressureDrill : Recorder {
  std::vector<std::pair<double, bool>> pressure;
  std::vector<ChunkRecord> chunks;
  double t0 = 0;

  PressureDrill(RunOptions& o, int first_rank) {
    t0 = seconds();
    MPI_Bcast(&t0, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    o.memory_probe = [this, first_rank](int r) {
      MemorySample s{90, 100};
      const double t = seconds() - t0;
      if (r >= first_rank && t >= 0.3 && t < 0.9) s.available_bytes = 5;
      return s;
    };
    o.recorder = this;
  }
  static double seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void on_pressure(int node, double t, bool p) override {
    if (node == 1) pressure.push_back({t, p});
  }
  void on_chunk(const ChunkRecord& c) override {
    if (c.node == 1) chunks.push_back(c);
  }
  void check() const {
    ASSERT_GE(pressure.size(), 2u);
    EXPECT_TRUE(pressure[0].second);
    EXPECT_FALSE(pressure[1].second);
    const double on = pressure[0].first, off = pressure[1].first;
    EXPECT_GT(off, on);
    int during = 0, after = 0;
    for (const auto& c : chunks) {
      if (c.dispatch_seconds > on && c.dispatch_seconds < off) {
        ++during;
        for (const auto& d : chunks)
          EXPECT_FALSE(d.dispatch_seconds < c.dispatch_seconds &&
                       d.receive_seconds > c.dispatch_seconds)
              << "chunk " << c.first << " sent to the pressured node at " << c.dispatch_seconds
              << " while chunk " << d.first << " was out there";
      }
      after += c.dispatch_seconds >= off;
    }
    EXPECT_GT(during, 0) << "the pressured node was not kept going";
    EXPECT_GT(after, 0) << "dispatch to node 1 never resumed";
  }
};

TEST(MpiRun, BackpressureHoldsThePressuredNodeToOneChunkAtATime) {
  // Ranks split into two simulated nodes; the second half of them is node 1.
  const std::int64_t n = 40000;
  RunOptions o = small_chunks(Order::unordered);
  o.simulated_nodes = 2;
  PressureDrill drill(o, ranks() / 2);
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  EXPECT_EQ(r.pressure_events, 1);
  drill.check();
}

// Memory that never comes back: every rank reads 95% used from start to end. The run still
// ends: every node is held to one chunk at a time, warned of after memory_warn_seconds and
// released after memory_release_seconds, and every item is delivered once.
TEST(MpiRun, PressureThatNeverClearsSlowsTheRunButDoesNotStopIt) {
  const std::int64_t n = 3000;
  RunOptions o = small_chunks(Order::ordered);
  o.memory_probe = [](int) { return MemorySample{5, 100}; };
  o.memory_warn_seconds = 0.2;
  o.memory_release_seconds = 0.5;
  std::vector<std::string> heard;
  o.on_warning = [&heard](const std::string& w) { heard.push_back(w); };
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        busy_wait(1e-3);
        return 3 * i;
      },
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  EXPECT_TRUE(d.in_order());
  EXPECT_EQ(r.pressure_events, 1) << "one node, pressured throughout";
  EXPECT_EQ(r.pressure_releases, 1);
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(heard, r.warnings);
  EXPECT_NE(r.warnings[0].find("node 0"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("95% of its memory in use, threshold 80%"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(r.warnings[0].find("one chunk at a time"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("full share"), std::string::npos) << r.warnings[1];
  ASSERT_EQ(r.pressure_seconds.size(), 1u);
  EXPECT_GT(r.pressure_seconds[0], 0.5);
  EXPECT_LE(r.pressure_seconds[0], r.makespan_seconds);
}

// Workers are bound (compact, the default) while the run lasts: an item sees one CPU of its
// own, and every rank's calling thread has the CPUs it had before once `run` returns.
TEST(MpiRun, ItemsRunBoundAndTheCallersThreadGetsItsCpusBack) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  const std::int64_t n = 400;
  std::vector<int> cpus_seen(std::size_t(n), -1);
  RunOptions o = small_chunks(Order::unordered);
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        busy_wait(200e-6);
        const std::vector<int> cpus = item_cpus();
        return cpus.size() == 1 ? 3 * i + 0 * cpus[0] : -1;  // bound to exactly one CPU
      },
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  cpu_set_t after;
  ASSERT_EQ(sched_getaffinity(0, sizeof after, &after), 0);
  EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "rank " << rank() << " did not get its CPUs back";
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once()) << "an item ran unbound, or on more than one CPU";
  for (const auto& node : r.plan.nodes) EXPECT_FALSE(node.binding.empty()) << node.name;
}

// Three heavy items in a row among light ones: whichever chunk holds two of them runs past
// its expected time (a heavy item) after the first, and hands back what it has not started (and any
// chunk queued behind it) for the other workers. Nothing runs twice, nothing is lost, order holds.
TEST(MpiRun, AChunkThatRunsLongHandsBackItsUnstartedItems) {
  const std::int64_t n = 6000;
  struct Chunks : Recorder {
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // first, count
    void on_chunk(const ChunkRecord& c) override { ranges.push_back({c.first, c.count}); }
    void on_sample(const SampleRecord& s) override { ranges.push_back({s.item, 1}); }
  } chunks;
  RunOptions o = small_chunks(Order::ordered);
  o.recorder = &chunks;
  // The heavy items must run inside chunks: a spread sample, now hundreds of items in blocks,
  // may take them as probes, which never hand back (CI under ASan caught it once).
  o.sample_spread = false;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        busy_wait(i >= 3000 && i < 3003 ? 0.1 : 100e-6);
        return 3 * i;
      },
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  EXPECT_TRUE(d.in_order());
  EXPECT_GT(r.returned_items, 0) << "no chunk handed anything back";
  // Every item ran in exactly one recorded chunk or was sampled (from anywhere in the source).
  std::sort(chunks.ranges.begin(), chunks.ranges.end());
  std::int64_t next = 0;
  for (const auto& [first, count] : chunks.ranges) {
    EXPECT_EQ(first, next) << "a gap or an overlap before item " << first;
    next = first + count;
  }
  EXPECT_EQ(next, n);
}

// Readings are cached for a millisecond; each carries the time memory was actually read, so
// the coordinator can tell a stale "clear" from a fresh "pressured" reported after it. (A
// stale reading stamped with the chunk's end once made a node flap back into pressure.)
TEST(MpiRun, MemoryReadingsCarryTheTimeMemoryWasRead) {
  RunOptions o;
  int calls = 0;
  o.memory_probe = [&calls](int) {
    ++calls;
    return MemorySample{5, 100};
  };
  detail::MemoryWatch watch(o, 1);
  const double before = detail::node_clock_seconds();
  const auto first = watch.read();
  EXPECT_TRUE(first.pressured);
  EXPECT_GE(first.when, before);
  EXPECT_LE(first.when, detail::node_clock_seconds());
  for (double asked = before; calls == 1 && asked < before + 5;) {
    asked = detail::node_clock_seconds();
    const auto again = watch.read();
    if (calls == 1) {
      ASSERT_EQ(again.when, first.when) << "a cached reading took the time of the question";
    } else {
      EXPECT_GE(again.when, asked);
    }
  }
  EXPECT_EQ(calls, 2);
}

// Node leaders: 7 ranks in two simulated nodes (ranks 0-3 and 4-6). Rank 4 leads node 1 and
// feeds ranks 5 and 6; the coordinator feeds ranks 1-3 itself.
RunOptions led(Order order) {
  RunOptions o = small_chunks(order);
  o.simulated_nodes = 2;
  o.plan.hierarchy = Hierarchy::leaders;
  return o;
}

struct ChunksByRank : Recorder {
  std::map<int, std::int64_t> items;
  std::vector<ChunkRecord> chunks;
  void on_chunk(const ChunkRecord& c) override {
    items[c.rank] += c.count;
    chunks.push_back(c);
  }
};

TEST(MpiRun, NodeLeadersDeliverExactlyOnceAndInOrder) {
  const std::int64_t n = 20000;
  RunOptions o = led(Order::ordered);
  ChunksByRank by_rank;
  o.recorder = &by_rank;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_EQ(r.plan.hierarchy, Hierarchy::leaders);
  ASSERT_EQ(r.plan.nodes.size(), 2u);
  EXPECT_TRUE(r.plan.nodes[1].leader);
  EXPECT_EQ(r.plan.nodes[1].workers, 2);
  EXPECT_TRUE(d.exactly_once());
  EXPECT_TRUE(d.in_order());
  EXPECT_EQ(r.delivered, n);
  EXPECT_EQ(by_rank.items.count(4), 0u) << "the leader ran items";
  EXPECT_GT(by_rank.items[5], 0);
  EXPECT_GT(by_rank.items[6], 0);
  std::int64_t logged = 0;
  for (const auto& [rank, items] : by_rank.items) logged += items;
  EXPECT_EQ(logged + r.sampled, n) << "every chunk is recorded once, as it ran";
  EXPECT_EQ(std::int64_t(by_rank.chunks.size()), r.chunks);
  for (const auto& c : by_rank.chunks) {  // one machine, one clock: times must nest
    EXPECT_LE(c.dispatch_seconds, c.start_seconds) << "chunk " << c.first;
    EXPECT_LE(c.start_seconds, c.end_seconds) << "chunk " << c.first;
    EXPECT_LE(c.end_seconds, c.receive_seconds) << "chunk " << c.first;
  }
}

// Items predicted to finish late start first, longest first, one per chunk; every item is
// still delivered once, with its own index, and in order when ordered - flat and with leaders.
void heavy_items_first(RunOptions o, bool ordered) {
  const std::int64_t n = 3000;
  // Items 2990 and 2995 are long, and last: started in order they would end the run late.
  auto fn = [](std::int64_t i) {
    busy_wait(i == 2990 ? 0.06 : i == 2995 ? 0.05 : 20e-6);
    return i * 3;
  };
  WorkloadProfile p;
  p.item_seconds_mean = (0.11 + 20e-6 * (n - 2)) / n;
  p.item_seconds_cv = 5;
  p.sample_count = 0;
  p.source = "test";
  p.validate_and_complete();
  o.profile = p;
  o.plan.order = ordered ? Order::ordered : Order::unordered;
  o.predicted_work_seconds = 0.11 + 20e-6 * (n - 2);
  o.heavy_items = {{2995, 0.05, 20e-6 * 2994 + 0.06},
                   {2990, 0.06, 20e-6 * 2990},
                   {17, 20e-6, 20e-6 * 17}};  // 17 is short: it stays in order
  ChunksByRank chunks;
  o.recorder = &chunks;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), fn, [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  if (ordered) EXPECT_TRUE(d.in_order());
  EXPECT_EQ(r.delivered, n);
  bool said = false;
  for (const auto& reason : r.plan.reasons) said = said || reason.find("started first") == 0;
  if (r.plan.serial || r.plan.workers < 2) {  // one worker: the order changes nothing
    EXPECT_FALSE(said);
    return;
  }
  EXPECT_TRUE(said) << "the plan says what started first";
  ASSERT_GE(chunks.chunks.size(), 2u);
  std::sort(chunks.chunks.begin(), chunks.chunks.end(),
            [](const ChunkRecord& a, const ChunkRecord& b) { return a.seq < b.seq; });
  std::vector<std::int64_t> first_two;
  for (const auto& c : chunks.chunks) {
    if (c.first == 2990 || c.first == 2995) {
      EXPECT_EQ(c.count, 1) << "a heavy item goes alone";
      first_two.push_back(c.seq);
    }
    // Every chunk is one range of the source, and the heavy items are not in them again.
    for (std::int64_t heavy : {2990, 2995})
      if (c.count > 1) EXPECT_FALSE(c.first <= heavy && heavy < c.first + c.count) << c.first;
  }
  ASSERT_EQ(first_two.size(), 2u);
  const std::int64_t lowest = chunks.chunks.front().seq;
  EXPECT_LE(std::max(first_two[0], first_two[1]), lowest + 1)
      << "the heavy items went first: " << r.plan.explain();
}

TEST(MpiRun, HeavyItemsStartFirstAndDeliveryStaysExact) {
  heavy_items_first(small_chunks(Order::ordered), true);
  heavy_items_first(small_chunks(Order::unordered), false);
}

TEST(MpiRun, HeavyItemsStartFirstWithNodeLeaders) {
  heavy_items_first(led(Order::ordered), true);
}

// RunOptions::record_items: every item's time reaches the recorder once, under its own index
// (sampled items, chunks, leaders' batches, items started first and throwing items alike).
struct ItemTimes : Recorder {
  std::vector<int> seen;
  std::vector<double> seconds;
  std::vector<int> status;
  explicit ItemTimes(std::int64_t n)
      : seen(std::size_t(n)), seconds(std::size_t(n)), status(std::size_t(n)) {}
  void on_task(const TaskRecord& t) override {
    if (t.item < 0 || t.item >= std::int64_t(seen.size())) return;
    ++seen[std::size_t(t.item)];
    seconds[std::size_t(t.item)] = t.seconds;
    status[std::size_t(t.item)] = t.status;
  }
};

void items_are_recorded(RunOptions o) {
  const std::int64_t n = 4000;
  ItemTimes times(n);
  o.recorder = &times;
  o.record_items = true;
  o.fail_fast = false;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        if (i == 1234) throw std::runtime_error("bad");
        busy_wait(i == 3999 ? 2e-3 : 10e-6);
        return i * 3;
      },
      [](std::int64_t, std::int64_t) {}, o);
  if (rank() != 0) return;
  EXPECT_EQ(r.items, n);
  for (std::int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(times.seen[std::size_t(i)], 1) << "item " << i;
    EXPECT_EQ(times.status[std::size_t(i)], i == 1234 ? 1 : 0) << "item " << i;
  }
  EXPECT_GE(times.seconds[3999], 2e-3) << "item 3999 was timed as item 3999";
  EXPECT_LT(times.seconds[3998], 2e-3);
}

TEST(MpiRun, EveryItemsTimeIsRecordedOnceUnderItsIndex) {
  items_are_recorded(small_chunks(Order::unordered));
  RunOptions first = small_chunks(Order::ordered);
  WorkloadProfile p;
  p.item_seconds_mean = 12e-6;
  p.sample_count = 0;
  p.source = "test";
  p.validate_and_complete();
  first.profile = p;
  first.predicted_work_seconds = 0.05;
  first.heavy_items = {{3999, 0.01, 0.04}};
  items_are_recorded(first);
}

TEST(MpiRun, EveryItemsTimeIsRecordedOnceWithNodeLeaders) {
  items_are_recorded(led(Order::ordered));
}

// Sampling draws items from the whole of a source of known size (one per stratum, spread
// out), runs none twice, and delivers them in order; without sample_spread, the first items.
void sample_spread(bool spread, Order order) {
  const std::int64_t n = 8000;
  struct Samples : Recorder {
    std::vector<std::int64_t> items;
    void on_sample(const SampleRecord& s) override { items.push_back(s.item); }
  } samples;
  RunOptions o = small_chunks(order);
  o.recorder = &samples;
  o.sample_spread = spread;
  o.sample_min_items = 16;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  if (order == Order::ordered) EXPECT_TRUE(d.in_order());
  ASSERT_GE(samples.items.size(), 16u);
  EXPECT_EQ(std::int64_t(samples.items.size()), r.sampled);
  const auto [low, high] = std::minmax_element(samples.items.begin(), samples.items.end());
  if (spread) {
    EXPECT_LT(*low, n / 8) << "the sample should reach the start";
    EXPECT_GT(*high, n - n / 8) << "and the end of the source";
    // 64 strata (n / 2 and sample_max_items allowing): as many items from each (give or take
    // the round begun when the sample was judged), one block of the source in each.
    std::int64_t s = 1;
    while (2 * s <= std::min<std::int64_t>({64, o.sample_max_items, n / 2})) s *= 2;
    std::map<std::int64_t, std::vector<std::int64_t>> strata;
    for (auto i : samples.items) strata[i * s / n].push_back(i);
    if (r.sampled >= s) EXPECT_EQ(std::int64_t(strata.size()), s);
    for (auto& [stratum, items] : strata) {
      std::sort(items.begin(), items.end());
      EXPECT_GE(std::int64_t(items.size()), std::max<std::int64_t>(1, r.sampled / s))
          << "stratum " << stratum;
      EXPECT_LE(std::int64_t(items.size()), r.sampled / s + 1) << "stratum " << stratum;
      EXPECT_EQ(items.back() - items.front() + 1, std::int64_t(items.size()))
          << "stratum " << stratum << " holds one block";
    }
  } else {
    EXPECT_EQ(*low, 0);
    EXPECT_EQ(*high, r.sampled - 1);
  }
}

TEST(MpiRun, SamplingSpreadsOverTheWholeSource) {
  sample_spread(true, Order::ordered);
  sample_spread(true, Order::unordered);
  sample_spread(false, Order::ordered);
}

TEST(MpiRun, NodeLeadersReportThrowingItemsAndDeliverTheRest) {
  const std::int64_t n = 6000;
  std::int64_t delivered = 0;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        if (i % 1000 == 999) throw std::runtime_error("bad item " + std::to_string(i));
        return jittery(i);
      },
      [&](std::int64_t, std::int64_t) { ++delivered; }, led(Order::unordered));
  if (rank() != 0) return;
  EXPECT_EQ(r.plan.hierarchy, Hierarchy::leaders);
  ASSERT_EQ(r.failures.size(), 6u);
  for (const auto& f : r.failures) {
    EXPECT_EQ(f.index % 1000, 999);
    EXPECT_EQ(f.message, "bad item " + std::to_string(f.index));
  }
  EXPECT_EQ(delivered, n - 6);
}

TEST(MpiRun, NodeLeadersHoldBackpressure) {
  // Node 1 (ranks 4-6, led by rank 4) under memory pressure: nothing is sent to its leader
  // meanwhile, and sending resumes after.
  const std::int64_t n = 40000;
  RunOptions o = led(Order::unordered);
  PressureDrill drill(o, 4);
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_EQ(r.plan.hierarchy, Hierarchy::leaders);
  EXPECT_TRUE(d.exactly_once());
  drill.check();
}

TEST(MpiRun, AutomaticHierarchyStaysFlatOnOneNode) {
  const std::int64_t n = 2000;
  Delivery d(n);
  RunOptions o = small_chunks(Order::ordered);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), jittery,
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_EQ(r.plan.hierarchy, Hierarchy::flat);
  EXPECT_TRUE(d.exactly_once());
}

TEST(MpiRun, SerializesStringsAndVectors) {
  std::vector<std::string> words = {"alpha", "beta", "gamma", "", "delta"};
  for (int i = 0; i < 500; ++i) words.push_back(std::string(std::size_t(i % 17), 'x'));
  std::vector<std::vector<int>> got(words.size());
  const RunReport r = run(
      MPI_COMM_WORLD, source::container(words),
      [](const std::string& w) { return std::vector<int>(w.begin(), w.end()); },
      [&](std::int64_t i, std::vector<int> v) { got[std::size_t(i)] = std::move(v); },
      small_chunks(Order::automatic));
  if (rank() != 0) return;
  EXPECT_EQ(r.delivered, std::int64_t(words.size()));
  for (std::size_t i = 0; i < words.size(); ++i)
    ASSERT_EQ(got[i], std::vector<int>(words[i].begin(), words[i].end())) << i;
}

TEST(MpiRun, AMisleadingFirstSampleDoesNotKeepTheRunSerial) {
  // The first 300 items take nothing, so the sample says "run serially"; the rest take 100 us.
  const std::int64_t n = 20000;
  struct Ranks : Recorder {
    std::int64_t on_workers = 0;
    void on_chunk(const ChunkRecord& c) override { on_workers += c.rank != 0; }
  } ranks_seen;
  RunOptions o;
  o.recorder = &ranks_seen;
  Delivery d(n);
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n),
      [](std::int64_t i) {
        if (i >= 300) busy_wait(100e-6);
        return 3 * i;
      },
      [&](std::int64_t i, std::int64_t v) { d(i, v); }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(d.exactly_once());
  EXPECT_TRUE(d.in_order());
  EXPECT_FALSE(r.plan.serial);
  EXPECT_GT(ranks_seen.on_workers, 0) << "no chunk ever went to another rank";
}

TEST(MpiRun, TinyWorkloadRunsSeriallyOnRankZero) {
  std::int64_t delivered = 0;
  RunOptions o;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, 50), [](std::int64_t i) { return i; },
      [&](std::int64_t, std::int64_t) { ++delivered; }, o);
  if (rank() != 0) return;
  EXPECT_TRUE(r.plan.serial);
  EXPECT_EQ(delivered, 50);
}

}  // namespace
}  // namespace amorsize
