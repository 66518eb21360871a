// An MPI code that hands its loop to amorsize::run (run here as an MPI singleton).
#include <amorsize/run.hpp>
#include <iostream>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  double sum = 0;
  const auto report = amorsize::run(
      MPI_COMM_WORLD, amorsize::source::range(0, 1000),
      [](std::int64_t i) { return 0.5 * double(i); }, [&](std::int64_t, double r) { sum += r; });
  std::cout << "runtime consumer: " << report.delivered << " results, sum " << sum << "\n";
  MPI_Finalize();
  return report.delivered == 1000 && sum == 0.5 * 999 * 1000 / 2 ? 0 : 1;
}
