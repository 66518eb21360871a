/// \file topology.cpp
/// Node topologies from hwloc (live, synthetic or XML), cross-checked against /proc/meminfo and
/// the job's cgroup, plus the cluster model built from them and their JSON form.
#include "amorsize/topology.hpp"

#include <hwloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <regex>
#include <sstream>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "amorsize/error.hpp"
#include "format.hpp"
#include "json_util.hpp"

#include "memory_sources.hpp"

namespace amorsize {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMeminfoPath = "/proc/meminfo";
constexpr const char* kProcSelfCgroup = "/proc/self/cgroup";
constexpr const char* kCgroupSysfsRoot = "/sys/fs/cgroup";

/// cgroup v1 writes "no limit" as the largest page-aligned signed 64-bit value
/// (9223372036854771712 on x86-64 with 4 KiB pages); no real machine comes near 2^60 bytes.
constexpr std::uint64_t kUnlimitedCgroupBytes = std::uint64_t{1} << 60;

/// hwloc sums the NUMA nodes' memory from sysfs, which some VMs and container runtimes report
/// quite differently from the kernel's MemTotal (4.7 GB against 24 GB on the development
/// machine). A disagreement beyond this fraction of MemTotal is recorded in `notes`.
constexpr double kMemoryDisagreementFraction = 0.10;

/// POSIX caps host names at 255 bytes (HOST_NAME_MAX), plus the terminating NUL.
constexpr std::size_t kHostNameBufferBytes = 256;

constexpr const char* kSyntheticExample = "node:1 package:2 core:32 pu:2";

// --- small text helpers ---------------------------------------------------------------------

/// Parses a whole string of decimal digits; rejects signs, blanks and trailing text.
std::optional<std::uint64_t> parse_u64(const std::string& text) {
  std::uint64_t value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return value;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<std::string> read_first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return trim(line);
}

std::string bytes_text(std::uint64_t bytes) {
  return std::to_string(bytes) + " bytes (" + detail::human_bytes(static_cast<double>(bytes)) + ")";
}

std::string errno_text() {
  return std::strerror(errno);
}

// --- cgroups --------------------------------------------------------------------------------

struct CgroupMemory {
  std::uint64_t limit_bytes = 0;
  std::optional<std::uint64_t> usage_bytes;
};

/// The value of `key` in a memory.stat file ("KEY VALUE" lines), if there.
std::optional<std::uint64_t> stat_value(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string name, value;
  while (in >> name >> value)
    if (name == key) return parse_u64(value);
  return std::nullopt;
}

/// The limit set on one cgroup directory, if any, and its usage as the kernel would reclaim it:
/// the cgroup's charge counts page cache, and the inactive file cache (`cache_key` in
/// memory.stat) is what reclaim takes first, so it is not counted as used. (A cgroup of 256 MiB
/// holding 215 MB of cache once read as full, and pressure never ended.)
std::optional<CgroupMemory> cgroup_limit_in(const fs::path& dir, const char* limit_file,
                                            const char* usage_file, const char* cache_key) {
  const auto limit_text = read_first_line(dir / limit_file);
  if (!limit_text || *limit_text == "max") return std::nullopt;
  const auto limit = parse_u64(*limit_text);
  if (!limit || *limit >= kUnlimitedCgroupBytes) return std::nullopt;
  CgroupMemory found;
  found.limit_bytes = *limit;
  if (const auto usage_text = read_first_line(dir / usage_file)) {
    found.usage_bytes = parse_u64(*usage_text);
    const auto cache = stat_value(dir / "memory.stat", cache_key);
    if (found.usage_bytes && cache) *found.usage_bytes -= std::min(*found.usage_bytes, *cache);
  }
  return found;
}

/// Walks from the process's cgroup up to the hierarchy root and keeps the tightest limit:
/// a parent's limit binds its children. Inside a container the hierarchy is usually mounted
/// with the container's own cgroup at the root, so the full path does not exist there and
/// the walk ends at the root, which is the right place to look.
std::optional<CgroupMemory> tightest_cgroup_limit(const fs::path& hierarchy_root,
                                                  const std::string& cgroup_path,
                                                  const char* limit_file, const char* usage_file,
                                                  const char* cache_key) {
  std::optional<CgroupMemory> tightest;
  fs::path relative = fs::path(cgroup_path).relative_path();
  for (;;) {
    const auto found =
        cgroup_limit_in(hierarchy_root / relative, limit_file, usage_file, cache_key);
    if (found && (!tightest || found->limit_bytes < tightest->limit_bytes)) tightest = found;
    if (relative.empty()) break;
    relative = relative.parent_path();
  }
  return tightest;
}

std::optional<CgroupMemory> read_cgroup_memory(const std::string& proc_self_cgroup,
                                               const std::string& sysfs_root) {
  std::ifstream in(proc_self_cgroup);
  if (!in) return std::nullopt;
  std::optional<CgroupMemory> tightest;
  const auto consider = [&tightest](const std::optional<CgroupMemory>& found) {
    if (found && (!tightest || found->limit_bytes < tightest->limit_bytes)) tightest = found;
  };
  // Lines are "ID:CONTROLLERS:PATH"; PATH may itself contain ':'.
  std::string line;
  while (std::getline(in, line)) {
    const auto first_colon = line.find(':');
    if (first_colon == std::string::npos) continue;
    const auto second_colon = line.find(':', first_colon + 1);
    if (second_colon == std::string::npos) continue;
    const std::string id = line.substr(0, first_colon);
    const std::string controllers = line.substr(first_colon + 1, second_colon - first_colon - 1);
    const std::string path = line.substr(second_colon + 1);
    if (id == "0" && controllers.empty()) {  // cgroup v2, the unified hierarchy
      consider(
          tightest_cgroup_limit(sysfs_root, path, "memory.max", "memory.current", "inactive_file"));
      continue;
    }
    std::istringstream names(controllers);  // cgroup v1: a comma-separated controller list
    std::string name;
    while (std::getline(names, name, ',')) {
      if (name == "memory") {
        // v1's memory.stat also has "inactive_file", this cgroup's own; the total_ one
        // counts its descendants, as memory.usage_in_bytes does.
        consider(tightest_cgroup_limit(fs::path(sysfs_root) / "memory", path,
                                       "memory.limit_in_bytes", "memory.usage_in_bytes",
                                       "total_inactive_file"));
        break;
      }
    }
  }
  return tightest;
}

// --- hwloc ----------------------------------------------------------------------------------

struct TopologyDeleter {
  void operator()(hwloc_topology_t topology) const noexcept { hwloc_topology_destroy(topology); }
};
/// Owns an hwloc topology from hwloc_topology_init() to hwloc_topology_destroy().
using TopologyHandle = std::unique_ptr<hwloc_topology, TopologyDeleter>;

/// The one place that talks to hwloc: init, let `configure` pick the source (it returns
/// hwloc's status), load. hwloc returns -1 and sets errno on failure. A source hwloc rejects
/// is the user's input, so `rejected` builds that message and it becomes invalid_argument;
/// a failed init or a failed load of the live machine is an error of this machine.
template <typename Configure, typename Rejected>
TopologyHandle load_topology(const std::string& what, bool user_input, Configure configure,
                             Rejected rejected) {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) {
    throw error("hwloc_topology_init failed while reading " + what + ": " + errno_text());
  }
  TopologyHandle topology(raw);
  // What the planner reads and nothing more (hwloc reads less of /sys): packages, cores, PUs,
  // NUMA domains and the L3 cache; no I/O devices, no other caches.
  hwloc_topology_set_io_types_filter(raw, HWLOC_TYPE_FILTER_KEEP_NONE);
  hwloc_topology_set_icache_types_filter(raw, HWLOC_TYPE_FILTER_KEEP_NONE);
  for (const hwloc_obj_type_t cache :
       {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE})
    hwloc_topology_set_type_filter(raw, cache, HWLOC_TYPE_FILTER_KEEP_NONE);
  if (configure(topology.get()) != 0) throw invalid_argument(rejected());
  if (hwloc_topology_load(topology.get()) != 0) {
    if (user_input) throw invalid_argument(rejected());
    throw error("hwloc_topology_load failed while reading " + what + ": " + errno_text());
  }
  return topology;
}

