#pragma once
// The subcommands of the `amorsize` program. Each registers its options on the parent app and
// returns the function that runs it once the command line has been parsed.
#include <cmath>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "amorsize/error.hpp"

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
/// `min_exclusive`: the value must be above `min`; otherwise at least `min`.
inline CLI::Validator number_above(double min, bool min_exclusive, const std::string& expected,
                                   bool whole = false) {
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
                        (min_exclusive ? v > min : v >= min) && (!whole || v == std::floor(v));
        return ok ? std::string() : "got \"" + text + "\", expected " + expected;
      },
      expected);
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

Command add_plan_command(CLI::App& parent);
Command add_bench_command(CLI::App& parent, const std::string& command_line);
Command add_report_command(CLI::App& parent);
Command add_run_command(CLI::App& parent, const std::string& command_line);

}  // namespace amorsize::app
