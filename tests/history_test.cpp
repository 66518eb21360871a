#include "amorsize/history.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "amorsize/error.hpp"

namespace amorsize {
namespace {

namespace fs = std::filesystem;

/// Each test gets its own directory (ctest runs tests in parallel).
class History : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "amorsize-history-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name = "runs.h5") const { return (dir_ / name).string(); }

  fs::path dir_;
};

ChunkRecord chunk(std::int64_t seq, std::int64_t count, double compute_seconds, int node = 0) {
  ChunkRecord c;
  c.seq = seq;
  c.first = 1000 + 10 * seq;
  c.count = count;
  c.node = node;
  c.rank = 3 + node;
  c.dispatch_seconds = 0.25 * double(seq);
  c.start_seconds = c.dispatch_seconds + 1e-4;
  c.end_seconds = c.start_seconds + compute_seconds;
  c.receive_seconds = c.end_seconds + 2e-4;
  c.compute_seconds = compute_seconds;
  c.bytes_in = 64 * count;
  c.bytes_out = 128 * count + seq;
  c.failed = seq % 5 == 4 ? 1 : 0;
  return c;
}

void expect_same(const ChunkRecord& a, const ChunkRecord& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.rank, b.rank);
  EXPECT_EQ(a.dispatch_seconds, b.dispatch_seconds);
  EXPECT_EQ(a.start_seconds, b.start_seconds);
  EXPECT_EQ(a.end_seconds, b.end_seconds);
  EXPECT_EQ(a.receive_seconds, b.receive_seconds);
  EXPECT_EQ(a.compute_seconds, b.compute_seconds);
  EXPECT_EQ(a.bytes_in, b.bytes_in);
  EXPECT_EQ(a.bytes_out, b.bytes_out);
  EXPECT_EQ(a.failed, b.failed);
}

void expect_same(const RunIndexRow& a, const RunIndexRow& b) {
  EXPECT_EQ(a.run_id, b.run_id);
  EXPECT_EQ(a.workload_key, b.workload_key);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.start_unix_seconds, b.start_unix_seconds);
  EXPECT_EQ(a.end_unix_seconds, b.end_unix_seconds);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.chunks, b.chunks);
  EXPECT_EQ(a.failed, b.failed);
  EXPECT_EQ(a.workers, b.workers);
  EXPECT_EQ(a.cores, b.cores);
  EXPECT_EQ(a.makespan_seconds, b.makespan_seconds);
  EXPECT_EQ(a.predicted_makespan_seconds, b.predicted_makespan_seconds);
  EXPECT_EQ(a.efficiency, b.efficiency);
  EXPECT_EQ(a.compute_seconds, b.compute_seconds);
  EXPECT_EQ(a.item_seconds_mean, b.item_seconds_mean);
  EXPECT_EQ(a.item_seconds_cv, b.item_seconds_cv);
  EXPECT_EQ(a.item_seconds_p95, b.item_seconds_p95);
  EXPECT_EQ(a.item_seconds_max, b.item_seconds_max);
  EXPECT_EQ(a.bytes_in, b.bytes_in);
  EXPECT_EQ(a.bytes_out, b.bytes_out);
  EXPECT_EQ(a.mem_per_item_bytes, b.mem_per_item_bytes);
  EXPECT_EQ(a.threads_per_item, b.threads_per_item);
  EXPECT_EQ(a.from_history, b.from_history);
}

/// Runs f in a forked child and returns its exit status (or 128 + signal).
template <class F>
int in_child(F&& f) {
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) _exit(f());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// The message of the invalid_argument that `f` throws ("" when it throws nothing).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const invalid_argument& e) {
    return e.what();
  }
  return "";
}

