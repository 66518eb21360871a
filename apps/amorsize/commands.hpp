#pragma once
// The subcommands of the `amorsize` program. Each registers its options on the parent app and
// returns the function that runs it once the command line has been parsed.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace amorsize::app {

using Command = std::function<int()>;

Command add_plan_command(CLI::App& parent);
Command add_bench_command(CLI::App& parent, const std::string& command_line);
Command add_report_command(CLI::App& parent);
Command add_run_command(CLI::App& parent, const std::string& command_line);

}  // namespace amorsize::app
