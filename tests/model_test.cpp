#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "amorsize/history.hpp"

namespace amorsize {
namespace {

class ModelTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "model_test_" + std::to_string(getpid()) + ".h5";
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // A finished run of `key`: `chunks` chunks of `per_chunk` items of `item_seconds` each,
  // chunk means alternating (1 - spread)x and (1 + spread)x: for 100-item chunks and the
  // default spread, an item CV near 0.5.
  void log_run(const std::string& key, int chunks, int per_chunk, double item_seconds,
               const std::string& status = "complete", double spread = 0.05,
               const std::map<std::string, double>& features = {}) {
    TimingLog log(path_, key, "test");
    if (!features.empty()) log.on_features(features);
    RunReport report;
    report.chunks = chunks;
    report.cores = 4;
    report.plan.workers = 4;
    double t = 0;
    for (int c = 0; c < chunks; ++c) {
      ChunkRecord r;
      r.seq = c;
      r.first = std::int64_t(c) * per_chunk;
      r.count = per_chunk;
      r.rank = 1 + c % 4;
      r.compute_seconds = per_chunk * item_seconds * (c % 2 ? 1 + spread : 1 - spread);
      r.dispatch_seconds = t;
      r.start_seconds = t + 1e-5;
      r.end_seconds = r.start_seconds + r.compute_seconds;
      r.receive_seconds = r.end_seconds + 1e-5;
      t += 1e-3;
      log.on_chunk(r);
      report.compute_seconds += r.compute_seconds;
    }
    report.items = std::int64_t(chunks) * per_chunk;
    report.delivered = report.items;
    report.makespan_seconds = report.compute_seconds / 4;
    log.finish(report, status);
  }

  std::string path_;
};

// Workloads "sim n=N" whose items take 10 us x N, for N from 100 up by factors of sqrt(2).
TEST_F(ModelTest, AnUnseenWorkloadIsPlannedFromTheNearestByItsFeatures) {
  for (int i = 0; i < 8; ++i) {
    const double n = std::round(100 * std::pow(2.0, i / 2.0));
    log_run("sim n=" + std::to_string(int(n)), 200, 100, 1e-5 * n, "complete", 0.05,
            {{"n", n}, {"steps", 10}});
  }
  const Prediction p = predict(path_, "sim n=300", {}, {{"n", 300}, {"steps", 10}});
  ASSERT_TRUE(p.profile) << p.reason;
  EXPECT_NEAR(p.profile->item_seconds_mean, 3e-3, 3e-3 * 0.2) << p.reason;
  EXPECT_GE(p.confidence, 0.7);
  EXPECT_NE(p.reason.find("0 complete runs of \"sim n=300\""), std::string::npos) << p.reason;
  EXPECT_NE(p.reason.find("nearest of 8 earlier workloads by their features (n, steps"),
            std::string::npos)
      << p.reason;
  EXPECT_EQ(p.profile->source, "predicted from similar workloads");
  // Other feature names are other workloads: nothing to go by.
  const Prediction other = predict(path_, "sim n=300", {}, {{"atoms", 300}});
  EXPECT_FALSE(other.profile);
  EXPECT_NE(other.reason.find("0 earlier workloads with the same features"), std::string::npos)
      << other.reason;
  // Without features, an unseen key samples, as before.
  EXPECT_FALSE(predict(path_, "sim n=300").profile);
}

TEST_F(ModelTest, FeaturesThatDoNotExplainTheTimesGiveNoConfidence) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> any(-3, 3);
  for (int i = 0; i < 8; ++i)
    log_run("w" + std::to_string(i), 200, 100, 1e-3 * std::exp(any(rng)), "complete", 0.05,
            {{"n", double(i)}});
  const Prediction p = predict(path_, "new", {}, {{"n", 3.5}});
  EXPECT_FALSE(p.profile);
  EXPECT_LT(p.confidence, 0.7);
  EXPECT_NE(p.reason.find("so sampling"), std::string::npos) << p.reason;
}

TEST_F(ModelTest, AKeyWithItsOwnHistoryDoesNotAskTheNeighbours) {
  for (int i = 0; i < 5; ++i)
    log_run("w" + std::to_string(i), 200, 100, 1e-3 * (i + 1), "complete", 0.05,
            {{"n", double(i)}});
  const Prediction p = predict(path_, "w2", {}, {{"n", 2}});
  ASSERT_TRUE(p.profile);
  EXPECT_EQ(p.reason.find("features"), std::string::npos) << p.reason;
}

TEST_F(ModelTest, MissingLogPredictsNothingAndSaysWhy) {
  const Prediction p = predict(path_, "k");
  EXPECT_FALSE(p.profile);
  EXPECT_NE(p.reason.find("does not exist"), std::string::npos) << p.reason;
}