/// Writes an HDF5 file whose root has the given schema attributes (nullptr: leave it out).
void write_raw_hdf5(const std::string& path, const char* schema, const int* version) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  if (schema) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, std::strlen(schema));  // fixed-length, ASCII: not how amorsize writes it
    const hid_t a = H5Acreate2(file, "schema", type, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, schema);
    H5Aclose(a);
    H5Tclose(type);
  }
  if (version) {
    const hid_t a =
        H5Acreate2(file, "schema_version", H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, version);
    H5Aclose(a);
  }
  const hid_t data =
      H5Dcreate2(file, "data", H5T_NATIVE_DOUBLE, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(data);
  H5Sclose(scalar);
  H5Fclose(file);
}

RunReport report_for(std::int64_t items, std::int64_t chunks) {
  RunReport r;
  r.items = items;
  r.chunks = chunks;
  return r;
}

// --- appending and reading back ---------------------------------------------------------------

TEST_F(History, RunsAppendToOneFileWithIncreasingIds) {
  {
    TimingLog log(path(), "sweep-a", "./sweep a");
    EXPECT_EQ(log.run_id(), 1);
    log.on_chunk(chunk(0, 10, 0.1));
    log.finish(report_for(10, 1), "complete");
    EXPECT_TRUE(log.healthy());
  }
  {
    TimingLog log(path(), "sweep-b", "./sweep b");
    EXPECT_EQ(log.run_id(), 2);
    log.finish(report_for(0, 0), "failed");
  }
  const auto runs = list_runs(path());
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, 1);
  EXPECT_EQ(runs[0].workload_key, "sweep-a");
  EXPECT_EQ(runs[0].status, "complete");
  EXPECT_EQ(runs[1].run_id, 2);
  EXPECT_EQ(runs[1].workload_key, "sweep-b");
  EXPECT_EQ(runs[1].status, "failed");
  EXPECT_LE(runs[0].start_unix_seconds, runs[1].start_unix_seconds);

  TimingLog third(path(), "sweep-a", "./sweep a");
  EXPECT_EQ(third.run_id(), 3);
}

