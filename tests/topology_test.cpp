// Tests for topology.hpp: hwloc-backed node descriptions, the /proc/meminfo and cgroup
// cross-checks, the cluster model and the JSON form.
#include "amorsize/topology.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "amorsize/error.hpp"

#include "../src/memory_sources.hpp"  // the readers local_topology() uses, for tests

namespace {

namespace fs = std::filesystem;
using amorsize::Cluster;
using amorsize::NodeTopology;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

const std::string kDataDir = AMORSIZE_TEST_DATA;

/// A fresh directory for fake /proc and /sys trees, removed with the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("amorsize_topology_test_" + std::to_string(::getpid()) +
                                         "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

  /// Writes `text` to `relative`, creating parent directories.
  std::string write(const std::string& relative, const std::string& text) const {
    const fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  fs::path path_;
};

/// Expects `call` to throw invalid_argument whose message contains `fragment`.
template <typename Call>
void expect_invalid_argument(Call call, const std::string& fragment) {
  try {
    call();
    ADD_FAILURE() << "expected amorsize::invalid_argument containing \"" << fragment << "\"";
  } catch (const amorsize::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << fragment;
  }
}

NodeTopology sample_node() {
  NodeTopology node;
  node.name = "node042";
  node.cores = 32;
  node.pus = 64;
  node.numa_domains = 2;
  node.l3_bytes = 32 * kMiB;
  node.memory_total_bytes = 128 * kGiB;
  node.memory_available_bytes = 120 * kGiB;
  node.speed = 1.25;
  node.source = "xml:/data/node042.xml";
  return node;
}

// --- synthetic ------------------------------------------------------------------------------

TEST(Topology, SyntheticStringGivesCoresPusAndNuma) {
  const NodeTopology node = amorsize::synthetic_topology("node:1 package:2 core:32 pu:2");
  EXPECT_EQ(node.cores, 64);
  EXPECT_EQ(node.pus, 128);
  EXPECT_EQ(node.numa_domains, 1);
  EXPECT_EQ(node.name, "synthetic");
  EXPECT_EQ(node.source, "synthetic:node:1 package:2 core:32 pu:2");
}

TEST(Topology, SyntheticMemoryIsUnknownWithoutMemoryAttribute) {
  const NodeTopology node = amorsize::synthetic_topology("node:2 package:1 core:4 pu:1");
  EXPECT_EQ(node.numa_domains, 2);
  EXPECT_EQ(node.memory_total_bytes, 0u);
  EXPECT_EQ(node.memory_available_bytes, 0u);
  EXPECT_EQ(node.usable_memory_bytes(), 0u);
}

TEST(Topology, SyntheticMemoryAttributeGivesTotalAndAvailable) {
  const NodeTopology node =
      amorsize::synthetic_topology("package:2 node:1(memory=64GiB) core:8 pu:2");
  EXPECT_EQ(node.cores, 16);
  EXPECT_EQ(node.numa_domains, 2);
  EXPECT_EQ(node.memory_total_bytes, 128 * kGiB);
  EXPECT_EQ(node.memory_available_bytes, 128 * kGiB);
}

TEST(Topology, SyntheticL3SizeIsKnownOnlyWhenGiven) {
  EXPECT_EQ(amorsize::synthetic_topology("package:1 l3:1(size=32MiB) core:4 pu:1").l3_bytes,
            32 * kMiB);
  // hwloc would invent 16 MiB here.
  EXPECT_EQ(amorsize::synthetic_topology("package:1 l3:1 core:4 pu:1").l3_bytes, 0u);
}

TEST(Topology, SyntheticWithoutCoresCountsPusAsCores) {
  const NodeTopology node = amorsize::synthetic_topology("package:1 pu:6");
  EXPECT_EQ(node.pus, 6);
  EXPECT_EQ(node.cores, 6);
}

TEST(Topology, InvalidSyntheticStringIsRejectedWithAnExample) {
  expect_invalid_argument([] { amorsize::synthetic_topology("foo"); },
                          "invalid synthetic topology \"foo\": hwloc could not parse it "
                          "(expected e.g. \"node:1 package:2 core:32 pu:2\")");
  expect_invalid_argument([] { amorsize::synthetic_topology(""); }, "invalid synthetic topology");
  expect_invalid_argument([] { amorsize::synthetic_topology("core:0"); },
                          "invalid synthetic topology");
}

// --- XML ------------------------------------------------------------------------------------

TEST(Topology, XmlFixtureGivesCountsMemoryAndHostName) {
  // two_socket.xml: lstopo-no-graphics -i "package:2 node:1(memory=64GiB) l3:1(size=32MiB)
  // core:8 pu:2" --of xml, with a HostName info added as a real export would have.
  const std::string path = kDataDir + "/two_socket.xml";
  const NodeTopology node = amorsize::xml_topology(path);
  EXPECT_EQ(node.cores, 16);
  EXPECT_EQ(node.pus, 32);
  EXPECT_EQ(node.numa_domains, 2);
  EXPECT_EQ(node.l3_bytes, 32 * kMiB);
  EXPECT_EQ(node.memory_total_bytes, 128 * kGiB);
  EXPECT_EQ(node.memory_available_bytes, 128 * kGiB);
  EXPECT_EQ(node.name, "node042");
  EXPECT_EQ(node.source, "xml:" + path);
}

TEST(Topology, XmlWithoutHostNameIsNamedAfterTheFile) {
  const NodeTopology node = amorsize::xml_topology(kDataDir + "/one_socket.xml");
  EXPECT_EQ(node.name, "one_socket");
  EXPECT_EQ(node.cores, 4);
  EXPECT_EQ(node.pus, 4);
  EXPECT_EQ(node.numa_domains, 1);
  EXPECT_EQ(node.memory_total_bytes, 16 * kGiB);
}

TEST(Topology, MissingXmlFileIsRejected) {
  expect_invalid_argument([] { amorsize::xml_topology("/nonexistent/node.xml"); },
                          "topology file \"/nonexistent/node.xml\" does not exist");
}

TEST(Topology, UnparsableXmlFileIsRejectedNamingTheFile) {
  TempDir dir;
  const std::string path = dir.write("broken.xml", "this is not <xml");
  expect_invalid_argument([&path] { amorsize::xml_topology(path); },
                          "topology file \"" + path + "\"");
}

// --- specifications -------------------------------------------------------------------------

TEST(Topology, SpecSelectsSyntheticXmlOrLocal) {
  EXPECT_EQ(amorsize::topology_from_spec("synthetic:package:1 core:3 pu:1").cores, 3);
  EXPECT_EQ(amorsize::topology_from_spec("xml:" + kDataDir + "/two_socket.xml").cores, 16);
  EXPECT_EQ(amorsize::topology_from_spec("local").source, "local");
}

TEST(Topology, UnknownSpecIsRejected) {
  expect_invalid_argument([] { amorsize::topology_from_spec("remote:node1"); },
                          "unknown topology \"remote:node1\": expected local, synthetic:STRING "
                          "or xml:FILE");
  expect_invalid_argument([] { amorsize::topology_from_spec(""); }, "unknown topology \"\"");
  expect_invalid_argument([] { amorsize::topology_from_spec("xml:"); }, "does not exist");
}

// --- the live machine -----------------------------------------------------------------------

TEST(Topology, LocalTopologyMatchesProcMeminfo) {
  const NodeTopology node = amorsize::local_topology();
  EXPECT_GE(node.cores, 1);
  EXPECT_GE(node.pus, node.cores);
  EXPECT_GE(node.numa_domains, 1);
  EXPECT_EQ(node.source, "local");
  EXPECT_FALSE(node.name.empty());
  ASSERT_GT(node.memory_total_bytes, 0u);
  EXPECT_LE(node.memory_available_bytes, node.memory_total_bytes);

  // Read MemTotal independently of the library's reader.
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  while (meminfo >> key >> kib && key != "MemTotal:") meminfo.ignore(256, '\n');
  ASSERT_EQ(key, "MemTotal:");
  const double expected = static_cast<double>(kib) * 1024.0;
  EXPECT_NEAR(static_cast<double>(node.memory_total_bytes), expected, 0.01 * expected);
}

// --- /proc/meminfo and cgroups on fake trees ------------------------------------------------

TEST(Meminfo, ReadsKilobytesAsBytes) {
  TempDir dir;
  const std::string path = dir.write("meminfo",
                                     "MemTotal:       24684084 kB\n"
                                     "MemFree:        24436644 kB\n"
                                     "MemAvailable:   24395012 kB\n"
                                     "HugePages_Total:       0\n");
  EXPECT_EQ(amorsize::detail::read_meminfo_bytes(path, "MemTotal"), 24684084ull * 1024);
  EXPECT_EQ(amorsize::detail::read_meminfo_bytes(path, "MemAvailable"), 24395012ull * 1024);
  EXPECT_EQ(amorsize::detail::read_meminfo_bytes(path, "HugePages_Total"), 0u);
  EXPECT_EQ(amorsize::detail::read_meminfo_bytes(path, "Mem"), std::nullopt);
  EXPECT_EQ(amorsize::detail::read_meminfo_bytes((dir.path() / "missing").string(), "MemTotal"),
            std::nullopt);
}

TEST(Cgroup, V2LimitAndUsageAreRead) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/slurm/job_7/step_0\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/slurm/job_7/step_0/memory.max", "8589934592\n");
  dir.write("sys/slurm/job_7/step_0/memory.current", "1073741824\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), 8 * kGiB);
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 1 * kGiB);
}

