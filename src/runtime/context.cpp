#include "context_state.hpp"

#include <cstdio>
#include <cstdlib>

#include "clock.hpp"

namespace amorsize {

namespace detail {

namespace {
RunOptions discovery_options(const ContextOptions& options) {
  RunOptions o;
  o.simulated_nodes = options.simulated_nodes;
  return o;
}
}  // namespace

ContextState::ContextState(MPI_Comm comm, const ContextOptions& options)
    : transport(comm), simulated_nodes(options.simulated_nodes) {
  const double t0 = node_clock_seconds();
  layout = discover(transport, discovery_options(options));
  clocks = measure_clocks(transport, layout, options.simulated_nodes > 0);
  setup_seconds = node_clock_seconds() - t0;
}

}  // namespace detail

Context::Context(MPI_Comm comm, const ContextOptions& options)
    : state_(std::make_unique<detail::ContextState>(comm, options)) {}

Context::~Context() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) {
    std::fprintf(stderr,
                 "amorsize: a Context was destroyed after MPI_Finalize; destroy it before "
                 "(its communicator can no longer be freed)\n");
    std::fflush(stderr);
    std::abort();
  }
}

int Context::rank() const {
  return state_->transport.rank();
}

int Context::size() const {
  return state_->transport.size();
}

double Context::setup_seconds() const {
  return state_->setup_seconds;
}

}  // namespace amorsize