/// The compact and spread orders of the node's CPUs (see NodeTopology::cpus_compact).
void fill_cpu_orders(hwloc_topology_t topology, NodeTopology& node) {
  // Each core's PUs (OS indices), cores in logical order; a machine without Core objects has
  // one "core" per PU.
  std::vector<std::vector<int>> cores;
  std::vector<int> domain_of;  // per core: its NUMA domain (0 when unknown)
  const int ncores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
  const int ndomains = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
  const auto domain = [&](hwloc_const_cpuset_t set) {
    for (int d = 0; d < ndomains; ++d) {
      hwloc_obj_t numa = hwloc_get_obj_by_type(topology, HWLOC_OBJ_NUMANODE, unsigned(d));
      if (numa && numa->cpuset && hwloc_bitmap_isincluded(set, numa->cpuset)) return d;
    }
    return 0;
  };
  const hwloc_obj_type_t unit = ncores > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
  const int units = hwloc_get_nbobjs_by_type(topology, unit);
  for (int c = 0; c < units; ++c) {
    hwloc_obj_t obj = hwloc_get_obj_by_type(topology, unit, unsigned(c));
    if (!obj || !obj->cpuset) continue;
    std::vector<int> pus;
    for (int pu = hwloc_bitmap_first(obj->cpuset); pu >= 0; pu = hwloc_bitmap_next(obj->cpuset, pu))
      pus.push_back(pu);
    if (pus.empty()) continue;
    cores.push_back(std::move(pus));
    domain_of.push_back(domain(obj->cpuset));
  }
  // Round by round (a core's first PU, then its second, ...): compact takes the cores in order,
  // spread takes the next core of each NUMA domain in turn.
  std::vector<std::vector<std::size_t>> by_domain(std::size_t(std::max(ndomains, 1)));
  for (std::size_t c = 0; c < cores.size(); ++c) by_domain[std::size_t(domain_of[c])].push_back(c);
  std::size_t rounds = 0;
  for (const auto& pus : cores) rounds = std::max(rounds, pus.size());
  for (std::size_t r = 0; r < rounds; ++r) {
    for (const auto& pus : cores)
      if (r < pus.size()) node.cpus_compact.push_back(pus[r]);
    std::size_t most = 0;
    for (const auto& d : by_domain) most = std::max(most, d.size());
    for (std::size_t i = 0; i < most; ++i)
      for (const auto& d : by_domain)
        if (i < d.size() && r < cores[d[i]].size()) node.cpus_spread.push_back(cores[d[i]][r]);
  }
}