TEST_F(History, EveryRecordAndTheIndexRowRoundTrip) {
  std::vector<NodeTopology> nodes(2);
  nodes[0].name = "alpha";
  nodes[0].cores = 32;
  nodes[0].pus = 64;
  nodes[0].numa_domains = 2;
  nodes[0].l3_bytes = 32u << 20;
  nodes[0].memory_total_bytes = 512ull << 30;
  nodes[0].memory_available_bytes = 500ull << 30;
  nodes[0].cgroup_limit_bytes = 64ull << 30;
  nodes[0].speed = 1.25;
  nodes[0].source = "synthetic:test";
  nodes[0].notes = {"a note"};
  nodes[1].name = "beta \xc3\xa9";  // UTF-8 survives
  nodes[1].cores = 8;

  Plan plan;
  plan.workers = 38;
  plan.chunk_size = 17;
  plan.predicted_makespan_seconds = 12.5;

  const std::vector<SampleRecord> samples = {
      {0, 0, 0.010, 10, 20, 1000}, {1, 0, 0.030, 12, 22, 5000}, {2, 1, 0.020, 14, 24, 3000}};
  std::vector<ChunkRecord> chunks;
  for (int i = 0; i < 12; ++i) chunks.push_back(chunk(i, 5 + i, 0.02 * (5 + i), i % 2));

  RunReport report;
  report.plan = plan;
  report.items = 3 + 5 * 12 + 66;
  report.chunks = 12;
  report.cores = 40;
  report.makespan_seconds = 3.75;
  report.compute_seconds = 2.5;
  report.efficiency = 0.875;
  report.node_speeds = {1.0, 0.5};  // measured: they replace the speeds the nodes began with
  report.failures = {{1040, "boom"}, {1091, "no such file: \xe2\x82\xac.dat"}};

  LogOptions options;
  options.flush_rows = 5;  // several writes
  std::int64_t id = 0;
  {
    TimingLog log(path(), "round-trip", "mpirun -np 4 ./a.out --x=1", options);
    id = log.run_id();
    log.set_from_history(true);
    log.on_nodes(nodes);
    log.on_plan(plan);
    for (const auto& s : samples) log.on_sample(s);
    log.on_pressure(1, 0.5, true);
    for (const auto& c : chunks) log.on_chunk(c);
    log.on_pressure(1, 0.75, false);
    log.on_pressure(0, 1.5, true);
    log.finish(report, "complete");
    EXPECT_TRUE(log.healthy());
  }

  const LoggedRun run = read_run(path(), id);
  EXPECT_EQ(run.command_line, "mpirun -np 4 ./a.out --x=1");
  EXPECT_EQ(run.amorsize_version, "0.1.0");
  EXPECT_EQ(run.start_time.size(), 20u) << run.start_time;  // 2024-05-01T12:34:56Z
  EXPECT_EQ(run.start_time.back(), 'Z');
  EXPECT_EQ(run.end_time.size(), 20u) << run.end_time;
  EXPECT_EQ(plan_from_json(run.plan_json).chunk_size, 17);

  ASSERT_EQ(run.nodes.size(), 2u);
  EXPECT_EQ(run.nodes[0].name, "alpha");
  EXPECT_EQ(run.nodes[0].cores, 32);
  EXPECT_EQ(run.nodes[0].pus, 64);
  EXPECT_EQ(run.nodes[0].numa_domains, 2);
  EXPECT_EQ(run.nodes[0].l3_bytes, 32u << 20);
  EXPECT_EQ(run.nodes[0].memory_total_bytes, 512ull << 30);
  EXPECT_EQ(run.nodes[0].memory_available_bytes, 500ull << 30);
  EXPECT_EQ(run.nodes[0].cgroup_limit_bytes, std::optional<std::uint64_t>(64ull << 30));
  EXPECT_EQ(run.nodes[0].speed, 1.0);
  EXPECT_EQ(run.nodes[1].speed, 0.5);
  EXPECT_EQ(run.nodes[0].source, "synthetic:test");
  EXPECT_EQ(run.nodes[0].notes, std::vector<std::string>{"a note"});
  EXPECT_EQ(run.nodes[1].name, "beta \xc3\xa9");
  EXPECT_EQ(run.nodes[1].cores, 8);

  ASSERT_EQ(run.samples.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(run.samples[i].item, samples[i].item);
    EXPECT_EQ(run.samples[i].node, samples[i].node);
    EXPECT_EQ(run.samples[i].seconds, samples[i].seconds);
    EXPECT_EQ(run.samples[i].bytes_in, samples[i].bytes_in);
    EXPECT_EQ(run.samples[i].bytes_out, samples[i].bytes_out);
    EXPECT_EQ(run.samples[i].memory_bytes, samples[i].memory_bytes);
  }
  ASSERT_EQ(run.chunks.size(), chunks.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) expect_same(run.chunks[i], chunks[i]);
  ASSERT_EQ(run.failures.size(), 2u);
  EXPECT_EQ(run.failures[0].index, 1040);
  EXPECT_EQ(run.failures[0].message, "boom");
  EXPECT_EQ(run.failures[1].index, 1091);
  EXPECT_EQ(run.failures[1].message, "no such file: \xe2\x82\xac.dat");
  // Only the moments a node became pressured (the release at 0.75 s is in the file).
  ASSERT_EQ(run.pressure.size(), 2u);
  EXPECT_EQ(run.pressure[0], std::make_pair(0.5, 1));
  EXPECT_EQ(run.pressure[1], std::make_pair(1.5, 0));
  // Time under pressure per node: node 1 from 0.5 to 0.75 s; node 0 from 1.5 s to the end.
  ASSERT_EQ(run.pressure_seconds.size(), 2u);
  EXPECT_DOUBLE_EQ(run.pressure_seconds[1], 0.25);
  EXPECT_DOUBLE_EQ(run.pressure_seconds[0], report.makespan_seconds - 1.5);

  const RunIndexRow& s = run.summary;
  EXPECT_EQ(s.run_id, id);
  EXPECT_EQ(s.workload_key, "round-trip");
  EXPECT_EQ(s.status, "complete");
  EXPECT_GT(s.start_unix_seconds, 1.6e9);
  EXPECT_GE(s.end_unix_seconds, s.start_unix_seconds);
  EXPECT_EQ(s.items, report.items);
  EXPECT_EQ(s.chunks, 12);
  EXPECT_EQ(s.failed, 2);
  EXPECT_EQ(s.workers, 38);
  EXPECT_EQ(s.cores, 40);
  EXPECT_EQ(s.makespan_seconds, 3.75);
  EXPECT_EQ(s.predicted_makespan_seconds, 12.5);
  EXPECT_EQ(s.efficiency, 0.875);
  EXPECT_EQ(s.compute_seconds, 2.5);
  EXPECT_GT(s.item_seconds_mean, 0);
  EXPECT_EQ(s.mem_per_item_bytes, 5000);
  EXPECT_EQ(s.threads_per_item, 1);
  EXPECT_TRUE(s.from_history);

  // The index row says the same as the group's attributes.
  const auto runs = list_runs(path());
  ASSERT_EQ(runs.size(), 1u);
  expect_same(runs[0], s);
}

