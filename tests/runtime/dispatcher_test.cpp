// The dispatcher: chunks spread round by round, at most `inflight` per worker, one at a time
// to a pressured node, none past a full reorder window, a leader's batch holding a chunk per
// worker it feeds, handed-back items first, every item sent exactly once.
#include "runtime/dispatcher.hpp"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "fakes.hpp"

namespace amorsize::detail {
namespace {

using testing::RangeCodec;
using testing::RecordingOutbox;

Plan fixed_plan(std::int64_t chunk, int nodes) {
  Plan p;
  p.schedule = Schedule::fixed;
  p.chunk_size = p.min_chunk = p.max_chunk = chunk;
  p.item_seconds_mean = 1e-3;
  p.inflight_per_worker = 2;
  p.nodes.resize(std::size_t(nodes));
  return p;
}

// One dispatcher over items 0..n-1 and everything it needs.
struct Bench {
  explicit Bench(Plan p, std::int64_t n, std::size_t nodes = 2)
      : plan(std::move(p)),
        codec(n),
        source(codec),
        reorder([this](std::int64_t, std::int64_t count, const std::vector<char>&,
                       const std::vector<Failure>&) { delivered += count; }),
        returned([](const char*, std::size_t, std::int64_t k) { return std::size_t(8 * k); }),
        pressure(nodes),
        dispatcher(plan, source, reorder, returned, pressure, outbox, [] { return 0.0; }) {
    reorder.set_window(1000);
  }
  wire::Chunk chunk(std::size_t i) const { return wire::decode_chunk(outbox.sent.at(i).message); }
  std::vector<int> ranks() const {
    std::vector<int> r;
    for (const auto& s : outbox.sent) r.push_back(s.rank);
    return r;
  }
  Plan plan;
  RangeCodec codec;
  SourceCursor source;
  std::int64_t delivered = 0;
  ReorderBuffer reorder;
  HandBackPool returned;
  NodePressure pressure;
  RecordingOutbox outbox;
  Dispatcher dispatcher;
};

TEST(Dispatcher, SpreadsChunksRoundByRoundUpToTheInflightLimit) {
  Bench b(fixed_plan(4, 2), 100);
  b.dispatcher.add_worker(1, 0);
  b.dispatcher.add_worker(2, 1);
  b.dispatcher.add_worker(3, 1);
  b.dispatcher.fill();
  EXPECT_EQ(b.ranks(), (std::vector<int>{1, 2, 3, 1, 2, 3}));
  for (std::size_t i = 0; i < b.outbox.sent.size(); ++i) {
    const auto c = b.chunk(i);
    EXPECT_EQ(b.outbox.sent[i].tag, wire::Tag::kChunk);
    EXPECT_EQ(c.header.seq, std::int64_t(i));
    EXPECT_EQ(c.header.first, std::int64_t(4 * i));
    EXPECT_EQ(c.header.count, 4);
    EXPECT_EQ(RangeCodec::values(c.items.data, c.items.size).front(), std::int64_t(4 * i));
    EXPECT_EQ(c.header.heavy_item_seconds, 0) << "baseline schedules never hand back";
  }
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 6u) << "every worker already holds its two chunks";
  const auto done = b.dispatcher.complete(4);  // rank 2's second chunk
  EXPECT_EQ(done.rank, 2);
  EXPECT_EQ(done.node, 1);
  EXPECT_EQ(done.bytes_in, std::int64_t(b.outbox.sent[4].message.size()));
  b.dispatcher.fill();
  ASSERT_EQ(b.outbox.sent.size(), 7u);
  EXPECT_EQ(b.outbox.sent[6].rank, 2);
  EXPECT_EQ(b.dispatcher.width(), 3);
}

// A pressured node is held to one chunk at a time, over all its slots; the others go on at
// full width; once released (or clear) it fills up again.
TEST(Dispatcher, APressuredNodeGetsOneChunkAtATimeWhileTheOthersGoOn) {
  Bench b(fixed_plan(4, 2), 1000);
  b.dispatcher.add_worker(1, 0);
  b.dispatcher.add_worker(2, 1);
  b.dispatcher.add_worker(3, 1, 4);  // a rank with 4 threads
  b.pressure.update(1, true, 1.0, 0.9, 0.0);
  b.dispatcher.fill();
  EXPECT_EQ(b.ranks(), (std::vector<int>{1, 2, 1}));
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 3u) << "node 1 already has its one chunk";
  b.dispatcher.complete(1);  // node 1's chunk is back: it may have one more
  b.dispatcher.fill();
  ASSERT_EQ(b.outbox.sent.size(), 4u);
  EXPECT_EQ(b.outbox.sent[3].rank, 2);
  b.pressure.update(1, false, 2.0, 0.5, 1.0);
  b.dispatcher.fill();
  // rank 2 takes its second chunk, rank 3 its 4 threads x 2.
  EXPECT_EQ(b.outbox.sent.size(), 4u + 1u + 8u);
}

