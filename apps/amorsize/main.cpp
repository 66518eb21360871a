// The `amorsize` command: parses the command line, runs one subcommand, maps errors to exit
// codes (0 success, 1 work failed, 2 bad usage or input).
#include <iostream>

#include <CLI/CLI.hpp>

#include "amorsize/error.hpp"
#include "commands.hpp"
#include "history_setup.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "amorsize: run huge batches of independent work items over MPI, planned for the "
      "hardware.\n\nStart with `amorsize plan --workload exp:mean=200us,n=50000` to see a plan.",
      "amorsize"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "amorsize " AMORSIZE_VERSION);
  std::string command_line = "amorsize";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
#ifndef AMORSIZE_SMPI  // the SimGrid build (bench/sim) simulates `bench` alone
  const auto plan = amorsize::app::add_plan_command(app);
#endif
  const auto bench = amorsize::app::add_bench_command(app, command_line);
#ifndef AMORSIZE_SMPI
  const auto report = amorsize::app::add_report_command(app);
  const auto run = amorsize::app::add_run_command(app, command_line);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "amorsize: " << e.what() << " (see amorsize --help)\n";
    return 2;
  }
  try {
    if (app.got_subcommand("bench")) return bench();
#ifndef AMORSIZE_SMPI
    if (app.got_subcommand("plan")) return plan();
    if (app.got_subcommand("report")) return report();
    if (app.got_subcommand("run")) return run();
#endif
  } catch (const amorsize::app::PeerFailed&) {
    return 2;  // rank 0 says why
  } catch (const amorsize::invalid_argument& e) {
    std::cerr << "amorsize: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "amorsize: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
