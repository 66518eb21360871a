// Rank 1 throws between next() calls, leaving the loop without end(): amorsize must abort the
// job with a message saying so, not leave rank 0 waiting forever.
#include <mpi.h>

#include <cstdio>
#include <stdexcept>

#include "amorsize/context.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    amorsize::Context ctx(MPI_COMM_WORLD);
    try {
      amorsize::Loop loop(ctx, 0, 1000, {"failing"});
      std::int64_t lo = 0, hi = 0;
      while (loop.next(lo, hi))
        if (ctx.rank() == 1) throw std::runtime_error("the caller's code failed");
      loop.end();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "caught: %s\n", e.what());
    }
  }
  MPI_Finalize();
  return 0;
}
