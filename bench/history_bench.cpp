// Planning from history must be negligible: predict() + plan() on a log of 1,000 runs (the
// issue asks for under 5 ms).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "amorsize/amorsize.hpp"
#include "amorsize/history.hpp"

namespace {

// A log of `runs` finished runs of two workloads, 32 chunks each.
std::string make_log(int runs) {
  const std::string path = "/tmp/amorsize-history-bench-" + std::to_string(getpid()) + ".h5";
  std::remove(path.c_str());
  for (int r = 0; r < runs; ++r) {
    const std::string key = r % 2 ? "exp:mean=1ms,n=10000" : "const:mean=2ms,n=5000";
    amorsize::TimingLog log(path, key, "amorsize bench");
    amorsize::RunReport report;
    report.items = 32 * 100;
    report.delivered = report.items;
    report.chunks = 32;
    report.cores = 64;
    report.makespan_seconds = 1.0 + 0.01 * (r % 7);
    report.plan.workers = 64;
    for (int c = 0; c < 32; ++c) {
      amorsize::ChunkRecord rec;
      rec.seq = c;
      rec.first = c * 100;
      rec.count = 100;
      rec.rank = 1 + c % 8;
      rec.dispatch_seconds = 0.01 * c;
      rec.start_seconds = rec.dispatch_seconds + 1e-5;
      rec.compute_seconds = 0.1 * (1 + 0.05 * ((c * 7 + r) % 5));
      rec.end_seconds = rec.start_seconds + rec.compute_seconds;
      rec.receive_seconds = rec.end_seconds + 2e-5;
      rec.bytes_in = 800;
      rec.bytes_out = 800;
      log.on_chunk(rec);
      report.compute_seconds += rec.compute_seconds;
    }
    log.finish(report, "complete");
  }
  return path;
}

void BM_PlanFromHistory(benchmark::State& state) {
  const std::string path = make_log(int(state.range(0)));
  const auto node = amorsize::synthetic_topology("node:1 package:2 core:32 pu:2");
  const amorsize::Cluster cluster = amorsize::Cluster::replicate(node, 4);
  for (auto _ : state) {
    const amorsize::Prediction p = amorsize::predict(path, "exp:mean=1ms,n=10000");
    if (!p.profile) state.SkipWithError(("not confident: " + p.reason).c_str());
    amorsize::WorkloadProfile w = *p.profile;
    w.items = 10000;
    benchmark::DoNotOptimize(amorsize::plan(w, cluster));
  }
  std::remove(path.c_str());
}
BENCHMARK(BM_PlanFromHistory)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace

BENCHMARK_MAIN();