TEST_F(History, ItemStatisticsComeFromChunkMeansAndSamples) {
  // 10 chunks: counts c_i, means m_i; the per-item CV is estimated from the chunk means.
  std::vector<ChunkRecord> chunks;
  double compute = 0, weighted_mean = 0, bytes_in = 0, bytes_out = 0;
  std::int64_t items = 0;
  for (int i = 0; i < 10; ++i) {
    const std::int64_t count = 4 + i;
    const double mean = 0.01 * (1 + 0.1 * (i % 3));
    chunks.push_back(chunk(i, count, mean * double(count)));
    compute += mean * double(count);
    items += count;
    bytes_in += double(chunks.back().bytes_in);
    bytes_out += double(chunks.back().bytes_out);
  }
  weighted_mean = compute / double(items);
  double ss = 0;
  for (const auto& c : chunks) {
    const double m = c.compute_seconds / double(c.count);
    ss += double(c.count) * (m - weighted_mean) * (m - weighted_mean);
  }
  const double chunk_cv = std::sqrt(ss / 9) / weighted_mean;

  const std::vector<SampleRecord> samples = {{0, 0, 0.005, 1, 2, 100}, {1, 0, 0.025, 3, 4, 700}};
  {
    TimingLog log(path(), "stats", "");
    for (const auto& s : samples) log.on_sample(s);
    for (const auto& c : chunks) log.on_chunk(c);
    log.finish(report_for(items + 2, 10), "complete");
  }
  const RunIndexRow many = list_runs(path()).at(0);
  EXPECT_NEAR(many.item_seconds_mean, (compute + 0.03) / double(items + 2), 1e-15);
  EXPECT_NEAR(many.item_seconds_cv, chunk_cv, 1e-12);
  // Two samples say little about the tail: p95 = mean + 1.645 sigma, capped at the max.
  EXPECT_NEAR(many.item_seconds_p95,
              std::min(0.025, many.item_seconds_mean * (1 + 1.6448536269514722 * chunk_cv)), 1e-9);
  EXPECT_EQ(many.item_seconds_max, 0.025);  // the longest sample beats the largest chunk mean
  EXPECT_NEAR(many.bytes_in, (bytes_in + 4) / double(items + 2), 1e-12);
  EXPECT_NEAR(many.bytes_out, (bytes_out + 6) / double(items + 2), 1e-12);
  EXPECT_EQ(many.mem_per_item_bytes, 700);

  // With fewer than 8 chunks the samples' own CV is used.
  {
    TimingLog log(path(), "stats", "");
    for (const auto& s : samples) log.on_sample(s);
    for (int i = 0; i < 3; ++i) log.on_chunk(chunks[i]);
    log.finish(report_for(0, 3), "complete");
  }
  const RunIndexRow few = list_runs(path()).at(1);
  const double sample_sd = std::sqrt(2 * 0.01 * 0.01 / 1);  // values 0.005, 0.025; mean 0.015
  EXPECT_NEAR(few.item_seconds_cv, sample_sd / 0.015, 1e-12);
  EXPECT_EQ(few.item_seconds_max, 0.025);
}

