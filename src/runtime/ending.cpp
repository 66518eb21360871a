#include "ending.hpp"

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

void await_verdict(Transport& transport, const std::exception_ptr& own_failure) {
  PoliteWait wait(PoliteWait::kWorker);
  Message m;
  while (!(transport.poll(m) && m.tag == wire::Tag::kVerdict)) {
    // Still on its way: rank 0's kAbort after a kStop that ended this rank first.
    wait.idle();
  }
  const wire::Verdict verdict = wire::decode_verdict(m.bytes);
  transport.flush();
  if (verdict.failed_rank < 0) return;
  if (own_failure) std::rethrow_exception(own_failure);
  throw error("amorsize: the run ended on every rank because " + verdict.message);
}

}  // namespace amorsize::detail
