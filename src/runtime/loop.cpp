// Loops on a Context: every rank computes, rank 0 hands out the ranges (see context.hpp for
// the progress design). Rank 0 plans each call from the previous call of the same name
// (loop_plan.hpp): a block of equal predicted cost for every rank, sent at begin, and a pool
// handed out on request. A rank gets its ranges in pieces and asks for more as it starts the
// last piece it holds, so the answer travels while it computes; every piece's time comes back
// to rank 0 at end, for the next call's plan.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <exception>

#include "amorsize/context.hpp"
#include "amorsize/error.hpp"
#include "clock.hpp"
#include "context_state.hpp"
#include "polite_wait.hpp"

namespace amorsize {

namespace {
// Pieces a rank cuts a block into (finer timings for the next plan, and a request sent while
// the last one runs), a chunk of the pool into, and rank 0's share of a pool chunk.
constexpr int kBlockPieces = 8;
constexpr int kRankZeroBlockPieces = 16;
constexpr int kChunkPieces = 2;
constexpr double kRankZeroShare = 0.25;
}  // namespace

using detail::LoopPool;
using detail::LoopProfile;
using detail::Message;
using detail::PoliteWait;
namespace wire = detail::wire;

class Loop::Impl {
 public:
  Impl(Context& context, std::int64_t first, std::int64_t last, LoopOptions options)
      : ctx_(context.state()),
        t_(ctx_.transport),
        first_(first),
        last_(last),
        options_(std::move(options)),
        call_(++ctx_.loops_begun),
        begun_(detail::node_clock_seconds()) {
    if (last < first)
      throw invalid_argument("amorsize::Loop: last (" + std::to_string(last) +
                             ") is before first (" + std::to_string(first) + ")");
    if (!(options_.static_fraction >= 0 && options_.static_fraction <= 1))
      throw invalid_argument("amorsize::Loop: static_fraction must be in [0, 1]");
    if (t_.rank() == 0) begin_coordinating();
  }

  bool next(std::int64_t& lo, std::int64_t& hi) {
    close_piece();
    if (t_.rank() == 0) serve();
    if (pieces_.empty() && !fetch()) return false;
    const auto piece = pieces_.front();
    pieces_.pop_front();
    if (pieces_.empty() && t_.rank() != 0) ask();  // the answer travels while this piece runs
    lo = piece.first;
    hi = piece.second;
    open_ = piece;
    opened_at_ = detail::node_clock_seconds();
    ++stats_.ranges;
    stats_.items += hi - lo;
    return true;
  }

  LoopStats end() {
    close_piece();
    if (!finished_)
      throw invalid_argument("amorsize::Loop::end: called before next() returned false");
    if (ended_) throw invalid_argument("amorsize::Loop::end: called twice");
    ended_ = true;
    if (t_.rank() == 0) {
      PoliteWait wait(PoliteWait::kCoordinator, 1e-3);
      while (ends_ < t_.size() - 1) serve() ? wait.reset() : wait.idle();
      for (const auto& p : done_) stats_.busy_seconds += p.seconds;
      report();
      ctx_.loops[options_.name] = LoopProfile(first_, last_, std::move(done_));
      stats_.max_wait_seconds = std::max(stats_.max_wait_seconds, stats_.wait_seconds);
    } else {
      t_.send(0, wire::Tag::kLoopEnd,
              wire::encode(wire::LoopEnd{call_, stats_.wait_seconds, done_}));
    }
    t_.reap();
    stats_.seconds = detail::node_clock_seconds() - begun_;
    return stats_;
  }

  bool ended() const { return ended_; }
  int rank() const { return t_.rank(); }
  [[noreturn]] void abort() { t_.abort(1); }