/// Counts cores, PUs, NUMA domains and the L3 size; memory is left to the caller.
NodeTopology count_resources(hwloc_topology_t topology) {
  NodeTopology node;
  const int pus = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_PU);
  const int cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
  const int numa_domains = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_NUMANODE);
  node.pus = std::max(pus, 1);
  // Some platforms and hand-made descriptions have PUs but no Core objects.
  node.cores = cores > 0 ? cores : node.pus;
  node.numa_domains = std::max(numa_domains, 1);
  if (hwloc_obj_t l3 = hwloc_get_obj_by_type(topology, HWLOC_OBJ_L3CACHE, 0)) {
    node.l3_bytes = l3->attr->cache.size;
  }
  fill_cpu_orders(topology, node);
  return node;
}

std::uint64_t hwloc_total_memory(hwloc_topology_t topology) {
  return hwloc_get_root_obj(topology)->total_memory;
}

std::string local_host_name() {
  char buffer[kHostNameBufferBytes] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) {
    throw error("gethostname failed while reading the local topology: " + errno_text());
  }
  return buffer;  // the zeroed last byte terminates even a truncated name
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// --- JSON -----------------------------------------------------------------------------------

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;  // writes the keys in the order a reader expects

constexpr const char* kJsonKeys[] = {"name",
                                     "cores",
                                     "pus",
                                     "numa_domains",
                                     "l3_bytes",
                                     "memory_total_bytes",
                                     "memory_available_bytes",
                                     "cgroup_limit_bytes",
                                     "cgroup_usage_bytes",
                                     "speed",
                                     "source",
                                     "notes",
                                     "cpus_compact",
                                     "cpus_spread"};

