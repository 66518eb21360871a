#include "dispatcher.hpp"

#include <algorithm>

namespace amorsize::detail {

Assignment assign_workers(const Plan& plan, const Layout& layout, int size,
                          bool threads_may_compute) {
  Assignment a;
  const std::size_t nodes = layout.nodes.size();
  a.led.resize(nodes);
  std::vector<std::vector<int>> ranks(nodes);  // per node: the ranks that may work
  for (int r = 1; r < size; ++r) {
    const auto node = std::size_t(layout.node_of_rank[std::size_t(r)]);
    if (plan.nodes[node].leader && r == layout.node_leader[node]) continue;
    ranks[node].push_back(r);
  }
  if ((plan.coordinator_computes || size == 1) && threads_may_compute) ranks[0].push_back(0);
  for (std::size_t n = 0; n < nodes; ++n) {
    const int workers = plan.nodes[n].workers;
    const auto& here = ranks[n];
    if (here.empty() || workers <= 0) continue;
    if (plan.nodes[n].leader || !threads_may_compute) {  // one item at a time per rank
      for (std::size_t i = 0; i < here.size() && int(i) < workers; ++i) {
        if (plan.nodes[n].leader) {
          a.led[n].push_back(here[i]);
        } else {
          a.direct.push_back({here[i], int(n), 1});
        }
      }
      continue;
    }
    const int count = int(here.size());
    for (int i = 0; i < count; ++i) {
      const int share = workers / count + (i < workers % count ? 1 : 0);
      if (share == 0) continue;
      if (here[std::size_t(i)] == 0) {
        a.threads = share;
      } else {
        a.direct.push_back({here[std::size_t(i)], int(n), share});
      }
    }
  }
  return a;
}

Dispatcher::Dispatcher(const Plan& plan, SourceCursor& source, ReorderBuffer& reorder,
                       HandBackPool& returned, const NodePressure& pressure, Outbox& outbox,
                       std::function<double()> now)
    : plan_(plan),
      source_(source),
      reorder_(reorder),
      returned_(returned),
      pressure_(pressure),
      outbox_(outbox),
      now_(std::move(now)),
      schedule_(plan),
      node_out_(plan.nodes.size(), 0),
      chunk_seconds_(double(plan.chunk_size) * plan.item_seconds_mean) {}

void Dispatcher::add_worker(int rank, int node, int threads) {
  slots_.push_back({rank, node, threads * plan_.inflight_per_worker, threads});
  width_ += threads;
}

void Dispatcher::add_leader(int rank, int node, int width) {
  slots_.push_back({rank, node, batches_per_leader(), width, 0, true});
  width_ += width;
}

void Dispatcher::add_local(int threads) {
  slots_.push_back({0, 0, threads * plan_.inflight_per_worker, threads});
  width_ += threads;
}

bool Dispatcher::last_round() const {
  const std::optional<std::int64_t> left = source_.left();
  if (!left) return false;
  const double items = double(*left + returned_.items());
  return items * schedule_.item_seconds() < 4.0 * double(width_) * chunk_seconds_;
}

// A node under memory pressure is held to one chunk (a leader: one batch of one chunk) at a
// time: it makes progress, at its least memory, while the others go on at full width.
void Dispatcher::fill() {
  const bool last = last_round();
  for (bool any = true; any;) {
    any = false;
    for (std::size_t s = 0; s < slots_.size(); ++s) {
      const int node = slots_[s].node;
      const bool held = pressure_.held(node);
      const int per_round = slots_[s].leader || held ? 1 : slots_[s].width;  // a batch feeds all
      const int capacity = last && !slots_[s].leader ? std::min(slots_[s].capacity, slots_[s].width)
                                                     : slots_[s].capacity;
      for (int i = 0; i < per_round && slots_[s].outstanding < capacity; ++i) {
        if (held && node_out_[std::size_t(node)] > 0) break;
        if (!dispatch(s, held)) return;  // nothing left to send, or the reorder window is full
        any = true;
      }
    }
  }
}

bool Dispatcher::dispatch(std::size_t s, bool held) {
  // Items handed back come first: they are the earliest in item order, and what an ordered
  // run waits for (so the reorder window does not hold them back). A leader answers for a
  // batch as a whole, so hand-backs go to workers the coordinator feeds.
  if (!returned_.empty() && !slots_[s].leader) return dispatch_returned(s);
  if (source_.exhausted() || reorder_.full()) return false;
  const std::optional<std::int64_t> remaining = source_.left();
  if (remaining && *remaining == 0) {
    source_.set_exhausted();
    return false;
  }
  if (slots_[s].leader) return dispatch_batch(s, remaining, held ? 1 : slots_[s].width);
  const std::int64_t want = schedule_.next(remaining, weight(s));
  std::vector<char> items;
  const std::int64_t first = source_.next();
  const std::int64_t count = source_.pull(want, items);
  if (count == 0) return false;
  send_chunk(s, first, count, items, false);
  return true;
}

// The first piece handed back, or as much of it as the schedule gives a chunk now.
bool Dispatcher::dispatch_returned(std::size_t s) {
  std::optional<std::int64_t> remaining = source_.left();
  if (remaining) *remaining += returned_.items();
  const HandBackPool::Piece piece = returned_.take(schedule_.next(remaining, weight(s)));
  send_chunk(s, piece.first, piece.count, piece.items, /*handed_back_before=*/true);
  return true;
}

void Dispatcher::send_chunk(std::size_t s, std::int64_t first, std::int64_t count,
                            const std::vector<char>& items, bool handed_back_before) {
  Slot& slot = slots_[s];
  wire::ChunkHeader h{seq_, first, count, chunk_flags_};
  const double expected = double(count) * schedule_.item_seconds();
  // Worker ranks hand back what they have not started after an item that alone took longer
  // than the whole chunk should: the items queued behind a heavy item then run elsewhere. Only
  // for the adaptive schedule (the baselines keep their classic form), only on worker ranks,
  // and only once (a piece handed back is never stopped midway again; unstarted, it may still
  // go back whole from behind another heavy item), so items that merely run longer than the
  // estimate (a trend the schedule is still learning) do not bounce.
  if (slot.rank != 0 && plan_.schedule == Schedule::adaptive && !handed_back_before)
    h.heavy_item_seconds = std::max(expected, kMinHeavyItemSeconds);
  std::vector<char> msg = wire::encode(h, items);
  out_.emplace(seq_, Out{s, now_(), std::int64_t(msg.size()), 1});
  chunk_seconds_ = expected;
  ++seq_;
  reorder_.issued(1);
  ++slot.outstanding;
  ++node_out_[std::size_t(slot.node)];
  outbox_.send(slot.rank, wire::Tag::kChunk, std::move(msg));
}

// A leader's batch: one chunk per worker it feeds, each sized by the schedule as if sent to
// that worker, in one message.
bool Dispatcher::dispatch_batch(std::size_t s, std::optional<std::int64_t> remaining,
                                int chunks_wanted) {
  Slot& slot = slots_[s];
  std::vector<wire::PartHeader> parts;
  std::vector<char> items;
  const std::int64_t first = source_.next();
  const std::int64_t room = source_.contiguous();  // a batch is one range of the source
  std::int64_t count = 0;
  for (int i = 0; i < chunks_wanted && !source_.exhausted() && count < room; ++i) {
    if (remaining && *remaining - count <= 0) {
      source_.set_exhausted();
      break;
    }
    std::optional<std::int64_t> left;
    if (remaining) left = *remaining - count;
    const std::int64_t want = schedule_.next(left, weight(s));
    const std::size_t before = items.size();
    const std::int64_t got = source_.pull(want, items);
    if (got == 0) break;
    parts.push_back({first + count, got, std::int64_t(items.size() - before)});
    count += got;
  }
  if (parts.empty()) return false;
  const auto chunks = std::int64_t(parts.size());
  std::vector<char> msg = wire::encode(wire::BatchHeader{seq_, first, count, chunks}, parts, items);
  out_.emplace(seq_, Out{s, now_(), std::int64_t(msg.size()), chunks});
  chunk_seconds_ = double(count / chunks) * schedule_.item_seconds();
  ++seq_;
  reorder_.issued(chunks);
  ++slot.outstanding;
  ++node_out_[std::size_t(slot.node)];
  outbox_.send(slot.rank, wire::Tag::kBatch, std::move(msg));
  return true;
}

Dispatcher::Completed Dispatcher::complete(std::int64_t seq) {
  auto it = out_.find(seq);
  if (it == out_.end())
    throw protocol_error("amorsize: a result for chunk " + std::to_string(seq) +
                         ", which is not out");
  Slot& slot = slots_[it->second.slot];
  --slot.outstanding;
  --node_out_[std::size_t(slot.node)];
  Completed c{slot.rank, slot.node, it->second.dispatch_seconds, it->second.bytes_in,
              it->second.chunks};
  out_.erase(it);
  return c;
}

void Dispatcher::take_return(const wire::Return& r) {
  if (r.header.whole) {  // a chunk that never began: it is no longer out
    auto it = out_.find(r.header.seq);
    if (it == out_.end())
      throw protocol_error("amorsize: chunk " + std::to_string(r.header.seq) +
                           " handed back, which is not out");
    Slot& slot = slots_[it->second.slot];
    --slot.outstanding;
    --node_out_[std::size_t(slot.node)];
    reorder_.withdrawn(it->second.chunks);
    out_.erase(it);
  }
  returned_.add(r.header.first, r.header.count, r.items.data, r.items.size);
  returned_total_ += r.header.count;
}

}  // namespace amorsize::detail