 private:
  // Rank 0, at end: the call as a run (LoopStats::report), and to the recorder.
  void report() {
    RunReport& r = stats_.report;
    const double end = detail::node_clock_seconds();
    r.ranks = t_.size();
    r.makespan_seconds = end - begun_;
    for (const auto& n : ctx_.layout.nodes) r.cores += n.cores;
    r.plan.workers = t_.size();
    r.plan.schedule = Schedule::adaptive;
    for (std::size_t n = 0; n < ctx_.layout.nodes.size(); ++n) {
      NodePlan np;
      np.name = ctx_.layout.nodes[n].name;
      np.cores = ctx_.layout.nodes[n].cores;
      np.workers = np.ranks = ctx_.layout.ranks_on_node[n];
      np.coordinator = n == 0;
      r.plan.nodes.push_back(np);
    }
    r.plan.reasons.push_back(
        std::string("a loop on a context: every rank computes; ") +
        (stats_.from_history ? "planned from the previous call of \"" : "no previous call of \"") +
        options_.name + "\"");
    if (options_.recorder) {
      options_.recorder->on_nodes(ctx_.layout.nodes);
      options_.recorder->on_plan(r.plan);
    }
    for (std::size_t i = 0; i < done_.size(); ++i) {
      const auto& p = done_[i];
      const int rank = piece_rank_[i];
      const double offset =
          std::size_t(rank) < ctx_.clocks.offset.size() ? ctx_.clocks.offset[std::size_t(rank)] : 0;
      ChunkRecord c;
      c.seq = std::int64_t(i);
      c.first = p.lo;
      c.count = p.hi - p.lo;
      c.rank = rank;
      c.node = std::size_t(rank) < ctx_.layout.node_of_rank.size()
                   ? ctx_.layout.node_of_rank[std::size_t(rank)]
                   : 0;
      c.start_seconds = c.dispatch_seconds = p.start - offset - begun_;
      c.end_seconds = c.receive_seconds = c.start_seconds + p.seconds;
      c.compute_seconds = p.seconds;
      r.items += c.count;
      r.delivered += c.count;
      r.compute_seconds += p.seconds;
      r.work_seconds += p.seconds;
      ++r.chunks;
      if (options_.recorder) options_.recorder->on_chunk(c);
    }
    r.lower_bound_seconds = lower_bound_seconds(r.work_seconds, 0, r.ranks);
    r.efficiency = efficiency(r.lower_bound_seconds, r.makespan_seconds);
  }

  // Rank 0, at begin: the split, each other rank's first range, its own pieces.
  void begin_coordinating() {
    const auto known = ctx_.loops.find(options_.name);
    if (known != ctx_.loops.end() && known->second.first() == first_ &&
        known->second.last() == last_ && known->second.total() > 0) {
      profile_ = known->second;
      stats_.from_history = true;
    }
    const LoopProfile* profile = stats_.from_history ? &profile_ : nullptr;
    const int ranks = t_.size();
    const auto bounds = detail::split_loop(first_, last_, ranks, profile, options_.static_fraction);
    pool_.emplace(bounds[std::size_t(ranks)], last_, ranks, profile);
    for (int r = 1; r < ranks; ++r) {
      std::pair<std::int64_t, std::int64_t> range{bounds[std::size_t(r)],
                                                  bounds[std::size_t(r) + 1]};
      if (range.first == range.second) {  // no block: its first chunk of the pool instead
        const auto chunk = pool_->take();
        range = chunk ? *chunk : std::pair<std::int64_t, std::int64_t>{last_, last_};
      }
      send_range(r, range);
    }
    for (const auto& p : detail::cut(bounds[0], bounds[1], kRankZeroBlockPieces, profile))
      pieces_.push_back(p);
    // Messages of this call that came while the previous one ended.
    std::deque<Message> later;
    for (auto& m : ctx_.early) handle(m) ? void() : later.push_back(std::move(m));
    ctx_.early = std::move(later);
  }

  void send_range(int rank, std::pair<std::int64_t, std::int64_t> range) {
    wire::LoopRange r{call_, range.first, range.second, range.first == range.second ? 1 : 0, 0};
    t_.send(rank, wire::Tag::kLoopRange, wire::encode(r));
  }

  // Rank 0: answers every request waiting, takes every end; true if there was any.
  bool serve() {
    bool any = false;
    Message m;
    while (t_.poll(m)) {
      any = true;
      if (!handle(m)) ctx_.early.push_back(std::move(m));
    }
    return any;
  }

  // Rank 0: one message; false when it belongs to a later call (kept for it).
  bool handle(Message& m) {
    switch (m.tag) {
      case wire::Tag::kLoopRequest: {
        const auto q = wire::decode_loop_request(m.bytes);
        if (q.call != call_) return after(q.call, m);
        const auto chunk = pool_->take();
        send_range(m.source, chunk ? *chunk : std::pair<std::int64_t, std::int64_t>{last_, last_});
        return true;
      }
      case wire::Tag::kLoopEnd: {
        auto e = wire::decode_loop_end(m.bytes);
        if (e.call != call_) return after(e.call, m);
        ++ends_;
        stats_.max_wait_seconds = std::max(stats_.max_wait_seconds, e.wait_seconds);
        for (const auto& p : e.pieces) {
          done_.push_back(p);
          piece_rank_.push_back(m.source);
        }
        return true;
      }
      default:
        throw detail::protocol_error(std::string("amorsize: a loop got a ") + wire::name(m.tag) +
                                     " message from rank " + std::to_string(m.source));
    }
  }

