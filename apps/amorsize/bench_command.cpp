// `amorsize bench`: runs a synthetic workload through amorsize::run under mpirun and reports
// the run's efficiency (RunReport::efficiency: the lower bound max(work / cores, longest item)
// over the makespan) and, for comparisons with peers, `drawn_efficiency`: the same bound from
// the drawn item durations over the wall time of the whole call.
#include <mpi.h>
#ifdef AMORSIZE_SMPI
#include <smpi/smpi.h>
#endif

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/run.hpp"
#include "amorsize/workload.hpp"
#include "commands.hpp"
#include "history_setup.hpp"
#include "mpi_session.hpp"
#include "progress.hpp"

namespace amorsize::app {
namespace {}  // namespace

Command add_bench_command(CLI::App& parent, const std::string& command_line) {
  struct Args {
    std::string workload, schedule = "auto", order = "auto", hierarchy = "auto", work = "wall",
                          bind = "compact";
    bool json = false, fail_fast = false, record_items = false;
    std::string progress;
    int simulated_nodes = 0;
    HistoryArgs history;
    MemoryArgs memory;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand(
      "bench",
      "Run a synthetic workload through the MPI runtime and report efficiency against the "
      "lower bound.\n\nEach item busy-waits for its drawn duration (the same on every rank).\n"
      "Example:\n  mpirun -np 4 amorsize bench --workload exp:mean=200us,n=20000 --json\n");
  cmd->add_option("--workload", args->workload,
                  "DIST:key=value,... as in `amorsize plan`; n= is required")
      ->required();
  cmd->add_option("--schedule", args->schedule,
                  "auto, or a baseline to compare: static, gss, fac, fixed:N")
      ->capture_default_str();
  cmd->add_option("--order", args->order, "auto, ordered or unordered")->capture_default_str();
  add_hierarchy_option(cmd, args->hierarchy);
  cmd->add_option("--simulate-nodes", args->simulated_nodes,
                  "group the ranks into N simulated nodes (testing)")
      ->check(non_negative_whole());
  cmd->add_option("--work", args->work,
                  "wall: an item spins on the clock for its drawn duration, however little CPU it "
                  "gets; cpu: it does a fixed amount of arithmetic, its drawn duration on rank "
                  "0's core at full speed, so a slower or shared core takes longer")
      ->check(CLI::IsMember({"wall", "cpu"}))
      ->capture_default_str();
  cmd->add_flag("--fail-fast", args->fail_fast, "stop at the first failed item");
  add_memory_options(cmd, args->memory);
  add_bind_option(cmd, args->bind);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->add_option("--progress", args->progress,
                  "auto (the default without --json): a live bar when the terminal that started "
                  "mpirun shows stderr, else plain lines at each tenth of the items and at least "
                  "every 60 s; bar; lines; none (the default with --json)");
  cmd->add_option("--log", args->history.log,
                  "append this run's plan and chunk timings to an HDF5 log");
  cmd->add_option("--history", args->history.history,
                  "plan from the runs of this workload in an HDF5 log, without sampling when "
                  "the model is confident (default: the --log file)");
  cmd->add_option("--key", args->history.key,
                  "the workload's name in the log (default: the workload spec)");
  add_feature_option(cmd, args->history.features);
  cmd->add_flag("--record-items", args->record_items,
                "log every item's time (the log's tasks table): a later run of the same "
                "workload with --history starts the items that would end late first");

  return [args, command_line]() {
    const WorkloadSpec spec =
        for_option("--workload", [&] { return parse_workload(args->workload); });
    if (!spec.items)
      throw invalid_argument("--workload: bench needs a finite workload: add n=ITEMS to \"" +
                             args->workload + "\"");
    RunOptions options;
    options.plan.schedule = for_option(
        "--schedule", [&] { return parse_schedule(args->schedule, &options.plan.fixed_chunk); });
    options.plan.order = for_option("--order", [&] { return parse_order(args->order); });
    options.plan.hierarchy =
        for_option("--hierarchy", [&] { return parse_hierarchy(args->hierarchy); });
    options.fail_fast = args->fail_fast;
    apply_memory_options(args->memory, options);
    options.plan.bind = for_option("--bind", [&] { return parse_bind(args->bind); });
    options.simulated_nodes = args->simulated_nodes;
    options.record_items = args->record_items;
    const ProgressMode progress_mode = for_option("--progress", [&] {
      return parse_progress(args->progress.empty() ? (args->json ? "none" : "auto")
                                                   : args->progress);
    });
    options.features =
        for_option("--feature", [&] { return parse_features(args->history.features); });
    const std::int64_t n = *spec.items;

    MpiSession mpi;
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const std::string key = args->history.key.empty() ? spec.text : args->history.key;
    auto log = prepare_history(MPI_COMM_WORLD, args->history, key, command_line, options,
                               /*item_costs=*/true);
    ProgressPrinter progress(rank == 0 ? progress_mode : ProgressMode::none, "items");
    progress.attach(options);
    std::vector<unsigned char> seen(rank == 0 ? std::size_t(n) : 0, 0);
    bool exactly_once = true, order_ok = true;
    std::int64_t last = -1;
    auto sink = [&](std::int64_t i, std::int64_t value) {
      if (i < 0 || i >= n || value != i || seen[std::size_t(i)]++) exactly_once = false;
      if (i < last) order_ok = false;
      last = i;
    };
    // --work cpu: rank 0 measures how many steps of arithmetic its core does per CPU second,
    // and every rank does that many per drawn second.
    double rate = 0;
    if (args->work == "cpu") {
      if (rank == 0) rate = cpu_work_rate();
      MPI_Bcast(&rate, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    }
    auto item = [&spec, rate](std::int64_t i) {
#ifdef AMORSIZE_SMPI
      (void)rate;
      smpi_execute_benched(spec.item_seconds(i));  // simulated time on the simulated host
#else
      if (rate > 0)
        cpu_work(std::uint64_t(spec.item_seconds(i) * rate));
      else
        busy_wait(spec.item_seconds(i));
#endif
      return i;
    };
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    const RunReport report = run(MPI_COMM_WORLD, source::range(0, n), item, sink, options);
    const double wall = MPI_Wtime() - t0;  // the whole call, as a peer's figure is taken
    progress.finish();
    if (rank != 0) return 0;
    if (log) log->finish(report, run_status(report));

    double sum = 0, longest = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double t = spec.item_seconds(i);
      sum += t;
      longest = std::max(longest, t);
    }
    for (std::int64_t i = 0; i < n; ++i)
      exactly_once &= seen[std::size_t(i)] == 1 || report.stopped;
    // Against the drawn durations (the synthetic workload's true work) and the whole call:
    // the figure the runtime benchmark compares with peers, measured the same way.
    const double drawn_bound = lower_bound_seconds(sum, longest, std::max(report.cores, 1));
    const bool ordered = report.plan.ordered || report.plan.serial;
    nlohmann::ordered_json j = {{"workload", spec.text},
                                {"work", args->work},
                                {"ranks", report.ranks},
                                {"workers", report.plan.serial ? 1 : report.plan.workers},
                                {"cores", report.cores},
                                {"items", n},
                                {"sum_item_s", sum},
                                {"work_s", report.work_seconds},
                                {"lower_bound_s", report.lower_bound_seconds},
                                {"makespan_s", report.makespan_seconds},
                                {"efficiency", report.efficiency},
                                {"drawn_lower_bound_s", drawn_bound},
                                {"wall_s", wall},
                                {"drawn_efficiency", efficiency(drawn_bound, wall)},
                                {"plan_s", report.plan_seconds},
                                {"sampled", report.sampled},
                                {"chunks", report.chunks},
#ifdef AMORSIZE_SMPI  // SMPI's CPU clocks return simulated time: the figure would be the makespan
                                {"coordinator_cpu_s", nullptr},
#else
                                {"coordinator_cpu_s", report.coordinator_cpu_seconds},
#endif
                                {"messages", report.messages},
                                {"returned_items", report.returned_items},
                                {"node_speeds", report.node_speeds},
                                {"pressure_events", report.pressure_events},
                                {"pressure_seconds", report.pressure_seconds},
                                {"pressure_releases", report.pressure_releases},
                                {"warnings", report.warnings},
                                {"exactly_once", exactly_once},
                                {"ordered", ordered},
                                {"order_ok", ordered ? order_ok : true},
                                {"failed", report.failures.size()},
                                {"plan", nlohmann::ordered_json::parse(to_json(report.plan))}};
    if (args->json) {
      std::cout << j.dump() << std::endl;
    } else {
      std::cout << report.plan.explain() << "\n"
                << "items " << n << " on " << report.ranks << " ranks / " << report.cores
                << " cores: makespan " << report.makespan_seconds << " s, lower bound "
                << report.lower_bound_seconds << " s, efficiency " << report.efficiency
                << " (against the drawn item times: " << efficiency(drawn_bound, wall) << "), "
                << report.chunks << " chunks, coordinator CPU " << report.coordinator_cpu_seconds
                << " s, " << (exactly_once ? "every item exactly once" : "DELIVERY ERROR")
                << (ordered ? (order_ok ? ", in order" : ", OUT OF ORDER") : "") << "\n";
      if (report.pressure_events > 0) std::cout << pressure_line(report) << "\n";
    }
    return exactly_once && (!ordered || order_ok) ? 0 : 1;
  };
}

}  // namespace amorsize::app
