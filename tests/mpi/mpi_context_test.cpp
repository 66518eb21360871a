// A Context for repeated calls: a second run does not sample and plans from the first; a loop
// covers its range exactly once on every call, plans from its previous call, and re-adapts
// when the work moves. Every test runs on all ranks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <string>
#include <vector>

#include <unistd.h>

#include <cstdio>
#include <optional>
#include <set>

#include "amorsize/context.hpp"
#include "amorsize/history.hpp"
#include "amorsize/run.hpp"
#include "amorsize/workload.hpp"
#include "ranks.hpp"

namespace amorsize {
namespace {

TEST(MpiContext, ASecondRunOnAContextDoesNotSampleAndPlansFromTheFirst) {
  Context ctx(MPI_COMM_WORLD);
  const std::int64_t n = 4000;
  RunOptions o;
  o.allow_serial = false;
  o.name = "sweep";
  std::vector<RunReport> reports;
  for (int call = 0; call < 2; ++call) {
    std::vector<int> seen(std::size_t(n), 0);
    reports.push_back(run(
        ctx, source::range(0, n),
        [](std::int64_t i) {
          busy_wait(100e-6);
          return i;
        },
        [&](std::int64_t i, std::int64_t v) { seen[std::size_t(i)] += v == i; }, o));
    if (rank() == 0) {
      for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[std::size_t(i)], 1) << i;
    }
  }
  if (rank() != 0) return;
  EXPECT_GT(reports[0].sampled, 0);
  EXPECT_EQ(reports[1].sampled, 0) << "the second call sampled";
  std::string reasons;
  for (const auto& r : reports[1].plan.reasons) reasons += r + "\n";
  EXPECT_NE(reasons.find("planned from the previous run of \"sweep\" on this context"),
            std::string::npos)
      << reasons;
  // Measured in the first run (wall time: ranks sharing cores stretch it).
  EXPECT_GT(reports[1].plan.item_seconds_mean, 80e-6);
  EXPECT_LT(reports[1].plan.item_seconds_mean, 400e-6);
}

// Each run on a context reads the nodes' memory again: 512 MiB taken on rank 0's node between
// two runs lowers its memory budget in the second plan.
TEST(MpiContext, ARunOnAContextReadsMemoryAgain) {
  Context ctx(MPI_COMM_WORLD);
  const auto once = [&] {
    RunOptions o;
    o.allow_serial = false;
    return run(
        ctx, source::range(0, 200),
        [](std::int64_t i) {
          busy_wait(50e-6);
          return i;
        },
        [](std::int64_t, std::int64_t) {}, o);
  };
  const RunReport before = once();
  std::vector<char> held;
  if (rank() == 0) held.assign(std::size_t(512) << 20, 1);  // written: resident
  const RunReport after = once();
  if (rank() != 0) return;
  ASSERT_FALSE(before.plan.nodes.empty());
  const double drop = double(before.plan.nodes[0].memory_budget_bytes) -
                      double(after.plan.nodes[0].memory_budget_bytes);
  EXPECT_GT(drop, 200.0 * (1 << 20)) << "the second plan did not see 512 MiB go";
  EXPECT_EQ(held.back(), 1);
}

// Runs back to back on one communicator, each ending through the ending tree while the last
// results are still racing to rank 0: every run delivers each item once, and no message of one
// run is left for the next (it would be a result for a chunk not out, or a second delivery).
TEST(MpiContext, RunsBackToBackEndCleanly) {
  Context ctx(MPI_COMM_WORLD);
  const std::int64_t n = 300;
  for (int call = 0; call < 40; ++call) {
    RunOptions o;
    o.allow_serial = false;
    o.plan.order = call % 2 ? Order::ordered : Order::unordered;
    std::vector<int> seen(std::size_t(n), 0);
    const RunReport r = run(
        ctx, source::range(0, n),
        [](std::int64_t i) {
          busy_wait(i % 7 == 0 ? 200e-6 : 20e-6);
          return i;
        },
        [&](std::int64_t i, std::int64_t v) { seen[std::size_t(i)] += v == i; }, o);
    if (rank() != 0) continue;
    for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[std::size_t(i)], 1) << "run " << call;
    ASSERT_EQ(r.items, n);
  }
}

// Every index of [first, last) exactly once over all ranks, on every call.
void expect_each_index_once(const std::vector<int>& mine) {
  std::vector<int> all(mine.size(), 0);
  MPI_Allreduce(mine.data(), all.data(), int(mine.size()), MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], 1) << "index " << i;
}