TEST(Cgroup, V2MaxMeansNoLimit) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/user.slice\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/user.slice/memory.max", "max\n");
  dir.write("sys/user.slice/memory.current", "1000\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), std::nullopt);
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), std::nullopt);
}

TEST(Cgroup, V2ParentLimitBindsTheChild) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/slurm/job_7/step_0\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/slurm/job_7/memory.max", "4294967296\n");
  dir.write("sys/slurm/job_7/memory.current", "100\n");
  dir.write("sys/slurm/job_7/step_0/memory.max", "max\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), 4 * kGiB);
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 100u);
}

// Page cache is charged to the cgroup, but its inactive part is reclaimed first: it does not
// count as used. (256 MiB holding 215 MB of cache once read as full, and a run never resumed.)
TEST(Cgroup, V2InactiveFileCacheIsNotUsed) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/job\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/job/memory.max", "268435456\n");
  dir.write("sys/job/memory.current", "244318208\n");
  dir.write("sys/job/memory.stat",
            "anon 18874368\nfile 225443840\ninactive_file 215000000\n"
            "active_file 10443840\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 244318208u - 215000000u);
}

TEST(Cgroup, V1TotalInactiveFileCacheIsNotUsed) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "4:memory:/job\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/memory/job/memory.limit_in_bytes", "268435456\n");
  dir.write("sys/memory/job/memory.usage_in_bytes", "233000000\n");
  // inactive_file is this cgroup's own; total_inactive_file counts its children too.
  dir.write("sys/memory/job/memory.stat",
            "cache 225000000\ninactive_file 1000\ntotal_inactive_file 215000000\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 18000000u);
}

