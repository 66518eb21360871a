// `amorsize run`: a task farm of commands over MPI, with ordered output, retries, timeouts, a
// journal to resume from, and a drain on SIGTERM/SIGUSR1 (Slurm's warning before the limit).
#include <mpi.h>
#include <signal.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <csignal>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "../../src/format.hpp"
#include "amorsize/error.hpp"
#include "amorsize/run.hpp"
#include "amorsize/task_model.hpp"
#include "amorsize/tasks.hpp"
#include "amorsize/workload.hpp"
#include "commands.hpp"
#include "history_setup.hpp"
#include "mpi_session.hpp"
#include "progress.hpp"
#include "task_forecast.hpp"

namespace amorsize::app {
namespace {

// Exit statuses of `amorsize run`.
constexpr int kAllSucceeded = 0, kSomeFailed = 1, kUsage = 2, kResumable = 3;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}
bool stop_requested() {
  return g_stop.load(std::memory_order_relaxed);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGTERM, SIGUSR1, SIGINT}) sigaction(sig, &sa, nullptr);
  // A file-size limit is a full disk by another name: a write error to report, not a kill.
  std::signal(SIGXFSZ, SIG_IGN);
}

// FNV-1a, to fingerprint the task file and the command for the journal.
std::uint64_t fnv1a(const char* data, std::size_t n, std::uint64_t h = 1469598103934665603ull) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ std::uint8_t(data[i])) * 1099511628211ull;
  return h;
}

// A file read through FNV-1a: what a reader takes from it is fingerprinted in the same pass.
class FingerprintingBuffer : public std::streambuf {
 public:
  FingerprintingBuffer(std::istream& in, std::uint64_t& hash) : in_(in), hash_(hash) {}

 protected:
  int_type underflow() override {
    in_.read(buffer_, sizeof buffer_);
    const auto n = std::size_t(in_.gcount());
    if (n == 0) return traits_type::eof();
    hash_ = fnv1a(buffer_, n, hash_);
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  std::istream& in_;
  std::uint64_t& hash_;
  char buffer_[65536];
};

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

// The first pass marks where every kOffsetEvery-th task's line starts, so that a task can be
// read out of order (a spread sample, a long task started first) from a few lines before it.
constexpr std::int64_t kOffsetEvery = 256;

// What rank 0 keeps of a task while it runs, for its row in the log's tasks table.
struct TaskNote {
  std::string line;
  double predicted = 0;
  double file_bytes = -1;
};

// Tasks from a file (or stdin), skipping those the journal has. With history, the tasks the
// forecast found longest can be read out of order (at(), RunOptions::heavy_items), and each
// task handed out is noted (its line, prediction, file sizes) until its result is logged.
struct TaskSource {
  using item_type = Task;
  std::istream* in;
  TaskReader reader;
  const Journal* journal;
  std::optional<std::int64_t> remaining;
  const std::map<std::int64_t, Task>* heavy = nullptr;  // by index in the source
  const TaskModel* model = nullptr;
  FileSizes* files = nullptr;
  std::map<std::int64_t, TaskNote>* notes = nullptr;  // by task number; null: not logging
  TaskSource(std::istream& stream, const Journal* j, std::optional<std::int64_t> left)
      : in(&stream), reader(stream), journal(j), remaining(left) {}
  std::optional<std::int64_t> size() const { return remaining; }
  std::optional<Task> next() {
    while (auto t = reader.next())
      if (!journal || !journal->done(t->number)) return noted(std::move(*t));
    return std::nullopt;
  }
  // Out of order: a task kept from the first pass, or one read from the task file where the
  // first pass marked every kOffsetEvery-th task's line.
  std::string path;
  const std::vector<std::uint64_t>* offsets = nullptr;
  Task at(std::int64_t index) const {
    if (heavy)
      if (auto it = heavy->find(index); it != heavy->end()) return noted(it->second);
    const auto mark = std::size_t(index / kOffsetEvery);
    if (offsets && index >= 0 && mark < offsets->size()) {
      std::ifstream file(path, std::ios::binary);
      file.seekg(std::streamoff((*offsets)[mark]));
      TaskReader from_mark(file);
      std::optional<Task> t;
      for (std::int64_t i = std::int64_t(mark) * kOffsetEvery; i <= index; ++i)
        t = from_mark.next();
      if (t) return noted(Task{index + 1, std::move(t->line)});
    }
    throw error("amorsize: task " + std::to_string(index + 1) + " cannot be read out of order");
  }
  Task noted(Task t) const {
    if (notes) {
      TaskNote note{t.line, 0, -1};
      const TaskFeatures f = task_features(t.line, files);
      note.file_bytes = f.file_bytes;
      if (model)
        if (auto p = model->predict(t.line, f)) note.predicted = p->seconds;
      notes->emplace(t.number, std::move(note));
    }
    return t;
  }
};

// Peak resident set of this process (not of its tasks), in bytes.
double max_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) * 1024.0;
}

