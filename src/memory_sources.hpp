#pragma once
#include <cstdint>
#include <optional>
#include <string>

// Readers of the memory figures the kernel gives: local_topology() cross-checks hwloc against
// them and the runtime's memory probe reads them. They take the paths as parameters so tests
// can point them at fake trees. Not part of the public API.
namespace amorsize::detail {

/// The value of `key` (e.g. "MemTotal") in a file in /proc/meminfo format, in bytes ("kB" values
/// are converted). nullopt when the file cannot be read or has no such key.
std::optional<std::uint64_t> read_meminfo_bytes(const std::string& meminfo_path,
                                                const std::string& key);

/// The tightest memory limit on the cgroup of the process described by `proc_self_cgroup` (a
/// file in /proc/self/cgroup format), looked up under `sysfs_root` (normally /sys/fs/cgroup):
/// cgroup v2 ("0::PATH" -> PATH/memory.max) and v1 ("N:memory:PATH" ->
/// memory/PATH/memory.limit_in_bytes). Limits of parent cgroups count too, which also covers
/// containers whose cgroup is mounted at the root. nullopt when there is no limit ("max", or a
/// value >= 2^60, which is how v1 spells "unlimited").
std::optional<std::uint64_t> read_cgroup_limit(const std::string& proc_self_cgroup,
                                               const std::string& sysfs_root);

/// Memory charged now to the cgroup whose limit read_cgroup_limit() returns (memory.current or
/// memory.usage_in_bytes), less its inactive file cache (memory.stat: `inactive_file` in v2,
/// `total_inactive_file` in v1), which the kernel reclaims before it would fail an allocation.
/// nullopt when there is no limit or the usage cannot be read.
std::optional<std::uint64_t> read_cgroup_usage(const std::string& proc_self_cgroup,
                                               const std::string& sysfs_root);

}  // namespace amorsize::detail
