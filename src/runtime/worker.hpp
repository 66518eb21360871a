#pragma once
// A worker rank: receives chunks, runs them, sends results, until told to stop. Chunks come
// from the coordinator or from the node's leader; results go back to whoever sent the chunk.
// A kLead message makes this rank its node's leader instead.
#include "amorsize/detail/engine.hpp"
#include "amorsize/run_types.hpp"
#include "mpi.hpp"

namespace amorsize::detail {

void run_worker(Transport& transport, Codec& codec, const RunOptions& options);

}  // namespace amorsize::detail
