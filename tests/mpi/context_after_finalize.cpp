// Destroys a Context after MPI_Finalize: amorsize must say so (and abort), not crash in MPI.
#include <mpi.h>

#include <optional>

#include "amorsize/context.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  std::optional<amorsize::Context> ctx;
  ctx.emplace(MPI_COMM_WORLD);
  MPI_Finalize();
  ctx.reset();
  return 0;
}