TEST(Cgroup, CacheIsTakenFromTheCgroupWhoseLimitBinds) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/job/step\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/job/memory.max", "1073741824\n");  // the tighter one
  dir.write("sys/job/memory.current", "900000000\n");
  dir.write("sys/job/memory.stat", "inactive_file 800000000\n");
  dir.write("sys/job/step/memory.max", "2147483648\n");
  dir.write("sys/job/step/memory.current", "50000000\n");
  dir.write("sys/job/step/memory.stat", "inactive_file 0\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), 1 * kGiB);
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 100000000u);
}

TEST(Cgroup, CacheLargerThanUsageLeavesNothingUsed) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/job\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/job/memory.max", "1000\n");
  dir.write("sys/job/memory.current", "500\n");
  dir.write("sys/job/memory.stat", "inactive_file 700\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 0u);
}

TEST(Cgroup, V1LimitAndUsageAreRead) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup",
                                       "5:devices:/\n"
                                       "4:memory:/process_api/abc\n"
                                       "3:cpu,cpuacct:/\n"
                                       "0::/\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/memory/process_api/abc/memory.limit_in_bytes", "2147483648\n");
  dir.write("sys/memory/process_api/abc/memory.usage_in_bytes", "75866112\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), 2 * kGiB);
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 75866112u);
}