  bool after(std::int64_t call, const Message& m) {
    if (call > call_) return false;
    throw detail::protocol_error("amorsize: a loop got a message of an earlier call from rank " +
                                 std::to_string(m.source));
  }

  // More pieces for this rank: rank 0 from the pool, the others from rank 0.
  bool fetch() {
    if (finished_) return false;
    if (t_.rank() == 0) {
      const auto chunk = pool_->take(kRankZeroShare);
      if (!chunk) {
        finished_ = true;
        return false;
      }
      pieces_.push_back(*chunk);
      return true;
    }
    ask();  // unless already asked, or the first range (sent unasked at begin) is still to come
    const double t0 = detail::node_clock_seconds();
    PoliteWait wait(PoliteWait::kWorker);
    Message m;
    while (!t_.poll(m)) wait.idle();
    stats_.wait_seconds += detail::node_clock_seconds() - t0;
    if (m.tag != wire::Tag::kLoopRange)
      throw detail::protocol_error(std::string("amorsize: rank ") + std::to_string(t_.rank()) +
                                   " got a " + wire::name(m.tag) + " message in a loop");
    const auto r = wire::decode_loop_range(m.bytes);
    if (r.call != call_)
      throw detail::protocol_error("amorsize: a loop range of call " + std::to_string(r.call) +
                                   " in call " + std::to_string(call_));
    asked_ = false;
    const bool first = !first_received_;
    first_received_ = true;
    if (r.done) {
      finished_ = true;
      return false;
    }
    for (const auto& p : detail::cut(r.lo, r.hi, first ? kBlockPieces : kChunkPieces, nullptr))
      pieces_.push_back(p);
    return true;
  }

  void ask() {
    if (asked_ || finished_ || !first_received_) return;
    asked_ = true;
    t_.send(0, wire::Tag::kLoopRequest, wire::encode(wire::LoopRequest{call_}));
  }

  void close_piece() {
    if (open_.first == open_.second) return;
    done_.push_back(
        {open_.first, open_.second, detail::node_clock_seconds() - opened_at_, opened_at_});
    if (t_.rank() == 0) piece_rank_.push_back(0);
    open_ = {0, 0};
  }

  detail::ContextState& ctx_;
  detail::Transport& t_;
  std::int64_t first_, last_;
  LoopOptions options_;
  std::int64_t call_;
  double begun_;
  LoopStats stats_;
  std::deque<std::pair<std::int64_t, std::int64_t>> pieces_;
  std::pair<std::int64_t, std::int64_t> open_{0, 0};  // the piece the caller is running
  double opened_at_ = 0;
  std::vector<wire::LoopPiece> done_;  // this rank's pieces (rank 0: everyone's, at end)
  std::vector<int> piece_rank_;        // rank 0: the rank of each of done_
  bool finished_ = false, ended_ = false;
  // Rank 0.
  LoopProfile profile_;
  std::optional<LoopPool> pool_;
  int ends_ = 0;
  // Other ranks.
  bool asked_ = false, first_received_ = false;
};

Loop::Loop(Context& context, std::int64_t first, std::int64_t last, LoopOptions options)
    : impl_(std::make_unique<Impl>(context, first, last, std::move(options))) {}

// A loop left without end() (an exception out of the caller's code, or a forgotten end) would
// leave the other ranks waiting for this one forever: the job ends, saying why.
Loop::~Loop() {
  if (!impl_ || impl_->ended()) return;
  std::fprintf(stderr,
               "amorsize: rank %d left a Loop without calling end()%s; the other ranks would "
               "wait for it forever, so the job is aborted\n",
               impl_->rank(), std::uncaught_exceptions() > 0 ? " (an exception left it)" : "");
  std::fflush(stderr);
  impl_->abort();
}

bool Loop::next(std::int64_t& lo, std::int64_t& hi) {
  return impl_->next(lo, hi);
}

LoopStats Loop::end() {
  return impl_->end();
}

}  // namespace amorsize
