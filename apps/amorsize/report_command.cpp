// `amorsize report`: the runs in an HDF5 log, or one of them in detail (text, JSON, HTML).
#include <fstream>
#include <iostream>
#include <memory>

#include "amorsize/error.hpp"
#include "amorsize/history.hpp"
#include "amorsize/report.hpp"
#include "commands.hpp"

namespace amorsize::app {

Command add_report_command(CLI::App& parent) {
  struct Args {
    std::string file, html;
    std::int64_t run = 0;
    bool last = false, json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand(
      "report",
      "Show the runs logged in an HDF5 file (--log), or one run in detail.\n\nExamples:\n"
      "  amorsize report runs.h5                 one line per run\n"
      "  amorsize report runs.h5 --last          the last run: nodes, imbalance, chunks, ...\n"
      "  amorsize report runs.h5 --run 3 --html run3.html   timeline, utilization, histogram\n");
  cmd->add_option("file", args->file, "the HDF5 log")->required();
  auto* run =
      cmd->add_option("--run", args->run, "show this run in detail")->check(positive_whole());
  cmd->add_flag("--last", args->last, "show the last run in detail")->excludes(run);
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->add_option("--html", args->html,
                  "write a self-contained HTML page for the run (default: the last)");
  return [args]() {
    const bool one = args->last || args->run > 0 || !args->html.empty();
    if (!one) {
      const auto runs = list_runs(args->file);
      std::cout << (args->json ? runs_json(runs) + "\n" : runs_text(runs));
      return 0;
    }
    const LoggedRun r = read_run(args->file, args->run > 0 ? args->run : -1);
    if (!args->html.empty()) {
      std::ofstream out(args->html);
      if (!out) throw invalid_argument("cannot write \"" + args->html + "\"");
      out << run_html(r);
      if (!out.flush()) throw error("writing \"" + args->html + "\" failed");
      std::cerr << "wrote " << args->html << "\n";
      if (!args->last && args->run == 0 && !args->json) return 0;
    }
    std::cout << (args->json ? run_json(r) + "\n" : run_text(r));
    return 0;
  };
}

}  // namespace amorsize::app