TEST(Cgroup, V1HugeValueMeansNoLimit) {
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "4:memory:/process_api/abc\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/memory/memory.limit_in_bytes", "9223372036854771712\n");
  dir.write("sys/memory/process_api/abc/memory.limit_in_bytes", "9223372036854771712\n");
  dir.write("sys/memory/process_api/abc/memory.usage_in_bytes", "75866112\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), std::nullopt);
}

TEST(Cgroup, V1InContainerFallsBackToTheMountRoot) {
  // Inside a container the memory hierarchy shows the container's own cgroup at the root,
  // so the path named in /proc/self/cgroup does not exist under the mount.
  TempDir dir;
  const std::string cgroup = dir.write("proc/self/cgroup", "7:memory:/docker/0123abcd\n");
  const std::string sysfs = (dir.path() / "sys").string();
  dir.write("sys/memory/memory.limit_in_bytes", "536870912\n");
  dir.write("sys/memory/memory.usage_in_bytes", "1024\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), 512 * kMiB);
  EXPECT_EQ(amorsize::detail::read_cgroup_usage(cgroup, sysfs), 1024u);
}

TEST(Cgroup, MissingFilesMeanNoLimit) {
  TempDir dir;
  const std::string sysfs = (dir.path() / "sys").string();
  EXPECT_EQ(amorsize::detail::read_cgroup_limit((dir.path() / "none").string(), sysfs),
            std::nullopt);
  const std::string cgroup = dir.write("proc/self/cgroup", "0::/\n4:memory:/a\n");
  EXPECT_EQ(amorsize::detail::read_cgroup_limit(cgroup, sysfs), std::nullopt);
}

// --- usable memory --------------------------------------------------------------------------

TEST(Topology, UsableMemoryIsTheSmallerOfAvailableAndCgroupLimit) {
  NodeTopology node;
  node.memory_available_bytes = 20 * kGiB;
  EXPECT_EQ(node.usable_memory_bytes(), 20 * kGiB);
  node.cgroup_limit_bytes = 8 * kGiB;
  EXPECT_EQ(node.usable_memory_bytes(), 8 * kGiB);
  node.cgroup_limit_bytes = 64 * kGiB;
  EXPECT_EQ(node.usable_memory_bytes(), 20 * kGiB);
}

TEST(Topology, UsableMemoryIsTheCgroupHeadroomWhenUsageIsKnown) {
  NodeTopology node;
  node.memory_available_bytes = 20 * kGiB;
  node.cgroup_limit_bytes = 8 * kGiB;
  node.cgroup_usage_bytes = 3 * kGiB;
  EXPECT_EQ(node.usable_memory_bytes(), 5 * kGiB);
  node.cgroup_usage_bytes = 9 * kGiB;  // over the limit: nothing left
  EXPECT_EQ(node.usable_memory_bytes(), 0u);
}

TEST(Topology, UsableMemoryFallsBackToCgroupLimitWhenAvailabilityIsUnknown) {
  NodeTopology node;
  EXPECT_EQ(node.usable_memory_bytes(), 0u);
  node.cgroup_limit_bytes = 8 * kGiB;
  EXPECT_EQ(node.usable_memory_bytes(), 8 * kGiB);
}

// --- cluster --------------------------------------------------------------------------------

TEST(Cluster, ReplicateCopiesTheNodeAndSumsCores) {
  const Cluster cluster = Cluster::replicate(sample_node(), 3);
  ASSERT_EQ(cluster.nodes.size(), 3u);
  EXPECT_EQ(cluster.nodes[0].name, "node042-0");
  EXPECT_EQ(cluster.nodes[2].name, "node042-2");
  EXPECT_EQ(cluster.nodes[1].memory_total_bytes, 128 * kGiB);
  EXPECT_EQ(cluster.total_cores(), 96);
  EXPECT_DOUBLE_EQ(cluster.latency_seconds, Cluster::kDefaultLatencySeconds);
  EXPECT_NO_THROW(cluster.validate());
  expect_invalid_argument([] { Cluster::replicate(sample_node(), 0); }, "0");
}

TEST(Cluster, ValidateRejectsOutOfRangeFiguresNamingFieldAndValue) {
  expect_invalid_argument([] { Cluster{}.validate(); }, "no nodes");

  Cluster cluster = Cluster::replicate(sample_node(), 2);
  cluster.latency_seconds = -1e-6;
  expect_invalid_argument([&cluster] { cluster.validate(); }, "latency_seconds");
  expect_invalid_argument([&cluster] { cluster.validate(); }, "-1e-06");
  cluster.latency_seconds = std::numeric_limits<double>::infinity();
  expect_invalid_argument([&cluster] { cluster.validate(); }, "latency_seconds");
  cluster.latency_seconds = Cluster::kDefaultLatencySeconds;

  cluster.bandwidth_bytes_per_second = 0;
  expect_invalid_argument([&cluster] { cluster.validate(); }, "bandwidth_bytes_per_second");
  cluster.bandwidth_bytes_per_second = std::nan("");
  expect_invalid_argument([&cluster] { cluster.validate(); }, "bandwidth_bytes_per_second");
  cluster.bandwidth_bytes_per_second = Cluster::kDefaultBandwidthBytesPerSecond;

  cluster.nodes[1].cores = 0;
  expect_invalid_argument([&cluster] { cluster.validate(); }, "cores must be >= 1, got 0");
  expect_invalid_argument([&cluster] { cluster.validate(); }, "node042-1");
  cluster.nodes[1].cores = 32;

  cluster.nodes[0].speed = -0.5;
  expect_invalid_argument([&cluster] { cluster.validate(); }, "speed");
  expect_invalid_argument([&cluster] { cluster.validate(); }, "-0.5");
  cluster.nodes[0].speed = 1.0;
  EXPECT_NO_THROW(cluster.validate());
}

// --- JSON -----------------------------------------------------------------------------------

TEST(TopologyJson, RoundTripKeepsEveryField) {
  NodeTopology node = sample_node();
  node.cgroup_limit_bytes = 96 * kGiB;
  node.notes = {"memory sources disagree", "second note"};
  const NodeTopology back = amorsize::node_topology_from_json(amorsize::to_json(node));
  EXPECT_EQ(back.name, node.name);
  EXPECT_EQ(back.cores, node.cores);
  EXPECT_EQ(back.pus, node.pus);
  EXPECT_EQ(back.numa_domains, node.numa_domains);
  EXPECT_EQ(back.l3_bytes, node.l3_bytes);
  EXPECT_EQ(back.memory_total_bytes, node.memory_total_bytes);
  EXPECT_EQ(back.memory_available_bytes, node.memory_available_bytes);
  EXPECT_EQ(back.cgroup_limit_bytes, node.cgroup_limit_bytes);
  EXPECT_DOUBLE_EQ(back.speed, node.speed);
  EXPECT_EQ(back.source, node.source);
  EXPECT_EQ(back.notes, node.notes);
}

TEST(TopologyJson, NoCgroupLimitIsWrittenAsNull) {
  const std::string json = amorsize::to_json(sample_node());
  EXPECT_NE(json.find("\"cgroup_limit_bytes\": null"), std::string::npos) << json;
  EXPECT_EQ(amorsize::node_topology_from_json(json).cgroup_limit_bytes, std::nullopt);
}

TEST(TopologyJson, MalformedOrMistypedJsonIsRejected) {
  expect_invalid_argument([] { amorsize::node_topology_from_json("{\"cores\": "); }, "parse error");
  expect_invalid_argument([] { amorsize::node_topology_from_json("[1, 2]"); }, "object");
  expect_invalid_argument([] { amorsize::node_topology_from_json(R"({"cores": "64"})"); },
                          "\"cores\" must be an integer, got \"64\"");
  expect_invalid_argument(
      [] { amorsize::node_topology_from_json(R"({"memory_total_bytes": -1})"); },
      "memory_total_bytes");
  expect_invalid_argument([] { amorsize::node_topology_from_json(R"({"core": 64})"); },
                          "unknown key \"core\"");
}

TEST(TopologyJson, AbsentKeysKeepDefaults) {
  const NodeTopology node = amorsize::node_topology_from_json(R"({"name": "n1", "cores": 8})");
  EXPECT_EQ(node.name, "n1");
  EXPECT_EQ(node.cores, 8);
  EXPECT_EQ(node.pus, 1);
  EXPECT_DOUBLE_EQ(node.speed, 1.0);
  EXPECT_EQ(node.cgroup_limit_bytes, std::nullopt);
}

}  // namespace

