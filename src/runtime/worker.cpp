#include "worker.hpp"

#include <deque>
#include <optional>

#include "chunk_runner.hpp"
#include "leader.hpp"
#include "memory_probe.hpp"
#include "polite_wait.hpp"

namespace amorsize::detail {

namespace {

class Worker {
 public:
  Worker(Transport& transport, Codec& codec, const RunOptions& options)
      : transport_(transport), codec_(codec), memory_(options, transport.rank()) {}

  // Runs until kStop; returns a kLead message if this rank is to lead its node instead.
  std::optional<std::vector<char>> run() {
    PoliteWait wait(PoliteWait::kWorker);
    while (true) {
      take_messages();
      if (lead_) return lead_;
      if (!chunks_.empty()) {
        run_next();
        wait.reset();
        continue;
      }
      if (stop_) return std::nullopt;
      // Idle: if this node was reported under pressure, say so when it clears.
      const auto reading = memory_.read();
      if (reported_pressure_ && !reading.pressured) {
        transport_.send(boss_, wire::Tag::kStatus, wire::encode(wire::Status{0, 0, reading.when}));
        reported_pressure_ = false;
      }
      wait.idle();
    }
  }

 private:
  struct Queued {
    int source;
    std::vector<char> message;
  };

  // Takes every message waiting, up to a kLead (the messages after it are the leader's).
  void take_messages() {
    Message m;
    while (!lead_ && transport_.poll(m)) {
      switch (m.tag) {
        case wire::Tag::kChunk:
          chunks_.push_back({m.source, std::move(m.bytes)});
          break;
        case wire::Tag::kStop:
          wire::decode_stop(m.bytes);
          stop_ = true;
          break;
        case wire::Tag::kLead:
          lead_ = std::move(m.bytes);
          break;
        default:
          throw protocol_error(std::string("amorsize: worker rank ") +
                               std::to_string(transport_.rank()) + " got a " + wire::name(m.tag) +
                               " message from rank " + std::to_string(m.source));
      }
    }
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

  Transport& transport_;
  Codec& codec_;
  MemoryWatch memory_;
  std::deque<Queued> chunks_;
  std::optional<std::vector<char>> lead_;
  bool stop_ = false;
  bool reported_pressure_ = false;
  int boss_ = 0;  // who sent the last chunk
};

}  // namespace

void run_worker(Transport& transport, Codec& codec, const RunOptions& options) {
  std::optional<std::vector<char>> lead = Worker(transport, codec, options).run();
  if (!lead) return;
  transport.flush();
  Leader(transport, options, wire::decode_lead(*lead)).run();
}

}  // namespace amorsize::detail