[[noreturn]] void bad_json_field(const char* key, const char* expected, const Json& value) {
  throw invalid_argument("node topology JSON: \"" + std::string(key) + "\" must be " + expected +
                         ", got " + value.dump());
}

void read_string(const Json& object, const char* key, std::string& out) {
  if (!object.contains(key)) return;
  const Json& value = object.at(key);
  if (!value.is_string()) bad_json_field(key, "a string", value);
  out = value.get<std::string>();
}

void read_int(const Json& object, const char* key, int& out) {
  if (!object.contains(key)) return;
  const Json& value = object.at(key);
  if (!value.is_number_integer()) bad_json_field(key, "an integer", value);
  const auto wide = value.get<std::int64_t>();
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    bad_json_field(key, "an integer that fits in an int", value);
  }
  out = static_cast<int>(wide);
}

std::uint64_t to_bytes(const char* key, const Json& value) {
  // nlohmann stores non-negative integer literals as unsigned, so this rejects -1 and 1e9.
  if (!value.is_number_unsigned()) bad_json_field(key, "a non-negative integer (bytes)", value);
  return value.get<std::uint64_t>();
}

void read_bytes(const Json& object, const char* key, std::uint64_t& out) {
  if (object.contains(key)) out = to_bytes(key, object.at(key));
}

}  // namespace

// --- detail readers -------------------------------------------------------------------------

std::optional<std::uint64_t> detail::read_meminfo_bytes(const std::string& meminfo_path,
                                                        const std::string& key) {
  std::ifstream in(meminfo_path);
  if (!in) return std::nullopt;
  const std::string prefix = key + ":";
  std::string line;
  while (std::getline(in, line)) {
    if (!starts_with(line, prefix)) continue;
    std::istringstream fields(line.substr(prefix.size()));
    std::string number;
    std::string unit;
    fields >> number >> unit;
    const auto value = parse_u64(number);
    if (!value) return std::nullopt;
    if (unit.empty()) return value;
    if (unit == "kB") {  // the kernel's "kB" is KiB
      constexpr std::uint64_t kKiB = 1024;
      if (*value > std::numeric_limits<std::uint64_t>::max() / kKiB) return std::nullopt;
      return *value * kKiB;
    }
    return std::nullopt;  // a unit this reader does not know
  }
  return std::nullopt;
}

std::optional<std::uint64_t> detail::read_cgroup_limit(const std::string& proc_self_cgroup,
                                                       const std::string& sysfs_root) {
  const auto memory = read_cgroup_memory(proc_self_cgroup, sysfs_root);
  if (!memory) return std::nullopt;
  return memory->limit_bytes;
}

std::optional<std::uint64_t> detail::read_cgroup_usage(const std::string& proc_self_cgroup,
                                                       const std::string& sysfs_root) {
  const auto memory = read_cgroup_memory(proc_self_cgroup, sysfs_root);
  if (!memory) return std::nullopt;
  return memory->usage_bytes;
}

// --- NodeTopology ---------------------------------------------------------------------------