// --- files that are not logs ------------------------------------------------------------------

TEST_F(History, ANewerSchemaVersionIsRefusedWithAClearMessage) {
  const int three = 3;
  write_raw_hdf5(path(), "amorsize-log", &three);
  for (const auto& message :
       {error_of([&] { TimingLog log(path(), "k", ""); }), error_of([&] { list_runs(path()); }),
        error_of([&] { read_run(path()); })}) {
    EXPECT_NE(message.find(path()), std::string::npos) << message;
    EXPECT_NE(message.find("schema version 3; this amorsize reads versions 1 to 2 (a newer"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// tests/data/log_v1.h5 was written by amorsize before schema 2 (history_write_example, then
// three `bench --log` runs of one workload). It is still read, its history still plans, and a
// new run added to it is written in schema 2 beside the old ones.
TEST_F(History, AVersionOneLogIsReadAndTakesVersionTwoRuns) {
  const std::string v1 = std::string(AMORSIZE_TEST_DATA) + "/log_v1.h5";
  const auto runs = list_runs(v1);
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0].workload_key, "example-sweep");
  const LoggedRun first = read_run(v1, 1);
  EXPECT_EQ(first.nodes.size(), 2u);
  EXPECT_EQ(first.failures.size(), 2u);
  EXPECT_EQ(first.pressure.size(), 1u);
  EXPECT_TRUE(first.node_bindings.empty()) << "schema 1 had no bindings";
  const Prediction p = predict(v1, "exp:mean=1ms,n=1000");
  EXPECT_EQ(p.runs, 3);
  ASSERT_TRUE(p.profile) << p.reason;
  EXPECT_NEAR(p.profile->item_seconds_mean, 1e-3, 3e-4);

  fs::copy_file(v1, path(), fs::copy_options::overwrite_existing);
  {
    TimingLog log(path(), "new", "");
    NodeTopology n;
    n.name = "alpha";
    log.on_nodes({n});
    Plan plan;
    plan.nodes.resize(1);
    plan.nodes[0].binding = "0 | 1";
    log.on_plan(plan);
    log.finish(report_for(0, 0), "complete");
  }
  EXPECT_EQ(list_runs(path()).size(), 6u);
  EXPECT_EQ(read_run(path(), 1).nodes.size(), 2u) << "the old runs read as before";
  const LoggedRun added = read_run(path(), 6);
  EXPECT_EQ(added.node_bindings, std::vector<std::string>{"0 | 1"});
  const hid_t file = H5Fopen(path().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t a = H5Aopen(file, "schema_version", H5P_DEFAULT);
  int version = 0;
  H5Aread(a, H5T_NATIVE_INT, &version);
  H5Aclose(a);
  H5Fclose(file);
  EXPECT_EQ(version, 2);
}

TEST_F(History, AnHdf5FileWithoutTheSchemaIsNotALog) {
  write_raw_hdf5(path(), nullptr, nullptr);
  const auto size = fs::file_size(path());
  const std::string message = error_of([&] { TimingLog log(path(), "k", ""); });
  EXPECT_NE(message.find("not an amorsize log"), std::string::npos) << message;
  EXPECT_EQ(fs::file_size(path()), size);  // left alone

  write_raw_hdf5(path(), "something-else", nullptr);
  const std::string other = error_of([&] { list_runs(path()); });
  EXPECT_NE(other.find("\"something-else\""), std::string::npos) << other;
}

TEST_F(History, ATextFileIsNotHdf5AndIsLeftAlone) {
  { std::ofstream(path()) << "time,seconds\n1,2\n"; }
  for (const auto& message :
       {error_of([&] { TimingLog log(path(), "k", ""); }), error_of([&] { list_runs(path()); }),
        error_of([&] { read_run(path(), 1); })}) {
    EXPECT_NE(message.find(path() + " is not an HDF5 file"), std::string::npos) << message;
  }
  std::ifstream in(path());
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "time,seconds");
}

TEST_F(History, ATruncatedLogGivesAClearErrorNotACrash) {
  for (int i = 0; i < 3; ++i) {
    TimingLog log(path(), "k", "");
    for (int c = 0; c < 2000; ++c) log.on_chunk(chunk(c, 3, 0.01 * (c % 7)));
    log.finish(report_for(6000, 2000), "complete");
  }
  fs::resize_file(path(), fs::file_size(path()) / 2);
  for (const auto& message :
       {error_of([&] { TimingLog log(path(), "k", ""); }), error_of([&] { list_runs(path()); }),
        error_of([&] { read_run(path()); })}) {
    EXPECT_NE(message.find(path()), std::string::npos) << message;
    EXPECT_NE(message.find("damaged"), std::string::npos) << message;
  }
}

TEST_F(History, AnUnwritablePathIsRefusedBeforeAnyWork) {
  const std::string missing_dir = path("no/such/dir/runs.h5");
  std::string message = error_of([&] { TimingLog log(missing_dir, "k", ""); });
  EXPECT_NE(message.find(missing_dir), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;

  { std::ofstream(path("plain")) << "x"; }
  const std::string under_file = path("plain/runs.h5");
  message = error_of([&] { TimingLog log(under_file, "k", ""); });
  EXPECT_NE(message.find(under_file), std::string::npos) << message;

  message = error_of([&] { TimingLog log(dir_.string(), "k", ""); });
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;

  message = error_of([&] { list_runs(path("missing.h5")); });
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  if (geteuid() != 0) {  // root writes anyway
    fs::create_directory(dir_ / "ro");
    fs::permissions(dir_ / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    message = error_of([&] { TimingLog log(path("ro/runs.h5"), "k", ""); });
    EXPECT_NE(message.find("Permission denied"), std::string::npos) << message;
  }
}

TEST_F(History, AnEmptyFileBecomesANewLog) {
  { std::ofstream touch(path()); }
  {
    TimingLog log(path(), "k", "");
    log.finish(report_for(0, 0), "complete");
  }
  EXPECT_EQ(list_runs(path()).size(), 1u);
}

// --- runs that end badly ----------------------------------------------------------------------

TEST_F(History, AKilledRunKeepsItsFlushedChunksAndIsListedAsRunning) {
  {
    TimingLog first(path(), "earlier", "");
    first.finish(report_for(0, 0), "complete");
  }
  const int status = in_child([&] {
    LogOptions options;
    options.flush_rows = 1u << 30;
    options.flush_seconds = 1e9;
    auto* log = new TimingLog(path(), "killed", "./killed");  // never finished nor destroyed
    for (int c = 0; c < 1500; ++c) log->on_chunk(chunk(c, 2, 0.004));
    log->flush();
    for (int c = 1500; c < 1600; ++c) log->on_chunk(chunk(c, 2, 0.004));  // lost
    return log->healthy() ? 0 : 1;  // in_child calls _exit: like kill -9, nothing more
  });
  ASSERT_EQ(status, 0);

  const auto runs = list_runs(path());
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].run_id, 2);
  EXPECT_EQ(runs[1].workload_key, "killed");
  EXPECT_EQ(runs[1].status, "running");
  EXPECT_EQ(runs[1].chunks, 1500);
  EXPECT_GT(runs[1].start_unix_seconds, 0);

  const LoggedRun run = read_run(path());
  EXPECT_EQ(run.summary.status, "running");
  EXPECT_EQ(run.command_line, "./killed");
  EXPECT_EQ(run.end_time, "");
  ASSERT_EQ(run.chunks.size(), 1500u);
  expect_same(run.chunks[1499], chunk(1499, 2, 0.004));

  // The log goes on.
  TimingLog next(path(), "next", "");
  EXPECT_EQ(next.run_id(), 3);
}

TEST_F(History, AFailedWriteWarnsOnceAndLoggingStopsWithoutThrowing) {
  // A full disk, simulated in a child: past the soft RLIMIT_FSIZE, write() fails with EFBIG
  // (SIGXFSZ ignored). The child ends with exit(), so HDF5's cleanup at exit runs too: it must
  // not crash on the file whose writes failed.
  const std::string file = path();
  const int status = in_child([&] {
    signal(SIGXFSZ, SIG_IGN);
    rlimit original{};
    getrlimit(RLIMIT_FSIZE, &original);
    std::vector<std::string> warnings;
    LogOptions options;
    options.flush_rows = 1000;
    options.warn = [&](const std::string& m) {
      warnings.push_back(m);
      // The limit also applies to the in-memory file the log diverts its last writes to,
      // which a full disk would not: lift it.
      setrlimit(RLIMIT_FSIZE, &original);
    };
    int code = 0;
    try {
      TimingLog log(file, "full-disk", "", options);
      const rlimit limit{static_cast<rlim_t>(fs::file_size(file) + 16384), original.rlim_max};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) std::exit(10);
      for (int c = 0; c < 200000; ++c)
        log.on_chunk(chunk(c, 1 + c % 13, std::sin(c) * std::sin(c)));  // hard to compress
      if (warnings.size() != 1)
        code = 11;
      else if (log.healthy())
        code = 12;
      else if (warnings[0].find(file) == std::string::npos)
        code = 13;
      else if (warnings[0].find("File too large") == std::string::npos)
        code = 14;
      else if (warnings[0].find("the run goes on without logging") == std::string::npos)
        code = 15;
      log.on_sample({});
      log.on_pressure(0, 1, true);
      log.flush();
      log.finish(report_for(1, 1), "complete");
      if (!code && warnings.size() != 1) code = 16;
    } catch (...) {
      code = 17;
    }
    if (!code && warnings.size() != 1) code = 18;  // the destructor stayed quiet too
    fflush(nullptr);
    std::exit(code);
    return code;
  });
  EXPECT_EQ(status, 0);
}

/// In a child: a private tmpfs of `bytes` mounted on `dir` (false when the system forbids it).
bool mount_small_tmpfs(const std::string& dir, std::size_t bytes) {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  if (unshare(CLONE_NEWNS) != 0) {
    // Not privileged: a user namespace of our own grants the right to mount a tmpfs.
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    std::ofstream("/proc/self/setgroups") << "deny";
    std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
    std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  const std::string options = "size=" + std::to_string(bytes);
  return mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

TEST_F(History, AFullDiskStopsLoggingAndTheProgramStillExitsCleanly) {
  // A real "no space left on device", on a small tmpfs in a private mount namespace. The child
  // ends with exit(): HDF5 1.10 crashes in its cleanup at exit when a file it could not flush
  // is still open, so the log must have closed the file without writing to it again.
  fs::create_directory(dir_ / "small");
  const std::string small = (dir_ / "small").string();
  const int status = in_child([&] {
    if (!mount_small_tmpfs(small, 128 * 1024)) std::exit(77);
    int warnings = 0;
    LogOptions options;
    options.flush_rows = 1000;
    options.warn = [&](const std::string& m) {
      ++warnings;
      if (m.find("No space left on device") == std::string::npos) std::exit(20);
    };
    {
      TimingLog log(small + "/runs.h5", "full-disk", "", options);
      for (int c = 0; c < 100000; ++c)
        log.on_chunk(chunk(c, 1 + c % 13, std::sin(c) * std::sin(c)));
      if (log.healthy()) std::exit(21);
      log.finish(report_for(1, 1), "complete");
    }
    fflush(nullptr);
    std::exit(warnings == 1 ? 0 : 22);
    return 0;
  });
  if (status == 77) GTEST_SKIP() << "cannot mount a tmpfs in a private namespace here";
  EXPECT_EQ(status, 0);
}

TEST_F(History, TheDestructorWritesBufferedRowsAndMarksTheRunInterrupted) {
  {
    LogOptions options;
    options.flush_rows = 1u << 30;
    options.flush_seconds = 1e9;
    TimingLog log(path(), "dropped", "", options);
    for (int c = 0; c < 7; ++c) log.on_chunk(chunk(c, 3, 0.03));
  }
  const auto runs = list_runs(path());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "interrupted");
  EXPECT_EQ(runs[0].chunks, 7);
  EXPECT_EQ(runs[0].items, 21);
  EXPECT_NEAR(runs[0].item_seconds_mean, 0.01, 1e-15);
  // No samples: the largest chunk mean is the max, and p95 cannot exceed it.
  EXPECT_NEAR(runs[0].item_seconds_max, 0.01, 1e-15);
  EXPECT_NEAR(runs[0].item_seconds_p95, 0.01, 1e-15);
  const LoggedRun run = read_run(path());
  EXPECT_EQ(run.chunks.size(), 7u);
  EXPECT_FALSE(run.end_time.empty());
}

// --- reading ----------------------------------------------------------------------------------

TEST_F(History, ReadRunNamesTheRunsThereAre) {
  for (int i = 0; i < 2; ++i) {
    TimingLog log(path(), "k" + std::to_string(i), "");
    log.finish(report_for(0, 0), "complete");
  }
  EXPECT_EQ(read_run(path()).summary.run_id, 2);
  EXPECT_EQ(read_run(path(), -1).summary.workload_key, "k1");
  EXPECT_EQ(read_run(path(), 1).summary.workload_key, "k0");
  EXPECT_EQ(error_of([&] { read_run(path(), 7); }),
            "run 7 not found in " + path() + " (runs 1..2)");
}

TEST_F(History, AReaderInTheWritingProcessSeesTheLiveRun) {
  TimingLog log(path(), "live", "");
  for (int c = 0; c < 3; ++c) log.on_chunk(chunk(c, 1, 0.1));
  log.flush();
  const auto runs = list_runs(path());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "running");
  EXPECT_EQ(read_run(path()).chunks.size(), 3u);
  log.on_chunk(chunk(3, 1, 0.1));
  log.finish(report_for(4, 4), "complete");
  EXPECT_EQ(read_run(path()).chunks.size(), 4u);
}

TEST_F(History, ASecondWriterIsRefusedWhileTheFirstHoldsTheFile) {
  if (const char* locking = std::getenv("HDF5_USE_FILE_LOCKING");
      locking && std::string(locking) == "FALSE")
    GTEST_SKIP() << "HDF5 file locking is turned off (HDF5_USE_FILE_LOCKING=FALSE)";
  const std::string file = path();
  { TimingLog init(file, "init", ""); }
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    TimingLog log(file, "holder", "");
    char c = 1;
    if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  const std::string message = error_of([&] { TimingLog log(file, "second", ""); });
  EXPECT_NE(message.find("open for writing by another process"), std::string::npos) << message;
  EXPECT_EQ(list_runs(file).size(), 2u);  // readers do not take the lock
  ASSERT_EQ(write(done[1], &c, 1), 1);
  int status = 0;
  waitpid(pid, &status, 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

// Many runs in one file, each opened, logged and closed: every one is listed, in order, with
// its key and statistics. (A thousand took 31 s on a slow CI disk; 300 check the same.)
TEST_F(History, HundredsOfRunsAreListedInOrder) {
  constexpr int kRuns = 300;
  for (int i = 0; i < kRuns; ++i) {
    TimingLog log(path(), "key-" + std::to_string(i % 10), "");
    log.on_chunk(chunk(0, 1, 0.001 * (i + 1)));
    log.finish(report_for(1, 1), "complete");
  }
  const auto start = std::chrono::steady_clock::now();
  const auto runs = list_runs(path());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("list_runs_milliseconds", std::to_string(seconds * 1e3));
  RecordProperty("file_bytes", std::to_string(fs::file_size(path())));
  ASSERT_EQ(runs.size(), std::size_t(kRuns));
  for (int i = 0; i < kRuns; ++i) {
    EXPECT_EQ(runs[i].run_id, i + 1);
    EXPECT_EQ(runs[i].workload_key, "key-" + std::to_string(i % 10));
    EXPECT_NEAR(runs[i].item_seconds_mean, 0.001 * (i + 1), 1e-15);
  }
}

}  // namespace
}  // namespace amorsize
