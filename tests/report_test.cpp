#include "amorsize/report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

namespace amorsize {
namespace {

// Two nodes: rank 0 runs two threads (overlapping chunks), ranks 1 and 2 one each.
LoggedRun example_run() {
  LoggedRun run;
  run.summary.run_id = 3;
  run.summary.workload_key = "exp:mean=1ms,n=60";
  run.summary.status = "complete";
  run.summary.items = 60;
  run.summary.chunks = 6;
  run.summary.workers = 4;
  run.summary.cores = 4;
  run.summary.makespan_seconds = 0.030;
  run.summary.predicted_makespan_seconds = 0.027;
  run.summary.efficiency = 0.9;
  run.plan_json = R"({"nodes":[{"workers":2},{"workers":2}]})";
  run.nodes.resize(2);
  run.nodes[0].name = "a";
  run.nodes[1].name = "b";
  run.nodes[1].speed = 0.5;
  run.node_bindings = {"0 | 1", ""};
  auto chunk = [&](int seq, int node, int rank, double start, double compute, std::int64_t first) {
    ChunkRecord c;
    c.seq = seq;
    c.node = node;
    c.rank = rank;
    c.first = first;
    c.count = 10;
    c.dispatch_seconds = start - 1e-4;
    c.start_seconds = start;
    c.compute_seconds = compute;
    c.end_seconds = start + compute;
    c.receive_seconds = c.end_seconds + 1e-4;
    run.chunks.push_back(c);
  };
  chunk(0, 0, 0, 0.000, 0.010, 0);
  chunk(1, 0, 0, 0.001, 0.012, 10);  // overlaps chunk 0: a second thread
  chunk(2, 1, 1, 0.000, 0.020, 20);
  chunk(3, 1, 2, 0.000, 0.015, 30);
  chunk(4, 1, 2, 0.016, 0.012, 40);
  chunk(5, 0, 0, 0.011, 0.004, 50);  // back on the first thread
  run.failures.push_back({42, "boom"});
  run.pressure = {{0.005, 1}};
  run.pressure_seconds = {0.0, 0.012};  // node 1, from 5 ms to 17 ms
  return run;
}

TEST(Report, AnalysisFindsThreadsNodesAndImbalance) {
  const RunAnalysis a = analyze(example_run());
  ASSERT_EQ(a.workers.size(), 4u);  // rank 0 has two lanes
  int lanes_of_rank0 = 0;
  for (const auto& w : a.workers) lanes_of_rank0 += w.rank == 0;
  EXPECT_EQ(lanes_of_rank0, 2);
  ASSERT_EQ(a.nodes.size(), 2u);
  EXPECT_NEAR(a.nodes[0].busy_seconds, 0.026, 1e-12);
  EXPECT_NEAR(a.nodes[1].utilization, 0.047 / (2 * 0.030), 1e-9);
  // Workers finish at 0.013, 0.015, 0.020 and 0.028.
  EXPECT_NEAR(a.imbalance_seconds, 0.028 - 0.013, 1e-12);
  EXPECT_EQ(a.chunk_sizes, (std::vector<std::int64_t>(6, 10)));
  ASSERT_EQ(a.slowest.size(), 5u);
  EXPECT_EQ(a.slowest[0].seq, 2);
  EXPECT_NEAR(a.prediction_error, 0.1, 1e-9);
}

TEST(Report, TextHasTheFiguresOfARun) {
  const std::string text = run_text(example_run());
  for (const char* needle :
       {"Run 3", "exp:mean=1ms,n=60", "utilization", "Imbalance", "item 42: boom", "Slowest chunks",
        "error 10.0%", "Memory pressure: 1 episode(s); node 1 b 12 ms under pressure",
        ", speed 1.00, bound to CPUs 0 | 1\n", ", speed 0.50\n"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
}

TEST(Report, RunListHasOneLinePerRun) {
  RunIndexRow a, b;
  a.run_id = 1;
  a.workload_key = "x";
  a.status = "complete";
  b.run_id = 2;
  b.workload_key = "y";
  b.status = "interrupted";
  const std::string text = runs_text({a, b});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_NE(text.find("interrupted"), std::string::npos);
  const auto j = nlohmann::json::parse(runs_json({a, b}));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["status"], "interrupted");
}

TEST(Report, JsonHasTheAnalysis) {
  const auto j = nlohmann::json::parse(run_json(example_run()));
  EXPECT_EQ(j["run_id"], 3);
  EXPECT_EQ(j["nodes"].size(), 2u);
  EXPECT_NEAR(j["imbalance_seconds"].get<double>(), 0.015, 1e-12);
  EXPECT_EQ(j["failures"][0]["item"], 42);
  EXPECT_EQ(j["slowest_chunks"].size(), 5u);
  EXPECT_EQ(j["pressure_episodes"], 1);
  EXPECT_EQ(j["nodes"][0]["pressure_seconds"], 0.0);
  EXPECT_EQ(j["nodes"][1]["pressure_seconds"], 0.012);
  EXPECT_EQ(j["nodes"][0]["binding"], "0 | 1");
  EXPECT_EQ(j["nodes"][1]["speed"], 0.5);
}

TEST(Report, HtmlIsSelfContainedWithOneBarPerChunk) {
  const std::string html = run_html(example_run());
  const std::regex chunk_rect("<rect class=\"chunk\"");
  EXPECT_EQ(std::distance(std::sregex_iterator(html.begin(), html.end(), chunk_rect),
                          std::sregex_iterator()),
            6);
  EXPECT_NE(html.find("id=\"utilization\""), std::string::npos);
  EXPECT_NE(html.find("id=\"histogram\""), std::string::npos);
  EXPECT_EQ(html.find("http://") == std::string::npos ||
                html.find("http://www.w3.org/2000/svg") != std::string::npos,
            true);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

}  // namespace
}  // namespace amorsize
