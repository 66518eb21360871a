// Checks that the simulated per-message CPU costs (smpi/os, smpi/ois, smpi/or) take effect:
// rank 0 and rank 1 exchange ROUND_TRIPS small messages with MPI_Send/MPI_Recv, then with
// MPI_Isend/MPI_Recv (what amorsize's coordinator uses), and rank 0 prints the simulated time
// of one round trip of each. Run with two ranks, under smpirun (bench/sim/README.md):
//   smpirun -np 2 -platform P.xml -hostfile P.hosts FLAGS build-smpi/bench/sim/pingpong 1000
#include <mpi.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr int kTag = 7;
constexpr int kDefaultRoundTrips = 1000;

// One round trip: rank 0 sends 8 bytes and waits for them back.
double round_trips(int rank, int count, bool nonblocking) {
  double payload = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (int i = 0; i < count; ++i) {
    const int peer = 1 - rank;
    if (rank == 0) {
      if (nonblocking) {
        MPI_Request request;
        MPI_Isend(&payload, 1, MPI_DOUBLE, peer, kTag, MPI_COMM_WORLD, &request);
        MPI_Wait(&request, MPI_STATUS_IGNORE);
      } else {
        MPI_Send(&payload, 1, MPI_DOUBLE, peer, kTag, MPI_COMM_WORLD);
      }
      MPI_Recv(&payload, 1, MPI_DOUBLE, peer, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(&payload, 1, MPI_DOUBLE, peer, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&payload, 1, MPI_DOUBLE, peer, kTag, MPI_COMM_WORLD);
    }
  }
  return (MPI_Wtime() - start) / count;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int count = argc > 1 ? std::atoi(argv[1]) : kDefaultRoundTrips;
  if (size != 2 || count < 1) {
    if (rank == 0) std::fprintf(stderr, "pingpong: run on 2 ranks with ROUND_TRIPS >= 1\n");
    MPI_Finalize();
    return 2;
  }
  const double blocking = round_trips(rank, count, false);
  const double nonblocking = round_trips(rank, count, true);
  if (rank == 0)
    std::printf(
        "{\"round_trips\": %d, \"send_recv_round_trip_s\": %.9g, "
        "\"isend_recv_round_trip_s\": %.9g}\n",
        count, blocking, nonblocking);
  MPI_Finalize();
  return 0;
}