std::uint64_t NodeTopology::usable_memory_bytes() const {
  if (!cgroup_limit_bytes) return memory_available_bytes;
  const std::uint64_t usage = cgroup_usage_bytes.value_or(0);
  const std::uint64_t headroom = usage < *cgroup_limit_bytes ? *cgroup_limit_bytes - usage : 0;
  if (memory_available_bytes == 0) return headroom;  // availability unknown
  return std::min(memory_available_bytes, headroom);
}

namespace {

// What hwloc says of this machine: the slowest part of describing it (1.3 to 4.3 ms here, on
// rank 0 while the other ranks wait), and the same for every process on the node until it
// reboots or its CPUs change.
struct HwlocPart {
  NodeTopology node;
  std::uint64_t total_memory = 0;
  bool this_system = true;
};

HwlocPart read_hwloc() {
  const std::string what = "the local machine";
  const TopologyHandle topology = load_topology(
      what, false, [](hwloc_topology_t) { return 0; },
      [&what] { return "hwloc could not read " + what; });
  HwlocPart part;
  part.node = count_resources(topology.get());
  part.total_memory = hwloc_total_memory(topology.get());
  part.this_system = hwloc_topology_is_thissystem(topology.get()) != 0;
  return part;
}

std::string status_line(const char* key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (starts_with(line, key)) return line;
  return "";
}

// hwloc's reading, kept in a file per user, boot and CPU set: the next process on the node
// reads it in microseconds. Not when the environment redirects hwloc, nor with
// AMORSIZE_TOPOLOGY_CACHE=0; a file that is missing, foreign or damaged is read again.
HwlocPart cached_hwloc() {
  for (const char* redirect :
       {"HWLOC_XMLFILE", "HWLOC_SYNTHETIC", "HWLOC_FSROOT", "HWLOC_COMPONENTS", "HWLOC_THISSYSTEM"})
    if (std::getenv(redirect)) return read_hwloc();
  if (const char* off = std::getenv("AMORSIZE_TOPOLOGY_CACHE"); off && std::string(off) == "0")
    return read_hwloc();
  const std::string key =
      "amorsize-topology 1; hwloc " + std::to_string(HWLOC_API_VERSION) + "; boot " +
      read_first_line("/proc/sys/kernel/random/boot_id").value_or("") + "; " + local_host_name() +
      "; online " + read_first_line("/sys/devices/system/cpu/online").value_or("") + "; " +
      status_line("Cpus_allowed_list:") + "; " + status_line("Mems_allowed_list:");
  const char* base = std::getenv("XDG_RUNTIME_DIR");
  const std::filesystem::path dir = std::filesystem::path(base && *base ? base : "/tmp") /
                                    ("amorsize-topology-" + std::to_string(::getuid()));
  const std::filesystem::path file =
      dir / (std::to_string(std::hash<std::string>{}(key)) + ".json");
  try {
    std::ifstream in(file);
    if (in) {
      const Json j = Json::parse(in);
      if (j.at("key") == key) {
        HwlocPart part;
        part.node = node_topology_from_json(j.at("node").dump());
        part.total_memory = j.at("total_memory").get<std::uint64_t>();
        part.this_system = j.at("this_system").get<bool>();
        return part;
      }
    }
  } catch (const std::exception&) {  // damaged or foreign: read hwloc again, below
  }
  const HwlocPart part = read_hwloc();
  // Our own directory (not another user's, not a link), written whole or not at all.
  std::error_code ec;
  std::filesystem::create_directory(dir, ec);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid())
    return part;
  ::chmod(dir.c_str(), 0700);
  const Json j = {{"key", key},
                  {"node", Json::parse(to_json(part.node))},
                  {"total_memory", part.total_memory},
                  {"this_system", part.this_system}};
  const std::filesystem::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << j.dump();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return part;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return part;
}

}  // namespace

