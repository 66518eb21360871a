#pragma once
// How a run ends, on every rank. Rank 0 sends each rank its last message, kStop (the run is
// complete) or kAbort (an error ended it); a led worker also waits for its leader's kStop.
// Then every rank says kDone (its last message to rank 0, and to its leader), and rank 0,
// once it has every kDone, sends the verdict. So no message is left in flight when `run`
// returns or throws, and the communicator can be used again.
#include <exception>
#include <string>

#include "amorsize/error.hpp"
#include "mpi.hpp"

namespace amorsize::detail {

/// A failure on another rank, as rank 0 heard of it (kAbort).
class remote_failure : public error {
 public:
  remote_failure(int rank, const std::string& why)
      : error("amorsize: " + reason_of(rank, why)), rank_(rank), reason_(reason_of(rank, why)) {}
  int rank() const { return rank_; }
  /// "rank N failed: why"
  const std::string& reason() const { return reason_; }
  static std::string reason_of(int rank, const std::string& why) {
    return "rank " + std::to_string(rank) + " failed: " + why;
  }

 private:
  int rank_;
  std::string reason_;
};

/// The message of an exception (for kAbort and the verdict).
std::string describe(const std::exception_ptr& failure);

/// Tells rank 0 this rank failed, or ends the job when the policy says so (or when even
/// that message cannot be sent).
void report_failure(Transport& transport, OnError policy, const std::exception_ptr& failure);

/// A worker's or leader's end, after its kDone: waits for rank 0's verdict (discarding what is
/// still arriving) and throws if the run failed: this rank's own exception if it failed itself,
/// else an amorsize::error naming the rank that did.
void await_verdict(Transport& transport, const std::exception_ptr& own_failure);

}  // namespace amorsize::detail