void broadcast(std::string& s) {
  int n = int(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
  s.resize(std::size_t(n));
  MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
}

// Where tasks' large standard output goes: a directory of this run's own inside the spill
// root. Rank 0 makes it; every rank checks it can see it (a shared filesystem), and ranks
// that cannot keep output in memory, up to a limit.
class SpillDirectory {
 public:
  // Rank 0, before the run. `root_given` empty: OUTPUT.spill, or $TMPDIR without --output.
  void create(const std::string& root_given, const std::string& output) {
    namespace fs = std::filesystem;
    owns_root_ = root_given.empty() && !output.empty();
    std::string root = root_given;
    if (root.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      root = !output.empty() ? output + ".spill" : (tmp && *tmp ? tmp : "/tmp");
    }
    std::error_code ec;
    root_ = fs::absolute(root, ec).lexically_normal().string();
    fs::create_directories(root_, ec);
    if (!fs::is_directory(root_))
      throw invalid_argument("--spill-dir: cannot create \"" + root + "\"" +
                             (ec ? ": " + ec.message() : std::string()));
    // OUTPUT.spill belongs to this output: what is in it is from runs that died before
    // cleaning up, and their tasks run again.
    if (owns_root_)
      for (const auto& e : fs::directory_iterator(root_, ec))
        if (e.path().filename().string().rfind("run-", 0) == 0) fs::remove_all(e.path(), ec);
    std::string dir = root_ + "/run-XXXXXX";
    if (!::mkdtemp(dir.data()))
      throw invalid_argument("--spill-dir: cannot create a directory in \"" + root +
                             "\": " + std::strerror(errno));
    dir_ = dir;
    token_ = std::to_string(std::random_device{}()) + "-" + std::to_string(::getpid());
    std::ofstream(dir_ + "/.visible") << token_;
  }
  // All ranks: the directory if this rank sees it, else empty. Rank 0 warns about the others,
  // whose tasks keep up to `in_memory` bytes of stdout.
  std::string share(bool quiet, std::uint64_t in_memory) {
    broadcast(dir_);
    broadcast(token_);
    std::string seen;
    std::getline(std::ifstream(dir_ + "/.visible"), seen);
    const int visible = !dir_.empty() && seen == token_;
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    std::vector<int> all(rank == 0 ? std::size_t(ranks) : 0);
    MPI_Gather(&visible, 1, MPI_INT, all.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0 && !quiet) {
      std::string blind;
      int count = 0;
      for (int r = 0; r < ranks; ++r)
        if (!all[std::size_t(r)] && ++count <= 8) blind += " " + std::to_string(r);
      if (count > 0)
        std::fprintf(stderr,
                     "amorsize: warning: %d rank(s) cannot see the spill directory %s (ranks%s%s); "
                     "their tasks keep stdout in memory, up to %llu MiB. Give --spill-dir on a "
                     "filesystem every node shares.\n",
                     count, dir_.c_str(), blind.c_str(), count > 8 ? " ..." : "",
                     (unsigned long long)(in_memory >> 20));
    }
    return visible ? dir_ : std::string();
  }
  // Rank 0, after the run: the run's directory goes, and OUTPUT.spill if empty.
  void remove() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    if (owns_root_) std::filesystem::remove(root_, ec);  // only when empty
  }

 private:
  std::string root_, dir_, token_;
  bool owns_root_ = false;
};

