// The coordinator's one receive loop, and what it does with each message and result:
// probes while sampling, chunk and batch results, hand-backs, pressure, failures elsewhere.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../format.hpp"
#include "coordinator.hpp"
#include "ending.hpp"

namespace amorsize::detail {

bool Coordinator::pump() {
  bool any = false;
  Message m;
  while (transport_.poll(m)) {
    on_message(m);
    any = true;
  }
  if (local_) {
    while (auto f = local_->pop()) {
      if (phase_ == Phase::kSampling) {
        on_probe(0, std::move(f->result));
      } else {
        on_result(std::move(f->result), std::nullopt);
      }
      any = true;
    }
  }
  const MemoryWatch::Reading own = memory_.read();
  set_pressure(0, own.pressured, own.when, own.used);
  return attend_pressure() || any;
}

void Coordinator::on_message(Message& m) {
  switch (m.tag) {
    case wire::Tag::kResult:
      if (phase_ == Phase::kSampling) {
        on_probe(m.source, wire::decode_result(m.bytes));
      } else {
        on_result(wire::decode_result(m.bytes), std::nullopt);
      }
      return;
    case wire::Tag::kStatus: {
      const wire::Status s = wire::decode_status(m.bytes);
      set_pressure(layout_.node_of_rank[std::size_t(m.source)], s.pressured != 0, s.when, s.used);
      return;
    }
    case wire::Tag::kReturn:
      if (phase_ != Phase::kParallel) break;
      dispatcher_->take_return(wire::decode_return(m.bytes));
      return;
    case wire::Tag::kAbort:
      throw remote_failure(m.source, wire::decode_abort(m.bytes).message);
    default:
      break;
  }
  throw protocol_error(std::string("amorsize: the coordinator got a ") + wire::name(m.tag) +
                       " message from rank " + std::to_string(m.source));
}

void Coordinator::on_probe(int rank, wire::Result r) {
  const int node = layout_.node_of_rank[std::size_t(rank)];
  sampler_->on_probe(rank, node, r);
  observe_speed(node, r.header.count, r.header.compute_seconds);
  std::int64_t first = r.header.first;  // in the source; the failures too, before they count
  to_source(first, r.failures);
  account(node, r.header, r.failures);
  if (rank != 0)  // rank 0 reads its own node's memory (pump)
    set_pressure(node, r.header.pressured != 0, r.header.memory_wtime, r.header.memory_used);
  record_items(first, r.header.count, r.item_seconds, r.failures);
  reorder_.accept(first, r.header.count, std::move(r.results), std::move(r.failures), 0);
  sampler_->send_probe(rank);
}

// A chunk's result: from the serial loop (with its dispatch time) or from a slot.
void Coordinator::on_result(wire::Result r, std::optional<double> serial_dispatch) {
  const wire::ResultHeader& h = r.header;
  std::int64_t first = h.first;  // in the source (the header has the position)
  to_source(first, r.failures);
  ChunkRecord rec;
  rec.seq = h.seq;
  rec.first = first;
  rec.count = h.count;
  rec.receive_seconds = now();
  rec.compute_seconds = h.compute_seconds;
  rec.bytes_out = std::int64_t(r.results.size());
  rec.failed = std::int64_t(r.failures.size());
  std::int64_t chunks = 0;  // against the reorder window: none for the serial loop's
  double offset = 0;        // the worker's clock minus rank 0's
  if (serial_dispatch) {
    rec.dispatch_seconds = *serial_dispatch;
  } else {
    const Dispatcher::Completed c = dispatcher_->complete(h.seq);
    rec.rank = c.rank;
    rec.node = c.node;
    rec.dispatch_seconds = c.dispatch_seconds;
    rec.bytes_in = c.bytes_in;
    chunks = c.chunks;
    if (c.rank != 0) {
      offset = clocks_.offset[std::size_t(c.rank)];
      set_pressure(c.node, h.pressured != 0, h.memory_wtime, h.memory_used);
    }
    if (r.parts.empty()) {
      dispatcher_->schedule().observe(h.count, h.compute_seconds);
      observe_speed(c.node, h.count, h.compute_seconds);
    }
  }
  rec.start_seconds = h.start_wtime - start_ - offset;
  rec.end_seconds = h.end_wtime - start_ - offset;
  if (r.parts.empty()) {
    ++report_.chunks;
    if (options_.recorder) options_.recorder->on_chunk(rec);
  }
  for (const auto& part : r.parts) {  // a leader's batch: each chunk as it ran
    ChunkRecord c = rec;
    c.first = first + (part.first - h.first);
    c.count = part.count;
    c.rank = part.rank;
    c.compute_seconds = part.compute_seconds;
    c.start_seconds = part.start_wtime - start_ - offset;
    c.end_seconds = part.end_wtime - start_ - offset;
    c.bytes_in = rec.bytes_in * part.count / std::max<std::int64_t>(h.count, 1);
    c.bytes_out = part.results_bytes;
    c.failed = part.failures;
    dispatcher_->schedule().observe(part.count, part.compute_seconds);
    observe_speed(c.node, part.count, part.compute_seconds);
    ++report_.chunks;
    if (options_.recorder) options_.recorder->on_chunk(c);
  }
  account(rec.node, h, r.failures);
  if (r.timed) record_items(first, h.count, r.item_seconds, r.failures);
  reorder_.accept(first, h.count, std::move(r.results), std::move(r.failures), chunks);
}

// RunOptions::record_items: each item's time, as a row of the recorder's tasks table.
void Coordinator::record_items(std::int64_t first, std::int64_t count,
                               const std::vector<double>& seconds,
                               const std::vector<Failure>& failures) {
  if (!options_.record_items || !options_.recorder) return;
  auto failed = failures.begin();
  for (std::int64_t i = 0; i < count && std::size_t(i) < seconds.size(); ++i) {
    TaskRecord t;
    t.item = first + i;
    t.seconds = seconds[std::size_t(i)];
    while (failed != failures.end() && failed->index < t.item) ++failed;
    t.status = failed != failures.end() && failed->index == t.item ? 1 : 0;
    options_.recorder->on_task(t);
  }
}

void Coordinator::account(int node, const wire::ResultHeader& h,
                          const std::vector<Failure>& failures) {
  report_.items += h.count;
  report_.compute_seconds += h.compute_seconds;
  report_.work_seconds += h.work_seconds;
  report_.longest_item_seconds = std::max(report_.longest_item_seconds, h.longest_item_seconds);
  if (std::size_t(node) < busy_.size()) busy_[std::size_t(node)] += h.compute_seconds;
  for (const auto& f : failures) report_.failures.push_back(f);
  if (!failures.empty() && options_.fail_fast) stopped_ = true;
}

// A chunk's time per item on its node; at most every kReweighSeconds, the nodes' chunk weights
// follow the measured speeds (a node at half the speed of the others gets chunks about half
// as long), as the planner weighs nodes of known speed.
void Coordinator::observe_speed(int node, std::int64_t items, double seconds) {
  constexpr double kReweighSeconds = 0.02;
  speeds_.observe(node, items, seconds);
  const double t = now();
  if (t - weighed_at_ < kReweighSeconds || plan_.nodes.size() != layout_.nodes.size()) return;
  weighed_at_ = t;
  const std::vector<double> speeds = speeds_.speeds();
  double sum = 0;
  int working = 0;
  for (std::size_t n = 0; n < speeds.size(); ++n) {
    if (plan_.nodes[n].workers == 0) continue;
    sum += speeds[n];
    ++working;
  }
  if (working == 0 || sum <= 0) return;
  for (std::size_t n = 0; n < speeds.size(); ++n)
    plan_.nodes[n].chunk_weight = speeds[n] / (sum / working);
}

void Coordinator::set_pressure(int node, bool pressured, double when, double used) {
  const double t = now();
  if (pressure_.update(node, pressured, when, used, t) && options_.recorder)
    options_.recorder->on_pressure(node, t, pressured);
}

// The rule that keeps memory pressure from stopping the run, as it falls due: a warning after
// memory_warn_seconds, a release after memory_release_seconds. True when a node was released
// (it may take chunks again).
bool Coordinator::attend_pressure() {
  bool released = false;
  for (const auto& n : pressure_.due(now())) {
    const std::string node =
        "node " + std::to_string(n.node) + " (" + layout_.nodes[std::size_t(n.node)].name + ")";
    const double threshold = options_.plan.memory_threshold;
    const std::string reading =
        percent(n.used) + " of its memory in use, threshold " + percent(threshold);
    if (n.kind == NodePressure::Notice::Kind::warn) {
      const double release = pressure_.rules().release_after;
      warn(node + " has been under memory pressure for " + fixed(n.seconds, 0) + " s: " + reading +
           "; it gets one chunk at a time until use falls below " +
           percent(threshold - MemoryWatch::kHysteresis) +
           (std::isfinite(release)
                ? ", or for " + fixed(release - n.seconds, 0) + " s more, when it is released"
                : ""));
    } else {
      warn(node + " is still under memory pressure after " + fixed(n.seconds, 0) + " s (" +
           reading +
           "): holding work back has not brought its memory down, so it gets its "
           "full share of work again until its memory clears");
      ++report_.pressure_releases;
      released = true;
    }
  }
  return released;
}

void Coordinator::warn(std::string message) {
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    std::fprintf(stderr, "amorsize: warning: %s\n", message.c_str());
    std::fflush(stderr);
  }
  report_.warnings.push_back(std::move(message));
}

// The sink, through the reorder buffer.
void Coordinator::deliver(std::int64_t first, std::int64_t count, const std::vector<char>& results,
                          const std::vector<Failure>& failures) {
  if (stopped_ && sink_closed_) return;
  if (!codec_.deliver(first, count, results.data(), results.size(), failures)) {
    stopped_ = true;
    sink_closed_ = true;
  }
  report_.delivered += count - std::int64_t(failures.size());
}

}  // namespace amorsize::detail
