// amorsize from C++ with Boost.MPI: a run whose results come back to rank 0, then loops on a
// context, both on a boost::mpi::communicator (it converts to the MPI_Comm amorsize takes).
//   mpirun -np 3 ./boost_mpi
#include <amorsize/context.hpp>
#include <amorsize/run.hpp>
#include <amorsize/workload.hpp>
#include <boost/mpi.hpp>
#include <cmath>
#include <cstdint>
#include <iostream>

double simulate(std::int64_t i) {
  amorsize::busy_wait(50e-6 * (1 + i % 7));  // uneven items
  return std::sqrt(double(i));
}

int main(int argc, char** argv) {
  boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled);
  boost::mpi::communicator world;
  const std::int64_t n = 1000;
  double sum = 0;
  std::int64_t results = 0;
  auto report = amorsize::run(
      world, amorsize::source::range(0, n),        // items 0..n-1
      [](std::int64_t i) { return simulate(i); },  // on every rank's workers
      [&](std::int64_t, double r) {
        sum += r;
        ++results;
      });  // on rank 0
  if (world.rank() == 0)
    std::cout << "boost_mpi: " << results << " results, sum " << std::lround(sum) << ", "
              << report.plan.workers << " workers\n";

  amorsize::Context ctx(world);  // once; then a loop per step, every rank computing
  std::int64_t mine = 0;
  for (int step = 0; step < 5; ++step) {
    amorsize::Loop loop(ctx, 0, n, {"steps"});
    std::int64_t lo, hi;
    while (loop.next(lo, hi)) mine += hi - lo;
    loop.end();
  }
  const std::int64_t all = boost::mpi::all_reduce(world, mine, std::plus<std::int64_t>());
  if (world.rank() == 0) std::cout << "boost_mpi: 5 loops of " << n << " items: " << all << "\n";
}