// Prints the plan when it is made (--explain), and passes everything on to the log, if any.
class ExplainingRecorder : public Recorder {
 public:
  explicit ExplainingRecorder(Recorder* next) : next_(next) {}
  void on_nodes(const std::vector<NodeTopology>& n) override {
    if (next_) next_->on_nodes(n);
  }
  void on_plan(const Plan& p) override {
    std::fprintf(stderr, "%s", p.explain().c_str());
    if (next_) next_->on_plan(p);
  }
  void on_sample(const SampleRecord& s) override {
    if (next_) next_->on_sample(s);
  }
  void on_chunk(const ChunkRecord& c) override {
    if (next_) next_->on_chunk(c);
  }
  void on_pressure(int node, double t, bool p) override {
    if (next_) next_->on_pressure(node, t, p);
  }

 private:
  Recorder* next_;
};

// With a confident per-task forecast: the plan uses its profile instead of sampling (or of the
// run-level history), and its longest tasks are candidates to start first.
void plan_from_forecast(const TaskModel* model, const std::optional<TaskForecast>& forecast,
                        const Journal* journal, const std::string& history, RunOptions& options) {
  if (!model || model->tasks() == 0) return;
  if (!forecast) {
    options.profile_reason += "; no per-task forecast: tasks from stdin are read only once";
    return;
  }
  const std::string why = forecast->reason(*model);
  if (forecast->confidence < model->options().min_confidence) {
    options.profile_reason += (options.profile_reason.empty() ? "" : "; ") +
                              std::string("per-task model not used: ") + why + " < " +
                              detail::fixed(model->options().min_confidence, 2);
    return;
  }
  RunIndexRow newest;
  for (const auto& r : list_runs(history, false))
    if (r.run_id == model->newest_run()) newest = r;
  options.profile = forecast->profile(newest);
  options.profile_reason = "planned per task from history, without sampling: " + why;
  const OverheadFit fit = fit_overheads(read_run(history, model->newest_run(), false).chunks);
  if (fit.chunks > 0 && fit.per_chunk_seconds > 0)
    options.latency_seconds = fit.per_chunk_seconds / 2;
  if (fit.per_byte_seconds > 0) options.bandwidth_bytes_per_second = 1 / fit.per_byte_seconds;
  if (journal && journal->done_count() > 0) {
    options.profile_reason += "; a resumed run starts its tasks in file order";
    return;
  }
  options.heavy_items = forecast->heavy;
  options.predicted_work_seconds = forecast->work_seconds;
}

}  // namespace

