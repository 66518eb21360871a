// Writes a small HDF5 log with two runs, for history_h5py_test.py (which checks it with h5py):
//   run 1 "example-sweep": 2 nodes, a plan, 3 samples, 10 chunks, 2 failures, 2 pressure
//         events; complete.
//   run 2 "example-other": 5 chunks; failed.
// Usage: history_write_example LOGFILE (an existing LOGFILE is replaced).
#include <cstdio>
#include <exception>
#include <iostream>

#include "amorsize/history.hpp"

namespace {

amorsize::ChunkRecord chunk(std::int64_t seq, std::int64_t first, std::int64_t count, int node) {
  amorsize::ChunkRecord c;
  c.seq = seq;
  c.first = first;
  c.count = count;
  c.node = node;
  c.rank = node + 1;
  c.dispatch_seconds = 0.5 * double(seq);
  c.start_seconds = c.dispatch_seconds + 0.001;
  c.compute_seconds = 0.01 * double(count);
  c.end_seconds = c.start_seconds + c.compute_seconds;
  c.receive_seconds = c.end_seconds + 0.002;
  c.bytes_in = 100 * count;
  c.bytes_out = 200 * count;
  c.failed = seq == 3 ? 2 : 0;
  return c;
}

void write_first(const std::string& path) {
  amorsize::TimingLog log(path, "example-sweep", "mpirun -np 4 ./sweep --n 103");
  std::vector<amorsize::NodeTopology> nodes(2);
  for (int i = 0; i < 2; ++i) {
    nodes[i].name = "node" + std::to_string(i);
    nodes[i].cores = 32;
    nodes[i].pus = 64;
    nodes[i].numa_domains = 2;
    nodes[i].memory_total_bytes = 256ull << 30;
    nodes[i].memory_available_bytes = 200ull << 30;
    nodes[i].speed = 1.0 + 0.5 * i;
  }
  log.on_nodes(nodes);
  amorsize::Plan plan;
  plan.workers = 62;
  plan.predicted_makespan_seconds = 4.5;
  plan.nodes.resize(2);
  plan.nodes[0].binding = "0 | 1";  // node 1's workers are not bound
  log.on_plan(plan);
  for (int i = 0; i < 3; ++i) log.on_sample({i, 0, 0.01 * (i + 1), 100, 200, 4096.0 * (i + 1)});
  std::int64_t first = 3;
  for (int seq = 0; seq < 10; ++seq) {
    log.on_chunk(chunk(seq, first, 10, seq % 2));
    first += 10;
  }
  log.on_pressure(1, 2.5, true);
  log.on_pressure(1, 3.0, false);

  amorsize::RunReport report;
  report.plan = plan;
  report.items = 103;
  report.delivered = 101;
  report.chunks = 10;
  report.sampled = 3;
  report.cores = 64;
  report.makespan_seconds = 5.0;
  report.compute_seconds = 1.06;
  report.efficiency = 0.8;
  report.failures = {{33, "division by zero"}, {34, "item 34: file not found"}};
  log.finish(report, "complete");
}

void write_second(const std::string& path) {
  amorsize::TimingLog log(path, "example-other", "./other");
  for (int seq = 0; seq < 5; ++seq) log.on_chunk(chunk(seq, 4 * seq, 4, 0));
  amorsize::RunReport report;
  report.items = 20;
  report.chunks = 5;
  log.finish(report, "failed");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: history_write_example LOGFILE\n";
    return 2;
  }
  try {
    std::remove(argv[1]);
    write_first(argv[1]);
    write_second(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "history_write_example: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
