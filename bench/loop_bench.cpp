// Repeated loops, the way a time-stepping code calls them: CALLS calls in a row of a loop of
// N items whose cost rises with the index (a ramp from 0 to twice the mean: the second half
// holds three quarters of the work), WORK seconds of it per call. Three ways, in one run:
//   context  amorsize::Loop on one amorsize::Context (begin / next / end)
//   static   what codes write by hand: rank r takes the r-th of P equal blocks
//   run      a fresh amorsize::run per call (discovery, sampling, planning every time)
// Every call starts and ends with a barrier; its time is rank 0's, from the first barrier to
// the second. The bound is the call's work over the ranks. Prints one JSON object: per way,
// the median and the 10th/90th percentiles of (time - bound) and of bound / time, over the
// calls after the first.
//   mpirun -np 2 loop_bench [CALLS] [N] [WORK_SECONDS] [RUN_CALLS]
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "amorsize/context.hpp"
#include "amorsize/run.hpp"
#include "amorsize/workload.hpp"

namespace {

struct Way {
  std::vector<double> seconds;
  std::vector<double> wait;  // context: the most any rank waited for a range
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::size_t(p * double(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int calls = argc > 1 ? std::atoi(argv[1]) : 500;
  const std::int64_t n = argc > 2 ? std::atoll(argv[2]) : 2000;
  const double work = argc > 3 ? std::atof(argv[3]) : 0.02;
  const int run_calls = argc > 4 ? std::atoi(argv[4]) : 20;
  const double mean = work / double(n);
  const auto cost = [&](std::int64_t i) { return 2 * mean * (double(i) + 0.5) / double(n); };
  const double bound = work / size;

  Way context_way, static_way, run_way;
  const auto timed = [&](Way& way, auto&& body) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    body();
    MPI_Barrier(MPI_COMM_WORLD);
    way.seconds.push_back(MPI_Wtime() - t0);
  };

  double setup = 0, first_remote = 0;
  {
    const double t0 = MPI_Wtime();
    amorsize::Context ctx(MPI_COMM_WORLD);
    setup = MPI_Wtime() - t0;
    {
      // The first run on the new context: how soon does another rank start an item? (Ranks of
      // one machine share the steady clock.)
      const auto steady = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
      };
      MPI_Barrier(MPI_COMM_WORLD);
      const double called = steady();
      double first = 1e300;
      amorsize::RunOptions o;
      o.allow_serial = false;
      amorsize::run(
          ctx, amorsize::source::range(0, n),
          [&](std::int64_t i) {
            if (rank != 0) first = std::min(first, steady());
            amorsize::busy_wait(cost(i));
            return i;
          },
          [](std::int64_t, std::int64_t) {}, o);
      double after = rank == 0 ? 1e300 : first - called, soonest = 0;
      MPI_Reduce(&after, &soonest, 1, MPI_DOUBLE, MPI_MIN, 0, MPI_COMM_WORLD);
      first_remote = soonest;
    }
    for (int c = 0; c < calls; ++c) {
      // The same loop the three ways, interleaved, so drifts of the machine hit them alike.
      timed(context_way, [&] {
        amorsize::Loop loop(ctx, 0, n, {"ramp"});
        std::int64_t lo = 0, hi = 0;
        while (loop.next(lo, hi))
          for (std::int64_t i = lo; i < hi; ++i) amorsize::busy_wait(cost(i));
        const amorsize::LoopStats s = loop.end();
        context_way.wait.push_back(s.max_wait_seconds);
      });
      timed(static_way, [&] {
        const std::int64_t lo = n * rank / size, hi = n * (rank + 1) / size;
        for (std::int64_t i = lo; i < hi; ++i) amorsize::busy_wait(cost(i));
      });
      if (c < run_calls)
        timed(run_way, [&] {
          amorsize::RunOptions o;
          o.allow_serial = false;
          amorsize::run(
              MPI_COMM_WORLD, amorsize::source::range(0, n),
              [&](std::int64_t i) {
                amorsize::busy_wait(cost(i));
                return i;
              },
              [](std::int64_t, std::int64_t) {}, o);
        });
    }
  }
  if (rank == 0) {
    std::printf(
        "{\"ranks\": %d, \"calls\": %d, \"items\": %lld, \"work_s\": %g, \"bound_s\": %g, "
        "\"context_setup_s\": %g, \"first_remote_item_s\": %g",
        size, calls, (long long)n, work, bound, setup, first_remote);
    for (auto [name, way] : {std::pair{"context", &context_way}, std::pair{"static", &static_way},
                             std::pair{"run", &run_way}}) {
      std::vector<double> over, eff;
      for (std::size_t c = 1; c < way->seconds.size(); ++c) {
        over.push_back(way->seconds[c] - bound);
        eff.push_back(bound / way->seconds[c]);
      }
      std::printf(
          ", \"%s\": {\"calls\": %zu, \"first_s\": %g, \"overhead_ms\": [%.4f, %.4f, %.4f], "
          "\"efficiency\": [%.4f, %.4f, %.4f]",
          name, way->seconds.size(), way->seconds.empty() ? 0 : way->seconds[0],
          1e3 * percentile(over, 0.1), 1e3 * percentile(over, 0.5), 1e3 * percentile(over, 0.9),
          percentile(eff, 0.1), percentile(eff, 0.5), percentile(eff, 0.9));
      if (!way->wait.empty())
        std::printf(", \"max_wait_ms\": [%.4f, %.4f, %.4f]", 1e3 * percentile(way->wait, 0.1),
                    1e3 * percentile(way->wait, 0.5), 1e3 * percentile(way->wait, 0.9));
      std::printf("}");
    }
    std::printf("}\n");
  }
  MPI_Finalize();
  return 0;
}
