#pragma once
// How a run ends, on every rank. Rank 0 sends each rank its last message, kStop (the run is
// complete) or kAbort (an error ended it); a led worker also waits for its leader's kStop.
// Then every rank says kDone (its last message to rank 0, and to its leader), and rank 0,
// once it has every kDone, sends the verdict. So no message is left in flight when `run`
// returns or throws, and the communicator can be used again.
#include <exception>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "mpi.hpp"
#include "polite_wait.hpp"

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
/// else an amorsize::error naming the rank that did. The verdict goes on to `children` first.
void await_verdict(Transport& transport, const std::exception_ptr& own_failure,
                   const std::vector<int>& children = {},
                   PoliteWait::Role role = PoliteWait::kWorker);

// The ending tree. When rank 0 feeds every rank itself (no node leaders) and nothing failed,
// the end goes through a binomial tree over the ranks instead of rank 0 sending and receiving
// 3 messages per rank (at 4,096 simulated ranks that took 22 ms, 2% of a 1 s run): kEnd goes
// down, each rank's kDone goes up once its children's are in, and the verdict goes down. A
// kDone carries how many messages the ranks below sent to rank 0 in the run, and rank 0 takes
// messages until it has received that many: MPI orders messages between two ranks, not across
// three, so a kDone up the tree can overtake a result its sender's child sent to rank 0.

/// The ranks below `rank` in the binomial tree over `size` ranks rooted at 0 (rank + 2^k for
/// each 2^k above rank), and the rank above it (rank without its highest bit).
std::vector<int> end_tree_children(int rank, int size);
int end_tree_parent(int rank);

/// The kDone of a rank's children in the ending tree, as they come.
class TreeDones {
 public:
  TreeDones(int rank, int size);
  const std::vector<int>& children() const { return children_; }
  /// Takes `m` if it is a kDone: true, or protocol_error when it is not from a child of this
  /// rank, or a second one. false for any other message.
  bool take(const Message& m);
  bool all_in() const { return left_ == 0; }
  /// The messages to rank 0 the children reported for themselves and the ranks below them.
  std::int64_t sent_to_root() const { return sent_to_root_; }

 private:
  int rank_;
  std::vector<int> children_;
  std::vector<bool> done_;
  std::size_t left_;
  std::int64_t sent_to_root_ = 0;
};

/// A rank's end once kEnd reached it: kEnd to its children, their kDone, its own kDone up with
/// `sent_to_root` (its messages to rank 0 in the run) and theirs, then the verdict, passed on.
void end_by_tree(Transport& transport, std::int64_t sent_to_root,
                 const std::exception_ptr& own_failure);

}  // namespace amorsize::detail
