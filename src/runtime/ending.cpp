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

void end_by_tree(Transport& transport, std::int64_t sent_to_root,
                 const std::exception_ptr& own_failure) {
  const std::vector<int> children = end_tree_children(transport.rank(), transport.size());
  for (int child : children) transport.send(child, wire::Tag::kEnd, wire::encode_empty());
  std::vector<bool> done(children.size(), false);
  std::size_t left = children.size();
  PoliteWait wait(PoliteWait::kEnding);
  Message m;
  while (left > 0) {
    if (!transport.poll(m)) {
      wait.idle();
      continue;
    }
    wait.reset();
    if (m.tag != wire::Tag::kDone) continue;  // nothing else is due now: dropped
    const auto child = std::find(children.begin(), children.end(), m.source);
    if (child == children.end() || done[std::size_t(child - children.begin())])
      throw protocol_error("amorsize: rank " + std::to_string(transport.rank()) +
                           " got a kDone from rank " + std::to_string(m.source) +
                           ", which is not below it in the ending tree");
    done[std::size_t(child - children.begin())] = true;
    --left;
    sent_to_root += wire::decode_done(m.bytes);
  }
  transport.send(end_tree_parent(transport.rank()), wire::Tag::kDone,
                 wire::encode_done(sent_to_root));
  await_verdict(transport, own_failure, children, PoliteWait::kEnding);
}

}  // namespace amorsize::detail