TEST(Dispatcher, AHeldLeaderGetsABatchOfOneChunk) {
  Bench b(fixed_plan(4, 2), 1000);
  b.dispatcher.add_leader(5, 1, 3);
  b.pressure.update(1, true, 1.0, 0.9, 0.0);
  b.dispatcher.fill();
  ASSERT_EQ(b.outbox.sent.size(), 1u);
  const wire::Batch batch = wire::decode_batch(b.outbox.sent[0].message);
  EXPECT_EQ(batch.parts.size(), 1u);
  EXPECT_EQ(batch.header.count, 4);
}

TEST(Dispatcher, AFullReorderWindowStopsDispatch) {
  Bench b(fixed_plan(4, 1), 100, 1);
  b.reorder.set_window(3);
  b.dispatcher.add_worker(1, 0);
  b.dispatcher.add_worker(2, 0);
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 3u);
  EXPECT_TRUE(b.reorder.full());
  // The second chunk's result is held (the first is not back), so the window stays full.
  b.dispatcher.complete(1);
  b.reorder.accept(4, 4, {}, {}, 1);
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 3u);
  b.dispatcher.complete(0);
  b.reorder.accept(0, 4, {}, {}, 1);
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 5u);
}

TEST(Dispatcher, ALeaderGetsABatchWithAChunkPerWorkerItFeeds) {
  Bench b(fixed_plan(4, 2), 1000);
  b.dispatcher.add_worker(1, 0);
  b.dispatcher.add_leader(4, 1, 3);
  b.dispatcher.fill();
  std::int64_t batches = 0, next = 0;
  for (const auto& s : b.outbox.sent) {
    if (s.rank == 1) {
      const auto c = wire::decode_chunk(s.message);
      EXPECT_EQ(c.header.first, next);
      next += c.header.count;
      continue;
    }
    ASSERT_EQ(s.tag, wire::Tag::kBatch);
    ++batches;
    const auto batch = wire::decode_batch(s.message);
    EXPECT_EQ(batch.header.first, next);
    ASSERT_EQ(batch.parts.size(), 3u);
    for (const auto& p : batch.parts) {
      EXPECT_EQ(p.first, next);
      EXPECT_EQ(p.count, 4);
      next += p.count;
    }
    EXPECT_EQ(RangeCodec::values(batch.items.data, batch.items.size).size(), 12u);
  }
  EXPECT_EQ(batches, b.dispatcher.batches_per_leader());
  EXPECT_EQ(b.reorder.used(), 2 + 3 * batches) << "a batch counts its chunks in the window";
  std::size_t first_batch = 0;
  while (b.outbox.sent[first_batch].tag != wire::Tag::kBatch) ++first_batch;
  const auto done =
      b.dispatcher.complete(wire::decode_batch(b.outbox.sent[first_batch].message).header.seq);
  EXPECT_EQ(done.rank, 4);
  EXPECT_EQ(done.chunks, 3);
  EXPECT_EQ(b.dispatcher.width(), 4);
}