NodeTopology local_topology() {
  const HwlocPart hw = cached_hwloc();
  NodeTopology node = hw.node;
  node.name = local_host_name();
  node.source = "local";
  node.notes.clear();
  if (!hw.this_system) {
    node.notes.push_back(
        "hwloc was redirected by the environment (HWLOC_XMLFILE, HWLOC_SYNTHETIC or "
        "HWLOC_FSROOT); cores and caches may not describe this machine");
  }

  // Memory: the kernel's MemTotal is the authority; hwloc's figure is only a fallback.
  const std::uint64_t hwloc_total = hw.total_memory;
  const auto meminfo_total = detail::read_meminfo_bytes(kMeminfoPath, "MemTotal");
  const auto meminfo_available = detail::read_meminfo_bytes(kMeminfoPath, "MemAvailable");
  if (meminfo_total) {
    node.memory_total_bytes = *meminfo_total;
    const double difference =
        std::fabs(static_cast<double>(hwloc_total) - static_cast<double>(*meminfo_total));
    if (difference > kMemoryDisagreementFraction * static_cast<double>(*meminfo_total)) {
      node.notes.push_back("memory sources disagree: hwloc reports " + bytes_text(hwloc_total) +
                           ", /proc/meminfo MemTotal reports " + bytes_text(*meminfo_total) +
                           "; using /proc/meminfo");
    }
  } else {
    node.memory_total_bytes = hwloc_total;
    node.notes.push_back(std::string("could not read MemTotal from ") + kMeminfoPath +
                         "; using hwloc's " + bytes_text(hwloc_total));
  }
  if (meminfo_available) {
    node.memory_available_bytes = *meminfo_available;
  } else {
    node.notes.push_back(std::string("could not read MemAvailable from ") + kMeminfoPath +
                         "; available memory unknown");
  }

  if (const auto cgroup = read_cgroup_memory(kProcSelfCgroup, kCgroupSysfsRoot)) {
    node.cgroup_limit_bytes = cgroup->limit_bytes;
    node.cgroup_usage_bytes = cgroup->usage_bytes;
    std::string note = "cgroup memory limit " + bytes_text(cgroup->limit_bytes);
    if (cgroup->usage_bytes) {
      const std::uint64_t usage = *cgroup->usage_bytes;
      const std::uint64_t headroom = usage < cgroup->limit_bytes ? cgroup->limit_bytes - usage : 0;
      note += ", " + bytes_text(usage) + " in use, headroom " + bytes_text(headroom);
    }
    node.notes.push_back(note);
  }
  return node;
}

NodeTopology synthetic_topology(const std::string& description) {
  const std::string what = "synthetic topology \"" + description + "\"";
  const auto rejected = [&what] {
    return "invalid " + what + ": hwloc could not parse it (expected e.g. \"" +
           std::string(kSyntheticExample) + "\")";
  };
  if (trim(description).empty()) throw invalid_argument(rejected());
  const TopologyHandle topology = load_topology(
      what, true,
      [&description](hwloc_topology_t raw) {
        return hwloc_topology_set_synthetic(raw, description.c_str());
      },
      rejected);
  NodeTopology node = count_resources(topology.get());
  node.name = "synthetic";
  node.source = "synthetic:" + description;
  // hwloc invents 1 GiB per NUMA node and 16 MiB per L3 when the description gives no size;
  // planning with invented figures would be worse than admitting they are unknown.
  if (description.find("memory=") != std::string::npos) {
    node.memory_total_bytes = hwloc_total_memory(topology.get());
    node.memory_available_bytes = node.memory_total_bytes;
  }
  static const std::regex kL3WithSize(R"((^|\s)l3[a-z]*:[0-9]+\([^)]*size=)", std::regex::icase);
  if (!std::regex_search(description, kL3WithSize)) node.l3_bytes = 0;
  return node;
}