Command add_run_command(CLI::App& parent, const std::string& command_line) {
  struct Args {
    std::string tasks = "-", output, order = "auto", journal, summary, timeout, grace = "30s";
    std::string hierarchy = "auto", spill_dir, spill_above = "1MiB", bind = "compact";
    std::string progress = "auto";
    bool resume = false, fail_fast = false, quiet = false, explain = false;
    int retries = 0;
    HistoryArgs history;
    MemoryArgs memory;
    std::vector<std::string> command;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent.add_subcommand(
      "run",
      "Run a file of tasks over MPI: one task per line; with a command after --, {} in it\n"
      "becomes the task line and {#} the task number; without, each line is a shell command.\n"
      "A task's standard output is its result.\n\n"
      "Examples:\n"
      "  mpirun -np 64 amorsize run --tasks inputs.txt --output results.txt -- ./simulate {}\n"
      "  mpirun -np 64 amorsize run --tasks cmds.txt --output out.txt --resume   # after a kill\n\n"
      "Exit status: 0 all tasks succeeded, 1 some failed, 2 bad usage, 3 stopped early\n"
      "(SIGTERM/SIGUSR1, e.g. Slurm's warning before the time limit): run again with --resume.");
  cmd->add_option("--tasks", args->tasks, "task file, one task per line ('-' = stdin)")
      ->capture_default_str();
  cmd->add_option("--output", args->output,
                  "where results go, in task order (ordered) or as they finish (default: stdout)");
  cmd->add_option("--order", args->order,
                  "auto (= ordered: reproducible output), ordered or unordered")
      ->capture_default_str();
  add_hierarchy_option(cmd, args->hierarchy);
  add_memory_options(cmd, args->memory);
  add_bind_option(cmd, args->bind);
  cmd->add_option("--journal", args->journal,
                  "record finished tasks here, durably (default: OUTPUT.journal)");
  cmd->add_flag("--resume", args->resume,
                "run only the tasks the journal does not have; the output ends as if never "
                "interrupted");
  cmd->add_option("--retries", args->retries, "run a failed task again, up to N more times")
      ->check(non_negative_whole());
  cmd->add_option("--timeout", args->timeout,
                  "kill a task (and every process it started) after this long, e.g. 30s, 5m");
  cmd->add_option("--drain-grace", args->grace,
                  "on SIGTERM/SIGUSR1, let running tasks finish for this long")
      ->capture_default_str();
  cmd->add_flag("--fail-fast", args->fail_fast, "stop at the first failed task");
  cmd->add_option("--spill-dir", args->spill_dir,
                  "a task's stdout beyond --spill-above streams to a file here instead of "
                  "memory; on a filesystem all nodes share (default: OUTPUT.spill, or $TMPDIR "
                  "without --output)");
  cmd->add_option("--spill-above", args->spill_above,
                  "stdout a task may hold in memory before it spills, e.g. 64KiB, 16MiB")
      ->capture_default_str();
  cmd->add_option("--summary", args->summary, "write a JSON summary here");
  cmd->add_option("--progress", args->progress,
                  "auto: a live bar when the terminal that started mpirun (or amorsize) shows "
                  "stderr, else plain lines, as a batch job's log gets them; lines: one at each "
                  "tenth of the tasks and at least every 60 s (done/total, rate, ETA, failed); "
                  "bar; none")
      ->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "no progress and no closing summary line");
  cmd->add_flag("--explain", args->explain, "print the plan, and why, when it is made");
  cmd->add_option("--log", args->history.log, "append this run's timings to an HDF5 log");
  cmd->add_option("--history", args->history.history,
                  "plan from earlier runs in this HDF5 log (default: the --log file)");
  cmd->add_option("--key", args->history.key,
                  "the workload's name in the log (default: the command, or the task file)");
  add_feature_option(cmd, args->history.features);
  cmd->add_option("command", args->command, "the command template, after --");

  return [args, command_line]() -> int {
    // --- arguments (the same on every rank) -----------------------------------------------
    auto duration = [](const std::string& text, const char* option) {
      try {
        return text.empty() ? 0.0 : parse_duration(text);
      } catch (const invalid_argument& e) {
        throw invalid_argument(std::string(option) + ": " + e.what());
      }
    };
    TaskOptions task_options;
    task_options.timeout_seconds = duration(args->timeout, "--timeout");
    task_options.retries = args->retries;
    task_options.spill_above_bytes = std::uint64_t(for_option("--spill-above", [&] {
      const double b = parse_bytes(args->spill_above);
      // A rank that cannot see the spill directory keeps this much, so spilling starts below.
      if (b > double(task_options.max_memory_output_bytes))
        throw invalid_argument("at most 1GiB (a task's result in memory)");
      return b;
    }));
    const double grace = duration(args->grace, "--drain-grace");
    const Order order = for_option("--order", [&] { return parse_order(args->order); });
    const Hierarchy hierarchy =
        for_option("--hierarchy", [&] { return parse_hierarchy(args->hierarchy); });
    const bool ordered = order != Order::unordered;
    RunOptions memory_options;
    apply_memory_options(args->memory, memory_options);
    const Bind bind = for_option("--bind", [&] { return parse_bind(args->bind); });
    if (args->resume && args->output.empty())
      throw invalid_argument("--resume needs --output: the journal records positions in it");
    const TaskTemplate task_template(args->command);
    std::string journal_path = args->journal;
    if (journal_path.empty() && !args->output.empty()) journal_path = args->output + ".journal";

    MpiSession mpi;
    install_signal_handlers();
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);

    // --- rank 0: task file, journal, output, log ------------------------------------------
    std::unique_ptr<std::ifstream> file;
    std::unique_ptr<Journal> journal;
    std::FILE* out = nullptr;
    std::optional<std::int64_t> total;
    RunOptions options = memory_options;
    options.plan.order = ordered ? Order::ordered : Order::unordered;
    options.plan.hierarchy = hierarchy;
    options.plan.bind = bind;
    options.stop_requested = stop_requested;
    options.features =
        for_option("--feature", [&] { return parse_features(args->history.features); });
    std::string problem;
    SpillDirectory spill;
    std::string task_command;  // the template, as the log keeps it for the per-task model
    for (const auto& a : args->command) task_command += (task_command.empty() ? "" : " ") + a;
    const std::string history_path =
        args->history.history.empty() ? args->history.log : args->history.history;
    std::unique_ptr<TaskModel> model;
    FileSizes files;
    std::optional<TaskForecast> forecast;
    std::vector<std::uint64_t> offsets;  // of every kOffsetEvery-th task in the file
    if (rank == 0) {
      try {
        if (!history_path.empty()) model = std::make_unique<TaskModel>(history_path, task_command);
        std::uint64_t print = fnv1a(args->order.data(), ordered ? 1 : 0);
        for (const auto& a : args->command) print = fnv1a(a.data(), a.size() + 1, print);
        if (args->tasks != "-") {
          std::ifstream in(args->tasks, std::ios::binary);
          if (!in) throw invalid_argument("cannot read task file \"" + args->tasks + "\"");
          // One pass counts the tasks and fingerprints the file.
          FingerprintingBuffer fingerprinted(in, print);
          std::istream through(&fingerprinted);
          TaskReader reader(through);
          // With history, the same pass predicts every task (RunOptions::heavy_items).
          std::optional<TaskForecaster> forecaster;
          if (model && model->tasks() > 0)
            forecaster.emplace(
                *model, files,
                std::size_t(std::max<std::int64_t>(0, RunOptions{}.max_first_items)));
          while (auto t = reader.next()) {
            if ((t->number - 1) % kOffsetEvery == 0) offsets.push_back(reader.offset());
            if (forecaster) forecaster->add(*t);
          }
          total = reader.tasks_read();
          if (forecaster) forecast = forecaster->finish();
          file = std::make_unique<std::ifstream>(args->tasks, std::ios::binary);
        }
        if (!journal_path.empty())
          journal = std::make_unique<Journal>(journal_path, hex(print), args->resume);
        if (!args->output.empty()) {
          out = std::fopen(args->output.c_str(),
                           journal && journal->output_bytes() > 0 ? "r+b" : "wb");
          if (!out)
            throw invalid_argument("cannot write output \"" + args->output +
                                   "\": " + std::strerror(errno));
          if (journal) {
            // Anything past the last journaled position is from a run that died before its
            // journal caught up: those tasks run again.
            if (::ftruncate(fileno(out), off_t(journal->output_bytes())) != 0 ||
                std::fseek(out, 0, SEEK_END) != 0)
              throw invalid_argument("cannot truncate output \"" + args->output + "\"");
          }
        } else {
          out = stdout;
        }
        if (total && journal) *total -= journal->done_count();
        // A resumed run's source skips the journaled tasks: its positions are not the file's.
        if (journal && journal->done_count() > 0) options.sample_spread = false;
        spill.create(args->spill_dir, args->output);
      } catch (const invalid_argument& e) {
        problem = e.what();
      }
    }
    int ok = problem.empty();
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok) {
      if (rank == 0) throw invalid_argument(problem);
      throw PeerFailed{};
    }
    task_options.spill_dir = spill.share(args->quiet, task_options.max_memory_output_bytes);
    std::string key = args->history.key;
    if (key.empty()) {
      key = "run:";
      for (const auto& a : args->command) key += " " + a;
      if (args->command.empty()) key += " " + args->tasks;
    }
    auto log = prepare_history(MPI_COMM_WORLD, args->history, key, command_line, options);
    if (rank == 0) plan_from_forecast(model.get(), forecast, journal.get(), history_path, options);
    if (log) {
      log->set_task_command(task_command);
      log->set_from_history(options.profile.has_value());
    }
    ExplainingRecorder explaining(options.recorder);
    if (args->explain) options.recorder = &explaining;

    // --- the sink: output, journal, progress ----------------------------------------------
    const ProgressMode progress_mode =
        args->quiet ? ProgressMode::none
                    : for_option("--progress", [&] { return parse_progress(args->progress); });
    ProgressPrinter progress(rank == 0 ? progress_mode : ProgressMode::none, "tasks");
    progress.attach(options);
    std::map<std::int64_t, TaskNote> notes;  // rank 0: tasks handed out, until logged
    std::uint64_t written = journal ? journal->output_bytes() : 0;
    std::int64_t done = 0, failed = 0, abandoned = 0;
    std::vector<nlohmann::ordered_json> failures;
    bool blocked = false;  // ordered: a task was abandoned, later results wait for the resume
    bool fail_stop = false;
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last_sync = start;
    // The output is made durable before the journal records it: after a failed write the
    // journal still ends at output that exists, and --resume continues from there.
    const auto output_failed = [&]() {
      return error("writing the output " +
                   (args->output.empty() ? std::string("(stdout)") : "\"" + args->output + "\"") +
                   " failed: " + std::strerror(errno) +
                   (journal ? "; the journal keeps the tasks written before: make room and run "
                              "again with --resume"
                            : ""));
    };
    auto sync = [&]() {
      if (std::fflush(out) != 0) throw output_failed();
      if (out != stdout && ::fsync(fileno(out)) != 0) throw output_failed();
      if (journal) journal->sync();
    };
    auto sink = [&](std::int64_t, TaskResult r) {
      if (r.abandoned || (ordered && blocked)) {
        discard_output(r);
        ++abandoned;
        blocked = blocked || ordered;
        return true;
      }
      if (log) {  // the task's row in the log (it is in notes: it was handed out)
        auto note = notes.find(r.number);
        if (note != notes.end()) {
          log->on_task({r.number, std::move(note->second.line), r.seconds, note->second.predicted,
                        r.ok() ? 0 : (r.timed_out ? 124 : r.status), double(r.max_rss_bytes),
                        note->second.file_bytes});
          notes.erase(note);
        }
      }
      const std::uint64_t bytes = r.output_bytes();
      if (bytes > 0 && write_output(r, out) != bytes) throw output_failed();
      written += bytes;
      if (!r.err.empty()) std::fwrite(r.err.data(), 1, r.err.size(), stderr);
      if (journal) journal->record(r.number, r.ok() ? 0 : (r.timed_out ? 124 : r.status), written);
      ++done;
      if (!r.ok()) {
        ++failed;
        failures.push_back({{"task", r.number},
                            {"status", r.status},
                            {"timed_out", r.timed_out},
                            {"attempts", r.attempts},
                            {"stderr", r.err.size() > 500 ? r.err.substr(0, 500) : r.err}});
        if (args->fail_fast) fail_stop = true;
      }
      const auto now = clock::now();
      if (now - last_sync > std::chrono::milliseconds(200)) {
        sync();
        last_sync = now;
      }
      return !fail_stop;
    };
    auto work = [&](const Task& t) {
      TaskResult r = run_task(task_template.command_for(t), task_options, stop_requested, grace);
      r.number = t.number;
      note_item_memory(r.max_rss_bytes);  // so the plan fits tasks into each node's memory
      note_item_cpu(r.cpu_seconds);       // its work, for the efficiency
      return r;
    };

    std::istream& in = file ? static_cast<std::istream&>(*file) : std::cin;
    RunReport report;
    try {
      // Only the tasks done before this run are passed over: this run's own go into the
      // journal as they finish, which may be before the source's order reaches them (a task
      // sampled or started first, in an unordered run).
      TaskSource source(in, journal && journal->done_count() > 0 ? journal.get() : nullptr, total);
      if (forecast) source.heavy = &forecast->heavy_tasks;
      if (file && !(journal && journal->done_count() > 0)) {
        source.path = args->tasks;
        source.offsets = &offsets;
      }
      source.model = model.get();
      source.files = &files;
      if (log) source.notes = &notes;
      report = run(MPI_COMM_WORLD, std::move(source), work, sink, options);
    } catch (const std::exception& e) {
      // A failure outside a task (the output's disk is full, ...) ended the run on every rank;
      // rank 0's message names the rank and the reason. The journal keeps what was written.
      if (rank == 0) {
        std::fprintf(stderr, "amorsize: %s\n", e.what());
        std::fflush(stderr);
      }
      return 1;
    }
    const double rss = max_rss_bytes();
    double worker_rss = 0;  // the largest of the other ranks
    const double mine = rank == 0 ? 0.0 : rss;
    MPI_Reduce(&mine, &worker_rss, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rank != 0) return 0;
    sync();
    spill.remove();
    progress.finish();
    if (out != stdout) std::fclose(out);
    const bool resumable = report.drained || abandoned > 0;
    if (log) log->finish(report, resumable ? "interrupted" : run_status(report));

    const std::int64_t earlier = journal ? journal->done_count() - done : 0;
    if (!args->summary.empty()) {
      nlohmann::ordered_json s = {
          {"tasks", total ? nlohmann::json(*total + earlier) : nlohmann::json(nullptr)},
          {"done", done + earlier},
          {"done_this_run", done},
          {"failed", failed},
          {"abandoned", abandoned},
          {"resumable", resumable},
          {"makespan_s", report.makespan_seconds},
          {"predicted_makespan_s", report.plan.predicted_makespan_seconds
                                       ? nlohmann::json(*report.plan.predicted_makespan_seconds)
                                       : nlohmann::json(nullptr)},
          {"predicted_interval_s",
           report.plan.predicted_makespan_low_seconds
               ? nlohmann::json::array({*report.plan.predicted_makespan_low_seconds,
                                        *report.plan.predicted_makespan_high_seconds})
               : nlohmann::json(nullptr)},
          {"efficiency", report.efficiency},
          {"workers", report.plan.serial ? 1 : report.plan.workers},
          {"chunks", report.chunks},
          {"pressure_events", report.pressure_events},
          {"pressure_seconds", report.pressure_seconds},
          {"pressure_releases", report.pressure_releases},
          {"warnings", report.warnings},
          {"coordinator_max_rss_bytes", rss},
          {"worker_max_rss_bytes", worker_rss},
          {"failures", failures}};
      std::ofstream f(args->summary);
      if (!f) throw invalid_argument("cannot write summary \"" + args->summary + "\"");
      f << s.dump(2) << "\n";
    }
    if (!args->quiet) {
      const int workers = report.plan.serial ? 1 : report.plan.workers;
      std::fprintf(stderr,
                   "amorsize: %lld tasks in %.2f s on %d worker%s (%lld chunks, efficiency %.2f), "
                   "%lld failed\n",
                   (long long)done, report.makespan_seconds, workers, workers == 1 ? "" : "s",
                   (long long)report.chunks, report.efficiency, (long long)failed);
      if (report.pressure_events > 0) std::fprintf(stderr, "%s\n", pressure_line(report).c_str());
    }
    if (resumable) {
      std::fprintf(stderr,
                   "amorsize: stopped early after %lld tasks; run again with --resume to finish\n",
                   (long long)(done + earlier));
      return kResumable;
    }
    if (failed > 0) {
      std::fprintf(stderr, "amorsize: %lld of %lld tasks failed (first: task %lld)\n",
                   (long long)failed, (long long)done, (long long)failures.front()["task"]);
      return kSomeFailed;
    }
    (void)kUsage;
    return kAllSucceeded;
  };
}

}  // namespace amorsize::app
