#pragma once
// MPI for the lifetime of one command. The coordinator's threads never call MPI, so
// MPI_THREAD_FUNNELED is enough.
#include <mpi.h>

namespace amorsize::app {

class MpiSession {
 public:
  MpiSession() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

}  // namespace amorsize::app