NodeTopology xml_topology(const std::string& path) {
  std::error_code ignored;
  if (!fs::exists(path, ignored)) {
    throw invalid_argument("topology file \"" + path + "\" does not exist");
  }
  const std::string what = "topology file \"" + path + "\"";
  const TopologyHandle topology = load_topology(
      what, true,
      [&path](hwloc_topology_t raw) { return hwloc_topology_set_xml(raw, path.c_str()); },
      [&what] {
        return what + " is not a topology hwloc can read (expected the output of lstopo --of xml)";
      });
  NodeTopology node = count_resources(topology.get());
  const char* host = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topology.get()), "HostName");
  node.name = host != nullptr && *host != '\0' ? std::string(host) : fs::path(path).stem().string();
  node.source = "xml:" + path;
  // A recorded node cannot tell what is free on it now, so all of its memory counts.
  node.memory_total_bytes = hwloc_total_memory(topology.get());
  node.memory_available_bytes = node.memory_total_bytes;
  return node;
}

NodeTopology topology_from_spec(const std::string& spec) {
  const std::string synthetic = "synthetic:";
  const std::string xml = "xml:";
  if (spec == "local") return local_topology();
  if (starts_with(spec, synthetic)) return synthetic_topology(spec.substr(synthetic.size()));
  if (starts_with(spec, xml)) return xml_topology(spec.substr(xml.size()));
  throw invalid_argument("unknown topology \"" + spec +
                         "\": expected local, synthetic:STRING or xml:FILE");
}

// --- Cluster --------------------------------------------------------------------------------

int Cluster::total_cores() const {
  std::int64_t total = 0;
  for (const NodeTopology& node : nodes) total += node.cores;
  if (total > std::numeric_limits<int>::max()) {
    throw error("cluster has " + std::to_string(total) + " cores, more than an int can count");
  }
  return static_cast<int>(total);
}

Cluster Cluster::replicate(const NodeTopology& node, int count) {
  if (count < 1) {
    throw invalid_argument("cannot replicate a node " + std::to_string(count) +
                           " times: expected a count >= 1");
  }
  Cluster cluster;
  cluster.nodes.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    NodeTopology copy = node;
    copy.name = node.name + "-" + std::to_string(i);
    cluster.nodes.push_back(std::move(copy));
  }
  return cluster;
}

void Cluster::validate() const {
  const auto number = [](double value) {
    std::ostringstream out;
    out << value;
    return out.str();
  };
  if (nodes.empty()) throw invalid_argument("cluster has no nodes: expected at least one");
  if (!std::isfinite(latency_seconds) || latency_seconds < 0) {
    throw invalid_argument("cluster latency_seconds must be finite and >= 0, got " +
                           number(latency_seconds));
  }
  if (!std::isfinite(bandwidth_bytes_per_second) || bandwidth_bytes_per_second <= 0) {
    throw invalid_argument("cluster bandwidth_bytes_per_second must be finite and > 0, got " +
                           number(bandwidth_bytes_per_second));
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeTopology& node = nodes[i];
    const std::string where = "cluster node " + std::to_string(i) + " (\"" + node.name + "\"): ";
    if (node.cores < 1) {
      throw invalid_argument(where + "cores must be >= 1, got " + std::to_string(node.cores));
    }
    if (node.pus < 1) {
      throw invalid_argument(where + "pus must be >= 1, got " + std::to_string(node.pus));
    }
    if (node.numa_domains < 1) {
      throw invalid_argument(where + "numa_domains must be >= 1, got " +
                             std::to_string(node.numa_domains));
    }
    if (!std::isfinite(node.speed) || node.speed <= 0) {
      throw invalid_argument(where + "speed must be finite and > 0, got " + number(node.speed));
    }
  }
}

// --- JSON -----------------------------------------------------------------------------------

