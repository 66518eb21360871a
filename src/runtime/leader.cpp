#include "leader.hpp"

#include <algorithm>

#include <set>

#include "ending.hpp"
#include "polite_wait.hpp"

namespace amorsize::detail {

Leader::Leader(Transport& transport, const RunOptions& options, const wire::Lead& lead,
               std::exception_ptr failure)
    : transport_(transport),
      policy_(options.on_error),
      memory_(options, transport.rank()),
      inflight_(std::max(1, lead.inflight)),
      chunk_seconds_(lead.chunk_seconds),
      chunk_flags_(lead.chunk_flags),
      failure_(std::move(failure)) {
  for (auto r : lead.workers) workers_.push_back({r, 0});
}

void Leader::run() {
  PoliteWait wait(PoliteWait::kCoordinator, chunk_seconds_);
  // Until rank 0 stops this node (and every batch is answered), aborts the run, or this rank
  // fails.
  while (!failure_ && !aborted_ && !(stopped_ && batches_.empty())) {
    bool progress = false;
    try {
      for (Message m; transport_.poll(m);) {
        on_message(m);
        progress = true;
      }
      if (feed()) progress = true;
      transport_.reap();
      if (!progress) say_when_pressure_clears();
    } catch (...) {
      failure_ = std::current_exception();
      report_failure(transport_, policy_, failure_);
    }
    progress ? wait.reset() : wait.idle();
  }
  finish();
}

// Stops the ranks it feeds and waits for their kDone and for rank 0's last message (kStop or
// kAbort), dropping whatever else still arrives; then kDone to rank 0, and the verdict.
void Leader::finish() {
  for (const auto& w : workers_) transport_.send(w.rank, wire::Tag::kStop, wire::encode_empty());
  std::set<int> done;
  PoliteWait wait(PoliteWait::kWorker);
  Message m;
  while (done.size() < workers_.size() || !(stopped_ || aborted_)) {
    if (!transport_.poll(m)) {
      wait.idle();
      continue;
    }
    if (m.tag == wire::Tag::kDone) done.insert(m.source);
    if (m.source == 0 && m.tag == wire::Tag::kStop) stopped_ = true;
    if (m.source == 0 && m.tag == wire::Tag::kAbort) aborted_ = true;
  }
  transport_.send(0, wire::Tag::kDone, wire::encode_empty());
  await_verdict(transport_, failure_);
}

void Leader::say_when_pressure_clears() {
  if (const auto r = memory_.cleared())
    transport_.send(0, wire::Tag::kStatus, wire::encode(wire::Status{0, 0, r->when, r->used}));
}

void Leader::on_message(Message& m) {
  switch (m.tag) {
    case wire::Tag::kStop:
      wire::decode_empty(m.bytes, m.tag);
      stopped_ = true;
      return;
    case wire::Tag::kAbort:
      (void)wire::decode_abort(m.bytes);
      aborted_ = true;
      return;
    case wire::Tag::kBatch:
      take_batch(wire::decode_batch(m.bytes));
      return;
    case wire::Tag::kResult:
      take_result(m.source, wire::decode_result(m.bytes));
      return;
    case wire::Tag::kStatus:
      // A worker's memory cleared while it idled: the leader reads the node's memory itself.
      (void)wire::decode_status(m.bytes);
      return;
    default:
      throw protocol_error(std::string("amorsize: node leader rank ") +
                           std::to_string(transport_.rank()) + " got a " + wire::name(m.tag) +
                           " message from rank " + std::to_string(m.source));
  }
}

void Leader::take_batch(const wire::Batch& b) {
  Batch batch;
  batch.header = b.header;
  batch.parts.resize(b.parts.size());
  batch.left = std::int64_t(b.parts.size());
  const char* items = b.items.data;
  for (std::size_t i = 0; i < b.parts.size(); ++i) {
    const auto& p = b.parts[i];
    // A chunk message, as the coordinator would send it (never handing back).
    todo_.push_back(wire::encode(wire::ChunkHeader{next_part_, p.first, p.count, chunk_flags_},
                                 wire::ByteView(items, std::size_t(p.bytes))));
    items += p.bytes;
    part_of_.emplace(next_part_++, std::make_pair(b.header.seq, i));
  }
  if (!batches_.emplace(b.header.seq, std::move(batch)).second)
    throw protocol_error("amorsize: batch " + std::to_string(b.header.seq) + " sent twice");
}

void Leader::take_result(int rank, wire::Result result) {
  auto where_it = part_of_.find(result.header.seq);
  if (where_it == part_of_.end())
    throw protocol_error("amorsize: node leader got a result for part " +
                         std::to_string(result.header.seq) + ", which is not out");
  const auto where = where_it->second;
  part_of_.erase(where_it);
  for (auto& w : workers_)
    if (w.rank == rank) --w.outstanding;
  Batch& batch = batches_.at(where.first);
  Done& done = batch.parts[where.second];
  done.rank = rank;
  done.memory = {result.header.pressured != 0, result.header.memory_wtime,
                 result.header.memory_used};
  done.result = std::move(result);
  if (--batch.left == 0) {
    finish(batch);
    batches_.erase(where.first);
  }
}

// All of a batch's chunks are back: one result message, laid out like a worker's.
void Leader::finish(Batch& batch) {
  wire::Result out;
  auto& r = out.header;
  r.seq = batch.header.seq;
  r.first = batch.header.first;
  r.count = batch.header.count;
  r.start_wtime = 1e300;
  r.end_wtime = -1e300;
  // The node's latest memory reading, the leader's own or a worker's.
  MemoryWatch::Reading memory = memory_.read();
  std::size_t bytes = 0;
  for (const auto& d : batch.parts) bytes += d.result.results.size();
  out.results.reserve(bytes);
  out.timed = chunk_flags_ & wire::kTimeItems;
  for (auto& d : batch.parts) {
    // Item times in part order, which is item order (a part that stopped early has fewer).
    if (out.timed) {
      d.result.item_seconds.resize(std::size_t(d.result.header.count), 0.0);
      out.item_seconds.insert(out.item_seconds.end(), d.result.item_seconds.begin(),
                              d.result.item_seconds.end());
    }
    const auto& h = d.result.header;
    r.compute_seconds += h.compute_seconds;
    r.cpu_seconds += h.cpu_seconds;
    r.work_seconds += h.work_seconds;
    r.longest_item_seconds = std::max(r.longest_item_seconds, h.longest_item_seconds);
    r.start_wtime = std::min(r.start_wtime, h.start_wtime);
    r.end_wtime = std::max(r.end_wtime, h.end_wtime);
    if (d.memory.when > memory.when) memory = d.memory;
    out.parts.push_back({h.first, h.count, d.rank, std::int32_t(d.result.failures.size()),
                         h.start_wtime, h.end_wtime, h.compute_seconds,
                         std::int64_t(d.result.results.size())});
    out.results.insert(out.results.end(), d.result.results.begin(), d.result.results.end());
    for (auto& f : d.result.failures) out.failures.push_back(std::move(f));
  }
  r.pressured = memory.pressured ? 1 : 0;
  r.memory_wtime = memory.when;
  r.memory_used = memory.used;
  transport_.send(0, wire::Tag::kResult, wire::encode(out));
  memory_.reported(memory.pressured);
}

// Hands queued chunks to workers, round by round; under memory pressure no prefetch.
bool Leader::feed() {
  bool any = false;
  const int limit = memory_.reported_pressured() ? 1 : inflight_;
  for (bool more = true; more && !todo_.empty();) {
    more = false;
    for (auto& w : workers_) {
      if (todo_.empty()) break;
      if (w.outstanding >= limit) continue;
      transport_.send(w.rank, wire::Tag::kChunk, std::move(todo_.front()));
      todo_.pop_front();
      ++w.outstanding;
      more = any = true;
    }
  }
  return any;
}

}  // namespace amorsize::detail
