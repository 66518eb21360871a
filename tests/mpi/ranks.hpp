#pragma once
// This process's rank in MPI_COMM_WORLD, and their number: for the MPI tests.
#include <mpi.h>

inline int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline int ranks() {
  int n = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}