std::string to_json(const NodeTopology& node) {
  OrderedJson out;
  out["name"] = node.name;
  out["cores"] = node.cores;
  out["pus"] = node.pus;
  out["numa_domains"] = node.numa_domains;
  out["l3_bytes"] = node.l3_bytes;
  out["memory_total_bytes"] = node.memory_total_bytes;
  out["memory_available_bytes"] = node.memory_available_bytes;
  out["cgroup_limit_bytes"] =
      node.cgroup_limit_bytes ? OrderedJson(*node.cgroup_limit_bytes) : OrderedJson();
  out["cgroup_usage_bytes"] =
      node.cgroup_usage_bytes ? OrderedJson(*node.cgroup_usage_bytes) : OrderedJson();
  out["speed"] = node.speed;
  out["source"] = node.source;
  out["notes"] = node.notes;
  out["cpus_compact"] = node.cpus_compact;
  out["cpus_spread"] = node.cpus_spread;
  return out.dump(2);
}

NodeTopology node_topology_from_json(const std::string& json) {
  const Json in = detail::parse_json(json, "node topology");
  if (!in.is_object()) {
    throw invalid_argument("node topology JSON must be an object, got " +
                           std::string(in.type_name()));
  }
  for (const auto& item : in.items()) {
    const auto known = std::find(std::begin(kJsonKeys), std::end(kJsonKeys), item.key());
    if (known == std::end(kJsonKeys)) {
      throw invalid_argument(
          "node topology JSON has unknown key \"" + item.key() +
          "\" (expected name, cores, pus, numa_domains, l3_bytes, "
          "memory_total_bytes, memory_available_bytes, cgroup_limit_bytes, cgroup_usage_bytes, "
          "speed, source, notes, cpus_compact, cpus_spread)");
    }
  }
  // Absent keys keep NodeTopology's defaults, so a hand-written node can be short.
  NodeTopology node;
  read_string(in, "name", node.name);
  read_int(in, "cores", node.cores);
  read_int(in, "pus", node.pus);
  read_int(in, "numa_domains", node.numa_domains);
  read_bytes(in, "l3_bytes", node.l3_bytes);
  read_bytes(in, "memory_total_bytes", node.memory_total_bytes);
  read_bytes(in, "memory_available_bytes", node.memory_available_bytes);
  if (in.contains("cgroup_limit_bytes") && !in.at("cgroup_limit_bytes").is_null()) {
    node.cgroup_limit_bytes = to_bytes("cgroup_limit_bytes", in.at("cgroup_limit_bytes"));
  }
  if (in.contains("cgroup_usage_bytes") && !in.at("cgroup_usage_bytes").is_null()) {
    node.cgroup_usage_bytes = to_bytes("cgroup_usage_bytes", in.at("cgroup_usage_bytes"));
  }
  if (in.contains("speed")) {
    const Json& speed = in.at("speed");
    if (!speed.is_number()) bad_json_field("speed", "a number", speed);
    node.speed = speed.get<double>();
  }
  read_string(in, "source", node.source);
  for (auto [key, cpus] : {std::pair{"cpus_compact", &node.cpus_compact},
                           std::pair{"cpus_spread", &node.cpus_spread}}) {
    if (!in.contains(key)) continue;
    const Json& list = in.at(key);
    if (!list.is_array()) bad_json_field(key, "an array of CPU numbers", list);
    for (const Json& cpu : list) {
      if (!cpu.is_number_integer() || cpu.get<long long>() < 0 || cpu.get<long long>() > 1 << 20)
        bad_json_field(key, "an array of CPU numbers", list);
      cpus->push_back(cpu.get<int>());
    }
  }
  if (in.contains("notes")) {
    const Json& notes = in.at("notes");
    if (!notes.is_array()) bad_json_field("notes", "an array of strings", notes);
    for (const Json& note : notes) {
      if (!note.is_string()) bad_json_field("notes", "an array of strings", notes);
      node.notes.push_back(note.get<std::string>());
    }
  }
  return node;
}

}  // namespace amorsize
