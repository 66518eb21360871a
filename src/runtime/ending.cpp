#include "ending.hpp"

#include <algorithm>

#include "polite_wait.hpp"

namespace amorsize::detail {

std::string describe(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

void report_failure(Transport& transport, OnError policy, const std::exception_ptr& failure) {
  if (policy == OnError::abort) transport.abort(1);
  try {
    transport.send(0, wire::Tag::kAbort, wire::encode(wire::Abort{-1, describe(failure)}));
  } catch (...) {  // MPI itself failed: nothing can end the run in order
    transport.abort(1);
  }
}

void await_verdict(Transport& transport, const std::exception_ptr& own_failure,
                   const std::vector<int>& children, PoliteWait::Role role) {
  PoliteWait wait(role);
  Message m;
  while (!(transport.poll(m) && m.tag == wire::Tag::kVerdict)) {
    // Still on its way: rank 0's kAbort after a kStop that ended this rank first.
    wait.idle();
  }
  for (int child : children) transport.send(child, wire::Tag::kVerdict, m.bytes);
  const wire::Verdict verdict = wire::decode_verdict(m.bytes);
  transport.flush();
  if (verdict.failed_rank < 0) return;
  if (own_failure) std::rethrow_exception(own_failure);
  throw error("amorsize: the run ended on every rank because " + verdict.message);
}

std::vector<int> end_tree_children(int rank, int size) {
  std::vector<int> children;
  int step = 1;
  while (step <= rank) step *= 2;
  for (; rank + step < size; step *= 2) children.push_back(rank + step);
  return children;
}

int end_tree_parent(int rank) {
  int high = 1;
  while (2 * high <= rank) high *= 2;
  return rank - high;
}

TreeDones::TreeDones(int rank, int size)
    : rank_(rank),
      children_(end_tree_children(rank, size)),
      done_(children_.size(), false),
      left_(children_.size()) {}

bool TreeDones::take(const Message& m) {
  if (m.tag != wire::Tag::kDone) return false;
  const auto child = std::find(children_.begin(), children_.end(), m.source);
  const auto at = std::size_t(child - children_.begin());
  if (child == children_.end() || done_[at])
    throw protocol_error("amorsize: rank " + std::to_string(rank_) + " got a kDone from rank " +
                         std::to_string(m.source) + ", which is not below it in the ending tree");
  done_[at] = true;
  --left_;
  sent_to_root_ += wire::decode_done(m.bytes);
  return true;
}

void end_by_tree(Transport& transport, std::int64_t sent_to_root,
                 const std::exception_ptr& own_failure) {
  TreeDones dones(transport.rank(), transport.size());
  for (int child : dones.children()) transport.send(child, wire::Tag::kEnd, wire::encode_empty());
  PoliteWait wait(PoliteWait::kEnding);
  Message m;
  while (!dones.all_in()) {
    if (!transport.poll(m)) {
      wait.idle();
      continue;
    }
    wait.reset();
    dones.take(m);  // nothing else is due now: dropped
  }
  transport.send(end_tree_parent(transport.rank()), wire::Tag::kDone,
                 wire::encode_done(sent_to_root + dones.sent_to_root()));
  await_verdict(transport, own_failure, dones.children(), PoliteWait::kEnding);
}

}  // namespace amorsize::detail