TEST(Dispatcher, HandedBackItemsGoFirstAndNeverToALeader) {
  Plan plan = fixed_plan(4, 2);
  plan.schedule = Schedule::adaptive;
  plan.target_chunk_duration_seconds = 4e-3;  // 4 items of 1 ms
  plan.workers = 2;
  plan.min_chunk = 1;
  plan.max_chunk = 4;
  Bench b(plan, 100);
  b.dispatcher.add_leader(5, 1, 2);
  b.dispatcher.add_worker(1, 0);
  b.dispatcher.fill();
  const std::size_t before = b.outbox.sent.size();
  // Rank 1's first chunk (first item f) ran one item, then handed back the other three; the
  // chunk queued behind it went back whole.
  std::vector<wire::Chunk> mine;
  for (std::size_t i = 0; i < before; ++i)
    if (b.outbox.sent[i].rank == 1) mine.push_back(b.chunk(i));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_GE(mine[0].header.heavy_item_seconds, Dispatcher::kMinHeavyItemSeconds);
  const auto& h = mine[0].header;
  b.dispatcher.take_return({wire::ReturnHeader{h.seq, h.first + 1, h.count - 1, 0},
                            wire::ByteView(mine[0].items.data + 8, mine[0].items.size - 8)});
  const auto& q = mine[1].header;
  b.dispatcher.take_return({wire::ReturnHeader{q.seq, q.first, q.count, 1}, mine[1].items});
  EXPECT_EQ(b.dispatcher.returned_items(), h.count - 1 + q.count);
  // The leader has room again: it gets fresh items, rank 1 the handed-back ones.
  std::size_t batch = 0;
  while (b.outbox.sent[batch].rank != 5) ++batch;
  b.dispatcher.complete(wire::decode_batch(b.outbox.sent[batch].message).header.seq);
  b.dispatcher.fill();
  ASSERT_EQ(b.outbox.sent.size(), before + 2);
  const auto fresh = wire::decode_batch(b.outbox.sent[before].message);
  EXPECT_EQ(b.outbox.sent[before].rank, 5);
  EXPECT_GT(fresh.header.first, q.first) << "a leader answers for whole batches: no hand-backs";
  const auto again = b.chunk(before + 1);
  EXPECT_EQ(b.outbox.sent[before + 1].rank, 1);
  EXPECT_EQ(again.header.first, h.first + 1);
  EXPECT_EQ(again.header.count, h.count - 1);
  EXPECT_EQ(again.header.heavy_item_seconds, 0) << "a piece handed back is never stopped again";
  EXPECT_THROW(b.dispatcher.take_return({wire::ReturnHeader{q.seq, q.first, q.count, 1}, {}}),
               protocol_error);
}

TEST(Dispatcher, EveryItemIsSentExactlyOnceAndTheSourceRunsDry) {
  Bench b(fixed_plan(4, 1), 10, 1);
  b.dispatcher.add_local(2);
  std::set<std::int64_t> items;
  std::size_t seen = 0;
  for (int round = 0; round < 10 && !b.dispatcher.done(); ++round) {
    b.dispatcher.fill();
    for (; seen < b.outbox.sent.size(); ++seen) {
      EXPECT_EQ(b.outbox.sent[seen].rank, 0);
      const auto c = b.chunk(seen);
      for (auto v : RangeCodec::values(c.items.data, c.items.size))
        EXPECT_TRUE(items.insert(v).second);
      b.dispatcher.complete(c.header.seq);
    }
  }
  EXPECT_EQ(items.size(), 10u);
  EXPECT_TRUE(b.dispatcher.idle());
  EXPECT_TRUE(b.dispatcher.done());
  EXPECT_THROW(b.dispatcher.complete(0), protocol_error);
}

