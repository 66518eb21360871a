// The sampler without MPI: which ranks get probes. Ranks beyond a node's cores do not sample
// (their items would share cores and read slower than in the run, which gives the node no more
// workers than cores); until an item's memory is measured, one rank per node does.
#include "runtime/sampler.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fakes.hpp"

namespace amorsize::detail {
namespace {

using testing::RangeCodec;
using testing::RecordingOutbox;

// One node of `cores` cores holding rank 0 and `workers` worker ranks.
Layout one_node(int cores, int workers) {
  Layout l;
  l.node_of_rank.assign(std::size_t(workers + 1), 0);
  l.node_leader = {0};
  NodeTopology node;
  node.cores = cores;
  node.memory_total_bytes = node.memory_available_bytes = std::uint64_t(8) << 30;
  l.nodes = {node};
  l.ranks_on_node = {workers + 1};
  return l;
}

// The probe `sent` as the rank would answer it: its items, each measured.
wire::Result answer(const testing::Sent& sent) {
  const wire::Chunk c = wire::decode_chunk(sent.message);
  wire::Result r;
  r.header.first = c.header.first;
  r.header.count = c.header.count;
  r.header.compute_seconds = 1e-3 * double(c.header.count);
  r.measured = true;
  r.item_seconds.assign(std::size_t(c.header.count), 1e-3);
  r.memory_growth_bytes = 1 << 20;
  return r;
}

std::set<int> probed_ranks(const RecordingOutbox& outbox) {
  std::set<int> ranks;
  for (const auto& s : outbox.sent) ranks.insert(s.rank);
  return ranks;
}

TEST(Sampler, RanksBeyondTheCoresDoNotSample) {
  RunOptions options;
  const Layout layout = one_node(2, 3);  // 4 ranks on 2 cores: rank 0 only coordinates
  RangeCodec codec(100000);
  SourceCursor source(codec);
  NodePressure pressure(1);
  RecordingOutbox outbox;
  double clock = 0;
  Sampler sampler(
      options, layout, 4, source, pressure, outbox, [&] { return clock; }, [] { return false; });
  EXPECT_FALSE(sampler.rank0_samples());
  sampler.send_probes();
  EXPECT_EQ(probed_ranks(outbox), std::set<int>{1}) << "one rank until memory is measured";
  sampler.on_probe(1, 0, answer(outbox.sent.front()));
  sampler.send_probes();
  for (std::size_t i = 1; i < outbox.sent.size(); ++i) {
    clock += 1e-3;
    sampler.on_probe(outbox.sent[i].rank, 0, answer(outbox.sent[i]));
    sampler.send_probes();
  }
  EXPECT_EQ(probed_ranks(outbox), (std::set<int>{1, 2})) << "two cores, two sampling ranks";
}

TEST(Sampler, EveryRankSamplesWhenEachHasACore) {
  RunOptions options;
  const Layout layout = one_node(8, 3);
  RangeCodec codec(100000);
  SourceCursor source(codec);
  NodePressure pressure(1);
  RecordingOutbox outbox;
  Sampler sampler(
      options, layout, 4, source, pressure, outbox, [] { return 0.0; }, [] { return false; });
  EXPECT_TRUE(sampler.rank0_samples());
  sampler.send_probes();
  sampler.on_probe(1, 0, answer(outbox.sent.front()));
  sampler.send_probes();
  EXPECT_EQ(probed_ranks(outbox), (std::set<int>{1, 2, 3}));
}

}  // namespace
}  // namespace amorsize::detail
