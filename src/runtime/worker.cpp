#include "worker.hpp"

#include <deque>
#include <optional>
#include <set>

#include "chunk_runner.hpp"
#include "ending.hpp"
#include "leader.hpp"
#include "memory_probe.hpp"
#include "polite_wait.hpp"

namespace amorsize::detail {

namespace {

class Worker {
 public:
  Worker(Transport& transport, Codec& codec, const RunOptions& options)
      : transport_(transport),
        codec_(codec),
        policy_(options.on_error),
        memory_(options, transport.rank()) {}

  // Runs until the run ends for this rank; returns a kLead message if this rank is to lead
  // its node instead.
  std::optional<std::vector<char>> run() {
    PoliteWait wait(PoliteWait::kWorker);
    while (!ended()) {
      bool progress = false;
      try {
        take_messages();
        if (lead_) return lead_;
        if (!chunks_.empty() && working()) {
          run_next();
          progress = true;
        } else if (working()) {
          say_when_pressure_clears();
        }
      } catch (...) {
        fail(std::current_exception());
      }
      progress ? wait.reset() : wait.idle();
    }
    finish();
    return std::nullopt;
  }

  std::exception_ptr failure() const { return failure_; }

 private:
  struct Queued {
    int source;
    std::vector<char> message;
  };

  // Runs chunks: no failure here, no end announced.
  bool working() const { return !failure_ && !aborted_ && stopped_by_ < 0; }

  // The run is over for this rank once the last message of every rank that feeds it is in:
  // a kStop from whoever sent it chunks, or rank 0's kAbort (and the kStop of the leader it
  // names).
  bool ended() const {
    if (stopped_by_ >= 0) return true;
    return aborted_ && (abort_leader_ < 0 || leader_stopped_);
  }

  // Takes every message waiting, up to a kLead (the messages after it are the leader's).
  void take_messages() {
    Message m;
    while (!lead_ && transport_.poll(m)) {
      switch (m.tag) {
        case wire::Tag::kChunk:
          if (working()) chunks_.push_back({m.source, std::move(m.bytes)});
          break;
        case wire::Tag::kStop:
          wire::decode_empty(m.bytes, m.tag);
          if (aborted_ && m.source == abort_leader_) {
            leader_stopped_ = true;
          } else {
            stopped_by_ = m.source;
          }
          break;
        case wire::Tag::kAbort: {
          const wire::Abort a = wire::decode_abort(m.bytes);
          aborted_ = true;
          abort_leader_ = a.leader;
          leader_stopped_ = stopped_by_ == a.leader;
          break;
        }
        case wire::Tag::kLead:
          lead_ = std::move(m.bytes);
          break;
        default:
          throw protocol_error(std::string("amorsize: worker rank ") +
                               std::to_string(transport_.rank()) + " got a " + wire::name(m.tag) +
                               " message from rank " + std::to_string(m.source));
      }
    }
    if (!working()) chunks_.clear();
  }

  void run_next() {
    const Queued q = std::move(chunks_.front());
    chunks_.pop_front();
    boss_ = q.source;
    wire::Return rest;
    wire::Result result = run_chunk(codec_, wire::decode_chunk(q.message), &rest);
    // Memory as the chunk leaves it, with the time it was read (cached readings are older).
    const auto reading = memory_.read();
    result.header.pressured = reading.pressured ? 1 : 0;
    result.header.memory_wtime = reading.when;
    // The chunk ran long (a heavy item): its unstarted rest goes back before the result, so
    // the coordinator never sees the chunk done while items of it are still on their way.
    const bool ran_long = rest.header.count > 0;
    if (ran_long)
      transport_.send(q.source, wire::Tag::kReturn, wire::encode(rest.header, rest.items));
    transport_.send(q.source, wire::Tag::kResult, wire::encode(result));
    reported_pressure_ = reading.pressured;
    if (ran_long) hand_back_queued();
  }

  // After a heavy item, every chunk queued behind it goes back too (they stay out until their
  // kReturn), for workers that are free now. Only the coordinator's: a leader answers for its
  // batch as a whole (and its chunks never hand back).
  void hand_back_queued() {
    take_messages();
    for (auto it = chunks_.begin(); it != chunks_.end();) {
      if (it->source != 0) {
        ++it;
        continue;
      }
      const wire::Chunk c = wire::decode_chunk(it->message);
      transport_.send(
          it->source, wire::Tag::kReturn,
          wire::encode(wire::ReturnHeader{c.header.seq, c.header.first, c.header.count, 1},
                       c.items));
      it = chunks_.erase(it);
    }
  }

  // Idle: if this node was reported under pressure, say so when it clears.
  void say_when_pressure_clears() {
    const auto reading = memory_.read();
    if (reported_pressure_ && !reading.pressured) {
      transport_.send(boss_, wire::Tag::kStatus, wire::encode(wire::Status{0, 0, reading.when}));
      reported_pressure_ = false;
    }
  }

  // An error outside an item: rank 0 hears of it and ends the run; this rank runs nothing more
  // and waits for its end like the others.
  void fail(std::exception_ptr failure) {
    if (failure_) return;  // the first one is the one to report
    failure_ = failure;
    chunks_.clear();
    report_failure(transport_, policy_, failure);
  }

  // The last messages: kDone to every rank that fed this one, then the verdict.
  void finish() {
    std::set<int> feeders{0};
    if (stopped_by_ >= 0) feeders.insert(stopped_by_);
    if (aborted_ && abort_leader_ >= 0) feeders.insert(abort_leader_);
    for (int r : feeders) transport_.send(r, wire::Tag::kDone, wire::encode_empty());
    await_verdict(transport_, failure_);
  }

  Transport& transport_;
  Codec& codec_;
  OnError policy_;
  MemoryWatch memory_;
  std::deque<Queued> chunks_;
  std::optional<std::vector<char>> lead_;
  std::exception_ptr failure_;
  int stopped_by_ = -1;  // the rank whose kStop ended the run for this one
  bool aborted_ = false;
  int abort_leader_ = -1;  // with kAbort: the leader whose kStop is still to come
  bool leader_stopped_ = false;
  bool reported_pressure_ = false;
  int boss_ = 0;  // who sent the last chunk
};

}  // namespace

void run_worker(Transport& transport, Codec& codec, const RunOptions& options) {
  Worker worker(transport, codec, options);
  std::optional<std::vector<char>> lead = worker.run();
  if (!lead) return;
  wire::Lead assignment;
  try {
    assignment = wire::decode_lead(*lead);
  } catch (...) {  // without the ranks it feeds, this leader cannot end the run in order
    transport.abort(1);
  }
  transport.flush();
  Leader(transport, options, assignment, worker.failure()).run();
}

}  // namespace amorsize::detail
