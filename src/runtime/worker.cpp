#include "worker.hpp"

#include <deque>
#include <memory>
#include <optional>
#include <set>

#include "binding.hpp"
#include "chunk_runner.hpp"
#include "ending.hpp"
#include "leader.hpp"
#include "local_pool.hpp"
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
        memory_(options, transport.rank()),
        sent_to_root_(transport.sent_to_root()) {}

  // Runs until the run ends for this rank; returns a kLead message if this rank is to lead
  // its node instead.
  std::optional<std::vector<char>> run() {
    PoliteWait wait(PoliteWait::kWorker);
    while (!ended()) {
      bool progress = false;
      try {
        take_messages();
        if (lead_) return lead_;
        if (pool_ && working()) {
          progress = feed_pool() | send_pool_results();
          if (!progress && pool_->pending() == 0) say_when_pressure_clears();
        } else if (!chunks_.empty() && working()) {
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
  bool working() const { return !failure_ && !aborted_ && stopped_by_ < 0 && !tree_end_; }

  // The run is over for this rank once the last message of every rank that feeds it is in:
  // a kStop from whoever sent it chunks, or rank 0's kAbort (and the kStop of the leader it
  // names).
  bool ended() const {
    if (stopped_by_ >= 0 || tree_end_) return true;
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
        case wire::Tag::kEnd:
          wire::decode_empty(m.bytes, m.tag);
          tree_end_ = true;
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
          bound_.reset();  // a leader runs no items
          break;
        case wire::Tag::kShare: {  // before sampling (a CPU for probes), and after planning
          wire::Share share = wire::decode_share(m.bytes);
          std::vector<std::vector<int>> cpus;
          for (auto& c : share.cpus) cpus.emplace_back(c.begin(), c.end());
          bound_.reset();
          if (share.threads > 1 && !pool_) {  // the threads run the items, this one MPI
            pool_ = std::make_unique<LocalPool>(codec_, share.threads, /*hand_back=*/true,
                                                std::move(cpus));
          } else if (share.threads == 1 && !cpus.empty()) {
            bound_.emplace(std::move(cpus.front()));  // this thread runs the items
          }
          break;
        }
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
    send_result(
        q.source, std::move(result),
        rest.header.count > 0 ? wire::encode(rest.header, rest.items) : std::vector<char>());
  }

  // The result of a chunk, with the node's memory as the chunk leaves it (and the time it was
  // read: cached readings are older). A chunk that ran long (a heavy item) sends its unstarted
  // rest first, so the coordinator never sees the chunk done while items of it are still on
  // their way; then every chunk queued behind it goes back too.
  void send_result(int source, wire::Result result, std::vector<char> returned) {
    const auto reading = memory_.read();
    result.header.pressured = reading.pressured ? 1 : 0;
    result.header.memory_wtime = reading.when;
    result.header.memory_used = reading.used;
    const bool ran_long = !returned.empty();
    if (ran_long) transport_.send(source, wire::Tag::kReturn, std::move(returned));
    transport_.send(source, wire::Tag::kResult, wire::encode(result));
    memory_.reported(reading.pressured);
    if (ran_long) hand_back_queued();
  }

  // Threads: each gets a chunk as it frees up, so the chunks not begun stay here, where a
  // heavy item can hand them back. They come from rank 0 (a led rank runs no threads).
  bool feed_pool() {
    bool any = false;
    while (!chunks_.empty() && pool_->pending() < pool_->size()) {
      if (chunks_.front().source != 0)
        throw protocol_error("amorsize: a rank with threads got a chunk from rank " +
                             std::to_string(chunks_.front().source));
      pool_->push(std::move(chunks_.front().message));
      chunks_.pop_front();
      any = true;
    }
    return any;
  }

  bool send_pool_results() {
    bool any = false;
    while (auto f = pool_->pop()) {
      send_result(0, std::move(f->result), std::move(f->returned));
      any = true;
    }
    return any;
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
    if (const auto r = memory_.cleared())
      transport_.send(boss_, wire::Tag::kStatus,
                      wire::encode(wire::Status{0, 0, r->when, r->used}));
  }

  // An error outside an item: rank 0 hears of it and ends the run; this rank runs nothing more
  // and waits for its end like the others.
  void fail(std::exception_ptr failure) {
    if (failure_) return;  // the first one is the one to report
    failure_ = failure;
    chunks_.clear();
    if (pool_) pool_->cancel();
    report_failure(transport_, policy_, failure);
  }

  // The last messages: kDone to every rank that fed this one, then the verdict; or, ended by
  // kEnd, the ending tree's.
  void finish() {
    if (pool_) {  // its threads finish the chunks they have begun; nothing more is sent
      pool_->cancel();
      pool_.reset();
    }
    if (tree_end_) {
      end_by_tree(transport_, transport_.sent_to_root() - sent_to_root_, failure_);
      return;
    }
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
  std::unique_ptr<LocalPool> pool_;  // this rank's threads, when its share is above one
  // A rank that runs its items itself is bound while the run lasts, and unbound after.
  std::optional<BoundThread> bound_;
  std::optional<std::vector<char>> lead_;
  std::exception_ptr failure_;
  int stopped_by_ = -1;  // the rank whose kStop ended the run for this one
  bool aborted_ = false;
  int abort_leader_ = -1;  // with kAbort: the leader whose kStop is still to come
  bool leader_stopped_ = false;
  int boss_ = 0;                     // who sent the last chunk
  bool tree_end_ = false;            // kEnd came: the run ends through the ending tree
  const std::int64_t sent_to_root_;  // the transport's count when the run began
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
