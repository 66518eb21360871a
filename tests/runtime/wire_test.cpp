// The wire format: every message survives encode then decode, and a decoder refuses a
// truncated or inconsistent message with protocol_error instead of reading past its end.
#include "runtime/wire.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace amorsize::detail::wire {
namespace {

std::vector<char> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

// Every proper prefix of a message is refused.
template <class Decode>
void expect_prefixes_refused(const std::vector<char>& message, Decode decode) {
  for (std::size_t n = 0; n < message.size(); ++n)
    EXPECT_THROW(decode(ByteView(message.data(), n)), protocol_error) << "prefix of " << n;
}

TEST(Wire, ChunkRoundTrip) {
  const auto items = bytes("abcdefgh");
  const ChunkHeader h{7, 100, 2, kMeasureItems, 0.25};
  const auto m = encode(h, items);
  const Chunk c = decode_chunk(m);
  EXPECT_EQ(c.header.seq, 7);
  EXPECT_EQ(c.header.first, 100);
  EXPECT_EQ(c.header.count, 2);
  EXPECT_EQ(c.header.flags, kMeasureItems);
  EXPECT_EQ(c.header.heavy_item_seconds, 0.25);
  EXPECT_EQ(std::string(c.items.data, c.items.size), "abcdefgh");
  expect_prefixes_refused(std::vector<char>(m.begin(), m.begin() + sizeof(ChunkHeader)),
                          decode_chunk);
}

TEST(Wire, ResultRoundTripWithFailuresMeasuredItemsAndParts) {
  Result r;
  r.header.seq = 3;
  r.header.first = 10;
  r.header.count = 3;
  r.header.compute_seconds = 1.5;
  r.header.pressured = 1;
  r.header.memory_wtime = 42;
  r.results = bytes("results!");
  r.failures = {{11, "boom"}, {12, ""}};
  r.measured = true;
  r.item_seconds = {0.1, 0.2, 0.3};
  r.memory_growth_bytes = 4096;
  r.parts = {{10, 2, 5, 1, 0.5, 1.0, 0.5, 8}, {12, 1, 6, 1, 1.0, 2.0, 1.0, 0}};
  const auto m = encode(r);
  const Result d = decode_result(m);
  EXPECT_EQ(d.header.seq, 3);
  EXPECT_EQ(d.header.count, 3);
  EXPECT_EQ(d.header.results_bytes, 8) << "encode fills the sizes in";
  EXPECT_EQ(d.header.failures, 2);
  EXPECT_EQ(d.header.parts, 2);
  EXPECT_EQ(d.header.pressured, 1);
  EXPECT_EQ(d.header.memory_wtime, 42);
  EXPECT_EQ(std::string(d.results.begin(), d.results.end()), "results!");
  ASSERT_EQ(d.failures.size(), 2u);
  EXPECT_EQ(d.failures[0].index, 11);
  EXPECT_EQ(d.failures[0].message, "boom");
  EXPECT_EQ(d.failures[1].message, "");
  EXPECT_TRUE(d.measured);
  EXPECT_EQ(d.item_seconds, (std::vector<double>{0.1, 0.2, 0.3}));
  EXPECT_EQ(d.memory_growth_bytes, 4096);
  ASSERT_EQ(d.parts.size(), 2u);
  EXPECT_EQ(d.parts[1].rank, 6);
  EXPECT_EQ(d.parts[0].results_bytes, 8);
  expect_prefixes_refused(m, decode_result);
  auto longer = m;
  longer.push_back('x');
  EXPECT_THROW(decode_result(longer), protocol_error) << "bytes left over";
}

TEST(Wire, APlainResultCarriesNoMeasurements) {
  Result r;
  r.header.count = 1;
  r.results = bytes("12345678");
  const Result d = decode_result(encode(r));
  EXPECT_FALSE(d.measured);
  EXPECT_TRUE(d.item_seconds.empty());
  EXPECT_TRUE(d.parts.empty());
}

TEST(Wire, ImpossibleCountsAreRefusedBeforeAnythingIsAllocated) {
  Result r;
  r.header.count = 1;
  auto m = encode(r);
  ResultHeader h{};
  h.failures = std::int64_t(1) << 60;
  std::memcpy(m.data(), &h, sizeof h);
  EXPECT_THROW(decode_result(m), protocol_error);
  h.failures = 0;
  h.results_bytes = -1;
  std::memcpy(m.data(), &h, sizeof h);
  EXPECT_THROW(decode_result(m), protocol_error);
  h.results_bytes = 0;
  h.measured = 1;
  h.count = std::int64_t(1) << 61;
  std::memcpy(m.data(), &h, sizeof h);
  EXPECT_THROW(decode_result(m), protocol_error);
}

TEST(Wire, ReturnRoundTrip) {
  const auto m = encode(ReturnHeader{4, 20, 3, 1}, bytes("xyz"));
  const Return r = decode_return(m);
  EXPECT_EQ(r.header.seq, 4);
  EXPECT_EQ(r.header.first, 20);
  EXPECT_EQ(r.header.count, 3);
  EXPECT_EQ(r.header.whole, 1);
  EXPECT_EQ(std::string(r.items.data, r.items.size), "xyz");
  const auto bad = encode(ReturnHeader{4, 20, 3, 2}, {});
  EXPECT_THROW(decode_return(bad), protocol_error);
}

TEST(Wire, LeadRoundTrip) {
  const Lead lead{3, 0.05, {5, 6, 7}};
  const auto m = encode(lead);
  const Lead d = decode_lead(m);
  EXPECT_EQ(d.inflight, 3);
  EXPECT_EQ(d.chunk_seconds, 0.05);
  EXPECT_EQ(d.workers, (std::vector<std::int32_t>{5, 6, 7}));
  expect_prefixes_refused(m, decode_lead);
}

TEST(Wire, ShareRoundTripWithEachWorkersCpus) {
  const Share share{2, {{0, 1}, {2, 3}}};
  const auto m = encode(share);
  const Share d = decode_share(m);
  EXPECT_EQ(d.threads, 2);
  EXPECT_EQ(d.cpus, share.cpus);
  expect_prefixes_refused(m, decode_share);
  EXPECT_TRUE(decode_share(encode(Share{1, {}})).cpus.empty()) << "not bound";
  EXPECT_THROW(decode_share(encode(Share{1, {{-1}}})), protocol_error);
  EXPECT_THROW(decode_share(encode(Share{0, {}})), protocol_error);
}

TEST(Wire, BatchRoundTripAndItsPartsMustAddUp) {
  const std::vector<PartHeader> parts{{0, 2, 3}, {2, 1, 2}};
  const auto m = encode(BatchHeader{9, 0, 3, 0}, parts, bytes("aaabb"));
  const Batch b = decode_batch(m);
  EXPECT_EQ(b.header.seq, 9);
  EXPECT_EQ(b.header.parts, 2);
  ASSERT_EQ(b.parts.size(), 2u);
  EXPECT_EQ(b.parts[1].first, 2);
  EXPECT_EQ(std::string(b.items.data, b.items.size), "aaabb");
  expect_prefixes_refused(m, decode_batch);
  EXPECT_THROW(decode_batch(encode(BatchHeader{9, 0, 4, 0}, parts, bytes("aaabb"))), protocol_error)
      << "parts of 3 items in a batch of 4";
}

TEST(Wire, StatusAndStopRoundTrip) {
  const Status s = decode_status(encode(Status{1, 0, 12.5}));
  EXPECT_EQ(s.pressured, 1);
  EXPECT_EQ(s.when, 12.5);
  EXPECT_NO_THROW(decode_empty(encode_empty(), Tag::kStop));
  EXPECT_THROW(decode_empty(bytes("x"), Tag::kDone), protocol_error);
}

TEST(Wire, ADoneUpTheEndingTreeCarriesItsCount) {
  EXPECT_EQ(decode_done(encode_done(0)), 0);
  EXPECT_EQ(decode_done(encode_done(123456789012)), 123456789012);
  EXPECT_THROW(decode_done(encode_empty()), protocol_error);
  EXPECT_THROW(decode_done(encode_done(-1)), protocol_error);
  std::vector<char> longer = encode_done(5);
  longer.push_back('x');
  EXPECT_THROW(decode_done(longer), protocol_error);
}

TEST(Wire, AbortAndVerdictRoundTrip) {
  const Abort a = decode_abort(encode(Abort{4, "rank 3: bad item"}));
  EXPECT_EQ(a.leader, 4);
  EXPECT_EQ(a.message, "rank 3: bad item");
  const Verdict v = decode_verdict(encode(Verdict{-1, ""}));
  EXPECT_EQ(v.failed_rank, -1);
  EXPECT_EQ(v.message, "");
  EXPECT_THROW(decode_verdict(bytes("ab")), protocol_error);
}

TEST(Wire, TagsTheProtocolDoesNotUseAreRefused) {
  EXPECT_EQ(tag_from_int(102), Tag::kResult);
  EXPECT_STREQ(name(Tag::kReturn), "kReturn");
  EXPECT_THROW(tag_from_int(0), protocol_error);
  EXPECT_THROW(tag_from_int(100), protocol_error);
  EXPECT_EQ(tag_from_int(112), Tag::kEnd);
  EXPECT_THROW(tag_from_int(113), protocol_error);
}

}  // namespace
}  // namespace amorsize::detail::wire