// Under four chunks per worker left: a worker gets a chunk only when it has none, so no chunk
// waits behind a running one while other workers have nothing.
TEST(Dispatcher, InTheLastRoundAWorkerHoldsOnlyTheChunkItRuns) {
  Bench b(fixed_plan(4, 1), 70, 1);  // 4 ms chunks; 70 ms of items
  for (int r = 1; r <= 3; ++r) b.dispatcher.add_worker(r, 0);
  EXPECT_FALSE(b.dispatcher.last_round());
  b.dispatcher.fill();  // two chunks each: 46 ms left, under 4 x 3 workers x 4 ms
  ASSERT_EQ(b.outbox.sent.size(), 6u);
  EXPECT_TRUE(b.dispatcher.last_round());
  b.dispatcher.complete(0);  // rank 1 still runs its second chunk
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 6u) << "a chunk queued behind a running one";
  b.dispatcher.complete(3);  // rank 1 has none now
  b.dispatcher.fill();
  ASSERT_EQ(b.outbox.sent.size(), 7u);
  EXPECT_EQ(b.outbox.sent.back().rank, 1);
  b.dispatcher.fill();
  EXPECT_EQ(b.outbox.sent.size(), 7u);
}

std::vector<std::tuple<int, int, int>> direct(const Assignment& a) {
  std::vector<std::tuple<int, int, int>> out;
  for (const auto& d : a.direct) out.emplace_back(d.rank, d.node, d.threads);
  return out;
}

TEST(AssignWorkers, ANodesWorkersAreSplitOverItsRanksAndLeadersFeedOneItemPerRank) {
  Plan plan = fixed_plan(1, 3);
  plan.nodes[0].workers = 3;  // rank 0's node: ranks 0, 1
  plan.nodes[1].workers = 1;  // ranks 2, 3: one of them works
  plan.nodes[2].workers = 2;  // ranks 4, 5, 6: 4 leads, 5 and 6 are fed
  plan.nodes[2].leader = true;
  Layout layout;
  layout.node_of_rank = {0, 0, 1, 1, 2, 2, 2};
  layout.node_leader = {0, 2, 4};
  layout.nodes.resize(3);
  const Assignment a = assign_workers(plan, layout, 7, true);
  // Rank 1 before rank 0, which also coordinates: 2 threads and 1.
  EXPECT_EQ(direct(a), (std::vector<std::tuple<int, int, int>>{{1, 0, 2}, {2, 1, 1}}));
  EXPECT_EQ(a.threads, 1);
  ASSERT_EQ(a.led.size(), 3u);
  EXPECT_EQ(a.led[2], (std::vector<std::int32_t>{5, 6}));
  // Where threads may not compute (SMPI), a rank runs one item at a time.
  const Assignment single = assign_workers(plan, layout, 7, false);
  EXPECT_EQ(direct(single), (std::vector<std::tuple<int, int, int>>{{1, 0, 1}, {2, 1, 1}}));
  EXPECT_EQ(single.threads, 0);
}

TEST(AssignWorkers, OneRankPerNodeRunsAllOfItsNodesWorkers) {
  Plan plan = fixed_plan(1, 3);
  for (auto& n : plan.nodes) n.workers = 64;
  plan.coordinator_computes = false;
  Layout layout;
  layout.node_of_rank = {0, 1, 2};
  layout.node_leader = {0, 1, 2};
  layout.nodes.resize(3);
  const Assignment a = assign_workers(plan, layout, 3, true);
  EXPECT_EQ(direct(a), (std::vector<std::tuple<int, int, int>>{{1, 1, 64}, {2, 2, 64}}));
  EXPECT_EQ(a.threads, 0) << "rank 0 only coordinates";
}

TEST(Dispatcher, ARankWithThreadsGetsAChunkPerThreadEachRound) {
  Bench b(fixed_plan(4, 1), 100, 1);
  b.dispatcher.add_worker(1, 0, 3);
  b.dispatcher.fill();
  EXPECT_EQ(b.ranks(), std::vector<int>(6, 1)) << "3 threads x 2 in flight";
  EXPECT_EQ(b.dispatcher.width(), 3);
}

}  // namespace
}  // namespace amorsize::detail
