#pragma once
// What a Context keeps between calls: its transport (a private communicator), the layout and
// clocks found once, and, on rank 0, what earlier calls of each run and loop name measured.
#include <deque>
#include <map>
#include <string>

#include "amorsize/context.hpp"
#include "amorsize/profile.hpp"
#include "discovery.hpp"
#include "loop_plan.hpp"
#include "mpi.hpp"

namespace amorsize::detail {

struct ContextState {
  ContextState(MPI_Comm comm, const ContextOptions& options);

  Transport transport;
  Layout layout;
  Clocks clocks;
  int simulated_nodes = 0;
  double setup_seconds = 0;
  std::int64_t loops_begun = 0;                 // every rank: numbers each loop call
  std::deque<Message> early;                    // rank 0: loop messages of a later call
  std::map<std::string, LoopProfile> loops;     // rank 0: the last call of each loop name
  std::map<std::string, WorkloadProfile> runs;  // rank 0: the last run of each name
};

}  // namespace amorsize::detail
