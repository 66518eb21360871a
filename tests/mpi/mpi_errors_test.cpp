// The error model: an error outside an item - a sink or a source that throws on rank 0, an
// item a worker cannot unpack - ends the run on every rank within a second of the items they
// are running; `run` throws on every rank (rank 0 its own exception, the others an
// amorsize::error naming the failure), and the communicator is usable again at once.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <boost/serialization/string.hpp>
#include <stdexcept>
#include <string>

#include "amorsize/run.hpp"
#include "amorsize/workload.hpp"
#include "ranks.hpp"

namespace amorsize {
namespace {

constexpr double kItemSeconds = 100e-6;

std::int64_t item(std::int64_t i) {
  busy_wait(kItemSeconds);
  return 3 * i;
}

// When this rank threw (node clock), for the timing check; 1e300 where nothing threw.
double failed_at = 1e300;

struct Boom : std::runtime_error {
  explicit Boom(std::int64_t i) : std::runtime_error("boom at item " + std::to_string(i)) {
    failed_at = detail::node_clock_seconds();
  }
};

// The integers 0..n-1; asking for item `bad` throws.
struct ThrowingRange {
  using item_type = std::int64_t;
  std::int64_t n, bad, next_item = 0;
  std::optional<std::int64_t> size() const { return n; }
  std::optional<std::int64_t> next() {
    if (next_item == bad) throw Boom(bad);
    return next_item < n ? std::optional(next_item++) : std::nullopt;
  }
};

RunOptions options(bool leaders) {
  RunOptions o;
  o.plan.target_chunk_duration_seconds = 2e-3;  // many chunks: the failure meets a busy run
  o.allow_serial = false;
  if (leaders) {  // ranks 0-3 and 4-6; rank 4 feeds 5 and 6
    o.simulated_nodes = 2;
    o.plan.hierarchy = Hierarchy::leaders;
  }
  return o;
}

// Every rank's return after the first failure, on the node clock (one machine: one clock).
void expect_every_rank_returns_within_a_second() {
  double returned = detail::node_clock_seconds(), latest = 0, first = 0;
  MPI_Allreduce(&returned, &latest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(&failed_at, &first, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  ASSERT_LT(first, 1e300) << "nothing failed";
  EXPECT_LT(latest - first, 1.0 + kItemSeconds) << "a rank returned late";
  failed_at = 1e300;
}

// A run that completes, on the same communicator.
void expect_a_second_run_works() {
  const std::int64_t n = 3000;
  std::int64_t delivered = 0;
  bool right = true;
  const RunReport r = run(
      MPI_COMM_WORLD, source::range(0, n), item,
      [&](std::int64_t i, std::int64_t v) {
        right &= v == 3 * i && i == delivered;
        ++delivered;
      },
      options(false));
  if (rank() != 0) return;
  EXPECT_EQ(delivered, n);
  EXPECT_TRUE(right);
  EXPECT_EQ(r.delivered, n);
}

void sink_and_source_failures(bool leaders) {
  const std::int64_t n = 4000;
  struct Moment {
    const char* name;
    std::int64_t item;
  };
  for (const Moment when :
       {Moment{"while sampling", 1}, Moment{"mid-run", n / 2}, Moment{"on the last item", n - 1}}) {
    for (const bool in_sink : {true, false}) {
      SCOPED_TRACE(std::string(in_sink ? "the sink" : "the source") + " throws " + when.name);
      bool threw = false;
      try {
        run(
            MPI_COMM_WORLD, ThrowingRange{n, in_sink ? n : when.item}, item,
            [&](std::int64_t i, std::int64_t) {
              if (in_sink && i == when.item) throw Boom(i);
            },
            options(leaders));
      } catch (const Boom& e) {  // rank 0: the original exception
        threw = true;
        EXPECT_EQ(rank(), 0);
        EXPECT_EQ(std::string(e.what()), "boom at item " + std::to_string(when.item));
      } catch (const error& e) {  // the others: rank 0's failure, named
        threw = true;
        EXPECT_NE(rank(), 0);
        EXPECT_NE(std::string(e.what()).find("rank 0 failed: boom at item"), std::string::npos)
            << e.what();
      }
      EXPECT_TRUE(threw) << "run returned on rank " << rank();
      expect_every_rank_returns_within_a_second();
      expect_a_second_run_works();
    }
  }
}

TEST(MpiErrors, ASinkOrSourceThatThrowsEndsTheRunOnEveryRank) {
  sink_and_source_failures(false);
}

TEST(MpiErrors, ASinkOrSourceThatThrowsEndsTheRunOnEveryRankWithNodeLeaders) {
  sink_and_source_failures(true);
}

// Items from 2000 on cannot be unpacked on the worker ranks (rank 0 reads them well): outside
// the item's own `try`, so a worker rank fails. Rank 0's threads may run some of them, but not
// all 2000 before a worker meets one.
struct Fragile {
  std::int64_t value = 0;
  std::string padding;  // not trivially copyable: it travels through Boost.Serialization
  template <class Archive>
  void serialize(Archive& ar, unsigned) {
    ar& value& padding;
    if (Archive::is_loading::value && value >= 2000 && rank() != 0) {
      failed_at = std::min(failed_at, detail::node_clock_seconds());
      throw std::runtime_error("cannot unpack item " + std::to_string(value));
    }
  }
};

void worker_failure(bool leaders) {
  std::vector<Fragile> items(4000);
  for (std::size_t i = 0; i < items.size(); ++i) items[i].value = std::int64_t(i);
  bool threw = false;
  try {
    run(
        MPI_COMM_WORLD, source::container(items),
        [](const Fragile& f) {
          busy_wait(kItemSeconds);
          return f.value;
        },
        [](std::int64_t, std::int64_t) {}, options(leaders));
  } catch (const std::exception& e) {
    threw = true;
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot unpack item"), std::string::npos) << what;
    if (rank() == 0) {  // names the worker rank that failed
      EXPECT_NE(what.find("rank "), std::string::npos) << what;
      EXPECT_EQ(what.find("rank 0 "), std::string::npos) << what;
    }
  }
  EXPECT_TRUE(threw) << "run returned on rank " << rank();
  expect_every_rank_returns_within_a_second();
  expect_a_second_run_works();
}

TEST(MpiErrors, AWorkerThatFailsOutsideAnItemEndsTheRunOnEveryRank) {
  worker_failure(false);
}

TEST(MpiErrors, AWorkerThatFailsOutsideAnItemEndsTheRunOnEveryRankWithNodeLeaders) {
  worker_failure(true);
}

}  // namespace
}  // namespace amorsize
