/* A time-stepping code in C that hands its loop over cells to amorsize every step.
 *
 * Each step updates N cells. A cell's cost is uneven - a bump of heavy cells - and the bump
 * drifts across the range from step to step, so a fixed split of the cells would leave ranks
 * idle. Every rank computes; amorsize hands out the ranges and plans each step from the last.
 *
 *   mpicc time_steps.c $(pkg-config --cflags --libs amorsize) -o time_steps
 *   mpirun -np 3 ./time_steps [STEPS] [CELLS]
 *
 * Prints the checksum of all cell values (their xor: the same on any number of ranks) and the
 * loop's statistics. */
#include <amorsize.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The work of cell i at step s: 200 to 2,000 rounds of xorshift, heavy near a moving bump.
 * (examples/fortran/time_steps.f90 computes the same, bit for bit.) */
static uint64_t update(int64_t i, int step, int steps, int64_t cells) {
  const double center = cells * (0.2 + 0.6 * step / (double)(steps > 1 ? steps - 1 : 1));
  const double d = (i - center) / (0.05 * cells);
  const int rounds = 200 + (int)(1800 * exp(-d * d));
  uint64_t x = (uint64_t)i * 2654435761u + (uint64_t)step + 1;
  for (int r = 0; r < rounds; ++r) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int steps = argc > 1 ? atoi(argv[1]) : 50;
  const int64_t cells = argc > 2 ? atoll(argv[2]) : 20000;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);

  amorsize_context ctx;
  if (amorsize_context_create(MPI_COMM_WORLD, &ctx) != AMORSIZE_OK) {
    fprintf(stderr, "time_steps: %s\n", amorsize_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  uint64_t checksum = 0; /* this rank's part: the xor of its cells' values, every step */
  int64_t items = 0;
  int from_history = 0;
  double efficiency = 0;
  for (int step = 0; step < steps; ++step) {
    amorsize_loop loop;
    if (amorsize_loop_begin(ctx, 0, cells, "cells", &loop) != AMORSIZE_OK) {
      fprintf(stderr, "time_steps: %s\n", amorsize_last_error());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int64_t lo, hi;
    int more;
    while (amorsize_loop_next(loop, &lo, &hi, &more) == AMORSIZE_OK && more)
      for (int64_t i = lo; i < hi; ++i) checksum ^= update(i, step, steps, cells);
    amorsize_loop_stats stats;
    if (amorsize_loop_end(loop, &stats) != AMORSIZE_OK) {
      fprintf(stderr, "time_steps: %s\n", amorsize_last_error());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    items += stats.items;
    from_history += stats.from_history;
    efficiency = stats.efficiency;
  }
  uint64_t total = 0;
  int64_t all_items = 0;
  MPI_Reduce(&checksum, &total, 1, MPI_UINT64_T, MPI_BXOR, 0, MPI_COMM_WORLD);
  MPI_Reduce(&items, &all_items, 1, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0)
    printf(
        "time_steps: %d steps of %lld cells: checksum %llu, %lld items, %d steps planned "
        "from the one before; last step efficiency %.2f\n",
        steps, (long long)cells, (unsigned long long)total, (long long)all_items, from_history,
        efficiency);
  amorsize_context_destroy(ctx);
  MPI_Finalize();
  return 0;
}
