#pragma once
// The subcommands of the `amorsize` program. Each registers its options on the parent app and
// returns the function that runs it once the command line has been parsed.
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "amorsize/error.hpp"
#include "amorsize/run_types.hpp"
#include "amorsize/workload.hpp"

namespace amorsize::app {

using Command = std::function<int()>;

/// Runs `parse` (which reads the value of option `name`) and puts the option's name in front of
/// any error, so every bad value is reported as "--name: what is wrong".
template <class Parse>
auto for_option(const char* name, Parse&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const invalid_argument& e) {
    throw invalid_argument(std::string(name) + ": " + e.what());
  }
}

/// A number check whose message says what is expected (CLI11 prefixes the option's name).
/// `min_exclusive`: the value must be above `min`; otherwise at least `min`. At most `max`.
inline CLI::Validator number_above(double min, bool min_exclusive, const std::string& expected,
                                   bool whole = false,
                                   double max = std::numeric_limits<double>::infinity()) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        const bool ok = used == text.size() && used > 0 && std::isfinite(v) &&
                        (min_exclusive ? v > min : v >= min) && v <= max &&
                        (!whole || v == std::floor(v));
        return ok ? std::string() : "got \"" + text + "\", expected " + expected;
      },
      expected);
}
inline CLI::Validator fraction() {
  return number_above(0, true, "a fraction in (0, 1]", false, 1);
}
inline CLI::Validator positive_whole() {
  return number_above(0, true, "a positive whole number", true);
}
inline CLI::Validator non_negative_whole() {
  return number_above(0, false, "a whole number >= 0", true);
}

/// --hierarchy, the same for plan, bench and run.
inline CLI::Option* add_hierarchy_option(CLI::App* cmd, std::string& value) {
  return cmd
      ->add_option("--hierarchy", value,
                   "auto (the plan chooses), flat (the coordinator feeds every worker) or leaders "
                   "(one rank per node feeds the others)")
      ->capture_default_str();
}

/// --bind, the same for bench and run.
inline CLI::Option* add_bind_option(CLI::App* cmd, std::string& value) {
  return cmd
      ->add_option("--bind", value,
                   "bind each worker (and its tasks) to CPUs inside what the rank may use: "
                   "compact (cores in order, NUMA domains filled in order, hyperthreads last), "
                   "spread (round robin over NUMA domains) or none (the OS places them)")
      ->capture_default_str();
}

/// --feature NAME=VALUE (repeatable), the same for bench and run: RunOptions::features.
inline CLI::Option* add_feature_option(CLI::App* cmd, std::vector<std::string>& values) {
  return cmd->add_option("--feature", values,
                         "a number that describes the workload, e.g. --feature atoms=4000 "
                         "--feature steps=100: logged with the run, and a workload the log has "
                         "not seen is planned from the earlier ones with the nearest features");
}
inline std::map<std::string, double> parse_features(const std::vector<std::string>& values) {
  std::map<std::string, double> out;
  for (const auto& v : values) {
    const auto eq = v.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == v.size())
      throw invalid_argument("\"" + v + "\" is not NAME=NUMBER");
    const std::string name = v.substr(0, eq), text = v.substr(eq + 1);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value))
      throw invalid_argument("\"" + text + "\" in \"" + v + "\" is not a number");
    if (!out.emplace(name, value).second) throw invalid_argument(name + " is given twice");
  }
  return out;
}

/// --memory-threshold and --memory-release, the same for bench and run.
struct MemoryArgs {
  double threshold = 0.8;
  std::string release = "30s";
};
inline void add_memory_options(CLI::App* cmd, MemoryArgs& args) {
  cmd->add_option("--memory-threshold", args.threshold,
                  "a node whose memory use (the job's cgroup, else the machine; reclaimable page "
                  "cache counts as free) passes this fraction gets one chunk at a time until use "
                  "falls 0.05 below it")
      ->check(fraction())
      ->capture_default_str();
  cmd->add_option("--memory-release", args.release,
                  "after this long under unbroken memory pressure (a warning comes after 5 s), a "
                  "node gets its full share of work again: holding back has not brought its "
                  "memory down. A duration, or \"never\"")
      ->capture_default_str();
}
/// Reads them into `options`; a bad value throws invalid_argument naming the option (before
/// MPI starts, so that every rank reports it the same way).
inline void apply_memory_options(const MemoryArgs& args, RunOptions& options) {
  options.plan.memory_threshold = args.threshold;
  options.memory_release_seconds = for_option("--memory-release", [&] {
    if (args.release == "never") return std::numeric_limits<double>::infinity();
    try {
      return parse_duration(args.release);
    } catch (const invalid_argument& e) {
      throw invalid_argument(std::string(e.what()) + "; or \"never\"");
    }
  });
}

/// "amorsize: memory pressure: 2 episodes, 4.1 s on node 1, 0.3 s on node 0; 1 node released".
inline std::string pressure_line(const RunReport& r) {
  std::string line = "amorsize: memory pressure: " + std::to_string(r.pressure_events) +
                     (r.pressure_events == 1 ? " episode" : " episodes");
  char buf[64];
  for (std::size_t n = 0; n < r.pressure_seconds.size(); ++n) {
    if (r.pressure_seconds[n] <= 0) continue;
    std::snprintf(buf, sizeof buf, ", %.1f s on node %zu", r.pressure_seconds[n], n);
    line += buf;
  }
  if (r.pressure_releases > 0)
    line += "; " + std::to_string(r.pressure_releases) +
            (r.pressure_releases == 1 ? " node released" : " nodes released");
  return line;
}

Command add_plan_command(CLI::App& parent);
Command add_bench_command(CLI::App& parent, const std::string& command_line);
Command add_report_command(CLI::App& parent);
Command add_run_command(CLI::App& parent, const std::string& command_line);

}  // namespace amorsize::app