TEST_F(ModelTest, OneLargeRunIsTrusted) {
  log_run("k", 100, 100, 1e-3);
  const Prediction p = predict(path_, "k");
  ASSERT_TRUE(p.profile) << p.reason;
  EXPECT_GE(p.confidence, 0.7);
  EXPECT_EQ(p.runs, 1);
  EXPECT_NEAR(p.profile->item_seconds_mean, 1e-3, 1e-6);
  EXPECT_EQ(p.profile->source, "predicted");
  EXPECT_GT(p.profile->item_seconds_cv, 0.3);
}

TEST_F(ModelTest, ASmallRunIsNotTrusted) {
  log_run("k", 10, 3, 1e-3, "complete", 0.5);  // 30 uneven items: the mean is not pinned down
  const Prediction p = predict(path_, "k");
  EXPECT_FALSE(p.profile);
  EXPECT_LT(p.confidence, 0.7);
  EXPECT_NE(p.reason.find("sampling"), std::string::npos) << p.reason;
}

TEST_F(ModelTest, InconsistentRunsAreNotTrusted) {
  log_run("k", 100, 100, 1e-3);
  log_run("k", 100, 100, 2e-3);
  const Prediction p = predict(path_, "k");
  EXPECT_FALSE(p.profile) << p.reason;
  EXPECT_NE(p.reason.find("varying"), std::string::npos) << p.reason;
}

TEST_F(ModelTest, MoreConsistentRunsRaiseConfidence) {
  log_run("k", 100, 100, 1e-3);
  const double one = predict(path_, "k").confidence;
  log_run("k", 100, 100, 1.02e-3);
  log_run("k", 100, 100, 0.99e-3);
  const Prediction three = predict(path_, "k");
  EXPECT_GT(three.confidence, one);
  ASSERT_TRUE(three.profile);
  EXPECT_NEAR(three.profile->item_seconds_mean, 1.0033e-3, 1e-5);
}

TEST_F(ModelTest, OtherKeysAndUnfinishedRunsAreIgnored) {
  log_run("other", 100, 100, 5e-3);
  log_run("k", 100, 100, 1e-3, "interrupted");
  Prediction p = predict(path_, "k");
  EXPECT_FALSE(p.profile);
  EXPECT_EQ(p.runs, 0);
  log_run("k", 100, 100, 1e-3);
  p = predict(path_, "k");
  ASSERT_TRUE(p.profile);
  EXPECT_NEAR(p.profile->item_seconds_mean, 1e-3, 1e-6);
}

TEST(FitOverheads, RecoversPerChunkAndPerByteCosts) {
  // overhead = 50 us + 2 ns per byte; half the chunks also waited 3 ms in the worker's queue.
  std::vector<ChunkRecord> chunks;
  double t = 0;
  for (int i = 0; i < 200; ++i) {
    ChunkRecord c;
    c.seq = i;
    c.rank = i % 2;
    c.bytes_in = 1000 * (i % 10);
    c.bytes_out = 500 * (i % 7);
    const double overhead = 50e-6 + 2e-9 * double(c.bytes_in + c.bytes_out);
    c.dispatch_seconds = t;
    c.compute_seconds = 1e-3;
    c.start_seconds = t + overhead / 2;
    c.end_seconds = c.start_seconds + c.compute_seconds;
    c.receive_seconds = c.end_seconds + overhead / 2;
    t += 2e-3;
    chunks.push_back(c);
  }
  const OverheadFit fit = fit_overheads(chunks);
  EXPECT_EQ(fit.chunks, 200);
  EXPECT_NEAR(fit.per_chunk_seconds, 50e-6, 1e-6);
  EXPECT_NEAR(fit.per_byte_seconds, 2e-9, 1e-10);
}

TEST(FitOverheads, TimeQueuedBehindThePreviousChunkIsNotOverhead) {
  std::vector<ChunkRecord> chunks;
  // One worker holding two chunks: each waits for the previous one to end.
  double end = 0;
  for (int i = 0; i < 50; ++i) {
    ChunkRecord c;
    c.seq = i;
    c.rank = 1;
    c.dispatch_seconds = i * 1e-3;  // sent long before the worker gets to it
    c.start_seconds = std::max(end, c.dispatch_seconds) + 10e-6;
    c.compute_seconds = 5e-3;
    c.end_seconds = c.start_seconds + c.compute_seconds;
    c.receive_seconds = c.end_seconds + 10e-6;
    end = c.end_seconds;
    chunks.push_back(c);
  }
  EXPECT_NEAR(fit_overheads(chunks).per_chunk_seconds, 20e-6, 1e-6);
}

}  // namespace
}  // namespace amorsize