TEST(MpiContext, ALoopGivesEveryIndexOnceOnEveryCallAndPlansFromThePrevious) {
  Context ctx(MPI_COMM_WORLD);
  const std::int64_t first = 100, last = 5100;
  for (int call = 0; call < 4; ++call) {
    std::vector<int> mine(std::size_t(last - first), 0);
    Loop loop(ctx, first, last, {"cover"});
    std::int64_t lo = 0, hi = 0;
    while (loop.next(lo, hi)) {
      ASSERT_LE(first, lo);
      ASSERT_LT(lo, hi);
      ASSERT_LE(hi, last);
      for (std::int64_t i = lo; i < hi; ++i) {
        busy_wait(uniform01(3, std::uint64_t(i)) * 40e-6);
        ++mine[std::size_t(i - first)];
      }
    }
    const LoopStats s = loop.end();
    expect_each_index_once(mine);
    EXPECT_GT(s.ranges, 0) << "rank " << rank() << " computed nothing";
    if (rank() == 0) {
      EXPECT_EQ(s.from_history, call > 0) << "call " << call;
    }
  }
  // An empty loop ends at once.
  Loop empty(ctx, 7, 7, {"empty"});
  std::int64_t lo = 0, hi = 0;
  EXPECT_FALSE(empty.next(lo, hi));
  empty.end();
}

// The expensive half of the range moves after call 2. Rank 0's block is the first one: while
// the first half is expensive it covers part of it; once the expensive half is the second, the
// plan (from the previous call) gives it all of the first half and more.
TEST(MpiContext, ALoopWhoseWorkMovesReadapts) {
  Context ctx(MPI_COMM_WORLD);
  const std::int64_t n = 4000;
  std::vector<std::int64_t> first_half;  // items of the first half rank 0 ran, per call
  for (int call = 0; call < 6; ++call) {
    const bool first_half_heavy = call < 3;
    std::vector<int> mine(std::size_t(n), 0);
    Loop loop(ctx, 0, n, {"moving"});
    std::int64_t lo = 0, hi = 0;
    while (loop.next(lo, hi)) {
      for (std::int64_t i = lo; i < hi; ++i) {
        busy_wait(((i < n / 2) == first_half_heavy) ? 100e-6 : 5e-6);
        ++mine[std::size_t(i)];
      }
    }
    loop.end();
    expect_each_index_once(mine);
    first_half.push_back(std::count(mine.begin(), mine.begin() + n / 2, 1));
  }
  if (rank() != 0 || ranks() < 2) return;
  EXPECT_EQ(first_half[5], n / 2) << "rank 0's block no longer starts with the cheap half";
  EXPECT_LT(first_half[2], 6 * n / 20)  // its block: 1 / ranks of the cost, 0.9 of it static
      << "rank 0 ran " << first_half[2] << " of the expensive first half's " << n / 2 << " items";
}

// A call recorded by a TimingLog on rank 0 reads back like a run: every range as a chunk, on
// every rank, covering the range once.
TEST(MpiContext, ALoopCallIsLoggedLikeARun) {
  Context ctx(MPI_COMM_WORLD);
  std::int64_t pid = ::getpid();
  MPI_Bcast(&pid, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  const std::string shared = "/tmp/amorsize-loop-log-" + std::to_string(pid) + ".h5";
  std::optional<TimingLog> log;
  if (rank() == 0) log.emplace(shared, "loop:update", "mpi_context_test");
  LoopOptions o{"update"};
  o.recorder = rank() == 0 ? &*log : nullptr;
  Loop loop(ctx, 0, 3000, o);
  std::int64_t lo = 0, hi = 0;
  while (loop.next(lo, hi))
    for (std::int64_t i = lo; i < hi; ++i) busy_wait(20e-6);
  const LoopStats s = loop.end();
  if (rank() != 0) return;
  log->finish(s.report, "complete");
  const LoggedRun run = read_run(shared);
  std::remove(shared.c_str());
  EXPECT_EQ(run.summary.items, 3000);
  EXPECT_GT(run.summary.makespan_seconds, 0);
  EXPECT_GT(run.summary.efficiency, 0);
  std::vector<int> seen(3000, 0);
  std::set<int> ranks_seen;
  for (const auto& c : run.chunks) {
    for (std::int64_t i = c.first; i < c.first + c.count; ++i) ++seen[std::size_t(i)];
    ranks_seen.insert(c.rank);
    EXPECT_GE(c.start_seconds, -0.001) << "a range before the call began";
    EXPECT_LE(c.end_seconds, run.summary.makespan_seconds + 0.001);
  }
  for (int v : seen) ASSERT_EQ(v, 1);
  EXPECT_EQ(int(ranks_seen.size()), ranks());
}

TEST(MpiContext, EndBeforeTheLastRangeIsAnError) {
  Context ctx(MPI_COMM_WORLD);
  Loop loop(ctx, 0, 100, {"misuse"});
  EXPECT_THROW(loop.end(), invalid_argument);
  std::int64_t lo = 0, hi = 0;
  while (loop.next(lo, hi)) {
  }
  loop.end();
}

}  // namespace
}  // namespace amorsize
