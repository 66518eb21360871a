#include "amorsize/profile.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include <chrono>
#include <numeric>
#include <thread>

#include "amorsize/error.hpp"
#include "amorsize/workload.hpp"

namespace amorsize {
namespace {

TEST(Profile, SampleMeasuresItemTimesAndKeepsResultsInOrder) {
  std::vector<int> items(40);
  std::iota(items.begin(), items.end(), 0);
  // Items 0..9 take 1 ms, the others 3 ms: mean over the first 20 is 2 ms.
  auto s = sample(
      [](int i) {
        busy_wait(i < 10 ? 1e-3 : 3e-3);
        return i * 2;
      },
      items, 20);
  ASSERT_EQ(s.results.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(s.results[i], 2 * i);
  EXPECT_EQ(s.profile.sample_count, 20);
  EXPECT_EQ(s.profile.items, 40);
  EXPECT_NEAR(s.profile.item_seconds_mean, 2e-3, 0.3e-3);
  EXPECT_NEAR(s.profile.item_seconds_cv, 0.5, 0.1);
  EXPECT_GE(s.profile.item_seconds_max, 3e-3);
  EXPECT_EQ(s.profile.bytes_out, sizeof(int));
  EXPECT_EQ(s.profile.source, "sampled");
}

TEST(Profile, SampleMeasuresResultBytes) {
  std::vector<int> items = {100, 300};
  auto s = sample([](int n) { return std::string(std::size_t(n), 'x'); }, items, 2);
  EXPECT_DOUBLE_EQ(s.profile.bytes_out, 200);
}

TEST(Profile, SampleSeesNestedThreads) {
  // Long enough items that coarse CPU-time accounting (gVisor ticks) cannot hide the helper.
  const auto two_threads = [](int) {
    std::thread helper([] { busy_wait(80e-3); });
    busy_wait(80e-3);
    helper.join();
    return 0;
  };
  // Two threads read as two only when two cores are free: another job on the machine takes
  // them away, and then the sample rightly sees less. Measure that first.
  const double cpu0 = detail::process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  two_threads(0);
  const double free_cores =
      (detail::process_cpu_seconds() - cpu0) /
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (free_cores < 1.7) GTEST_SKIP() << "only " << free_cores << " cores free for two threads";
  std::vector<int> items(2, 0);
  auto s = sample(two_threads, items, 2);
  EXPECT_EQ(s.profile.threads_per_item, 2);
}

TEST(Profile, NumbersBeyondADoubleAreMalformedJson) {
  // Found by fuzzing (tests/fuzz/corpus/json/overflow): nlohmann's out_of_range escaped.
  try {
    profile_from_json(R"({"item_seconds_mean": 1e400})");
    FAIL() << "accepted 1e400";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("malformed profile JSON"), std::string::npos) << e.what();
  }
}

TEST(Profile, SampleSeesMemoryGrowth) {
  std::vector<std::size_t> items = {64u << 20};
  std::vector<std::vector<char>> keep;
  auto s = sample(
      [&](std::size_t bytes) {
        keep.emplace_back(bytes, 'x');  // touched, so resident
        return 0;
      },
      items, 1);
  EXPECT_GT(s.profile.mem_per_item_bytes, 32.0 * (1 << 20));
}

TEST(Profile, SampleCountsMemoryAnItemNotesOutsideTheProcess) {
  // A child process's peak does not show in this process's resident set; the item notes it.
  std::vector<std::uint64_t> items = {100u << 20, 300u << 20, 200u << 20};
  note_item_memory(999u << 20);  // before the sample: not an item's
  auto s = sample(
      [](std::uint64_t bytes) {
        note_item_memory(bytes / 2);
        note_item_memory(bytes);  // the largest noted counts
        return 0;
      },
      items, 3);
  EXPECT_DOUBLE_EQ(s.profile.mem_per_item_bytes, double(300u << 20));
}

TEST(Profile, SummarizeGivesQuantiles) {
  std::vector<double> xs(100);
  std::iota(xs.begin(), xs.end(), 1.0);
  const TimingStats t = summarize(xs);
  EXPECT_DOUBLE_EQ(t.mean, 50.5);
  EXPECT_NEAR(t.p50, 50.5, 1e-9);
  EXPECT_NEAR(t.p95, 95.05, 1e-9);
  EXPECT_DOUBLE_EQ(t.max, 100);
  EXPECT_NEAR(t.cv, 29.011 / 50.5, 1e-3);
}

TEST(Profile, JsonReadsTheDocumentedKeys) {
  const WorkloadProfile p = profile_from_json(
      R"({"item_seconds_mean": 0.002, "item_seconds_cv": 0.5, "items": 1000,
          "bytes_in": 64, "bytes_out": 128, "mem_per_item_bytes": 1048576,
          "threads_per_item": 2})");
  EXPECT_DOUBLE_EQ(p.item_seconds_mean, 0.002);
  EXPECT_EQ(p.items, 1000);
  EXPECT_DOUBLE_EQ(p.bytes_out, 128);
  EXPECT_DOUBLE_EQ(p.threads_per_item, 2);
  EXPECT_EQ(p.source, "json");
  // Left-out statistics come from a lognormal fit: median below the mean, p95 above.
  EXPECT_LT(p.item_seconds_p50, p.item_seconds_mean);
  EXPECT_GT(p.item_seconds_p95, p.item_seconds_mean);
  EXPECT_GE(p.item_seconds_max, p.item_seconds_p95);
}

TEST(Profile, NullItemsMeansUnbounded) {
  const auto p = profile_from_json(R"({"item_seconds_mean": 1e-3, "items": null})");
  EXPECT_FALSE(p.items.has_value());
}

TEST(Profile, JsonRoundTrip) {
  const auto p = profile_from_json(R"({"item_seconds_mean": 1e-3, "item_seconds_cv": 1.5,
                                       "items": 77, "bytes_out": 9})");
  const auto q = profile_from_json(to_json(p));
  EXPECT_EQ(to_json(p), to_json(q));
}