namespace amorsize {
namespace {

// Compact: a PU of each core in order (NUMA domains fill in order), hyperthreads last.
// Spread: the cores round robin over the NUMA domains, hyperthreads last.
TEST(CpuOrders, CompactFillsCoresInOrderAndSpreadAlternatesNumaDomains) {
  const NodeTopology n = synthetic_topology("numa:2 core:2 pu:2");
  EXPECT_EQ(n.cpus_compact, (std::vector<int>{0, 2, 4, 6, 1, 3, 5, 7}));
  EXPECT_EQ(n.cpus_spread, (std::vector<int>{0, 4, 2, 6, 1, 5, 3, 7}));
}

TEST(CpuOrders, OneDomainWithoutHyperthreadsIsTheSameBothWays) {
  const NodeTopology n = synthetic_topology("core:4 pu:1");
  EXPECT_EQ(n.cpus_compact, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(n.cpus_spread, n.cpus_compact);
}

TEST(CpuOrders, TheyGoThroughJson) {
  const NodeTopology n = synthetic_topology("numa:2 core:2 pu:2");
  const NodeTopology back = node_topology_from_json(to_json(n));
  EXPECT_EQ(back.cpus_compact, n.cpus_compact);
  EXPECT_EQ(back.cpus_spread, n.cpus_spread);
  EXPECT_THROW(node_topology_from_json(R"({"cpus_compact": [0, -1]})"), invalid_argument);
}

TEST(CpuOrders, TheLocalMachineHasEveryAllowedCpuOnce) {
  const NodeTopology n = local_topology();
  std::vector<int> sorted = n.cpus_compact;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_EQ(int(sorted.size()), n.pus);
}

}  // namespace
}  // namespace amorsize

namespace amorsize {
namespace {

// hwloc's reading of the machine is kept in a file under $XDG_RUNTIME_DIR (or /tmp) for the
// next process; what it keeps is what hwloc said, a damaged file is read again, and
// AMORSIZE_TOPOLOGY_CACHE=0 leaves it alone.
TEST(TopologyCache, KeepsWhatHwlocSaidAndSurvivesADamagedFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("amorsize-topology-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const char* old = std::getenv("XDG_RUNTIME_DIR");
  const std::string saved = old ? old : "";
  ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  const NodeTopology fresh = local_topology();  // reads hwloc, writes the file
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const NodeTopology cached = local_topology();
  EXPECT_EQ(cached.cores, fresh.cores);
  EXPECT_EQ(cached.pus, fresh.pus);
  EXPECT_EQ(cached.numa_domains, fresh.numa_domains);
  EXPECT_EQ(cached.l3_bytes, fresh.l3_bytes);
  EXPECT_EQ(cached.cpus_compact, fresh.cpus_compact);
  EXPECT_EQ(cached.cpus_spread, fresh.cpus_spread);
  EXPECT_EQ(cached.name, fresh.name);
  EXPECT_GT(cached.memory_total_bytes, 0u) << "memory is read fresh, not cached";
  std::ofstream(files[0]) << "{ not json";
  EXPECT_EQ(local_topology().cpus_compact, fresh.cpus_compact);
  ::setenv("AMORSIZE_TOPOLOGY_CACHE", "0", 1);
  std::filesystem::remove(files[0]);
  EXPECT_EQ(local_topology().cores, fresh.cores);
  EXPECT_FALSE(std::filesystem::exists(files[0])) << "the cache was written while turned off";
  ::unsetenv("AMORSIZE_TOPOLOGY_CACHE");
  if (old) {
    ::setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_RUNTIME_DIR");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace amorsize