TEST(Profile, BadJsonIsRejectedWithTheReason) {
  auto message = [](const std::string& json) {
    try {
      profile_from_json(json);
    } catch (const invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("{\"item_seconds_mean\": ").find("malformed"), std::string::npos);
  EXPECT_NE(message("{\"items\": 5}").find("item_seconds_mean"), std::string::npos);
  EXPECT_NE(message("{\"item_seconds_mean\": -1}").find("item_seconds_mean = -1"),
            std::string::npos);
  EXPECT_NE(message("{\"item_seconds_mean\": 1, \"itemz\": 3}").find("itemz"), std::string::npos);
  EXPECT_NE(message("{\"item_seconds_mean\": \"fast\"}").find("wrong type"), std::string::npos);
  EXPECT_NE(message("{\"item_seconds_mean\": 1, \"items\": 2.5}").find("items"), std::string::npos);
  EXPECT_NE(message("[1, 2]").find("object"), std::string::npos);
}

TEST(Profile, MissingFileIsNamed) {
  try {
    load_profile("/nonexistent/profile.json");
    FAIL();
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/profile.json"), std::string::npos);
  }
}

// A sample spread over a source whose items grow with the index: the mean's standard error
// from neighbouring differences leaves the trend out, where CV / sqrt(k) would count it.
TEST(SampleTotals, ASpreadSampleMeasuresTheMeansErrorWithoutTheTrend) {
  SampleTotals trend;
  trend.spread = true;
  for (int i = 0; i < 16; ++i) {
    trend.indices.push_back(1000 - 60 * i);  // in any order
    trend.seconds.push_back(1e-3 * (1 + (1000 - 60 * i) / 100.0));
  }
  WorkloadProfile p;
  trend.fill(p);
  EXPECT_GT(p.item_seconds_cv / std::sqrt(16.0), 0.1);
  EXPECT_LT(p.item_seconds_mean_error, 0.05);
  SampleTotals plain = trend;
  plain.spread = false;
  plain.fill(p);
  EXPECT_NEAR(p.item_seconds_mean_error, p.item_seconds_cv / 4, 1e-12);
}

}  // namespace
}  // namespace amorsize
