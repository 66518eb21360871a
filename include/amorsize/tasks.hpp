#pragma once
/// \file tasks.hpp
/// Task farms of commands, as `amorsize run` runs them: a task file (one task per line), a
/// command template, running one task in its own process group with its output captured, and
/// the journal that lets an interrupted run resume exactly.
///
/// \code
///   amorsize::TaskTemplate t({"./simulate", "--input", "{}", "--seed", "{#}"});
///   amorsize::Task task{42, "case-42.json"};
///   amorsize::TaskResult r = amorsize::run_task(t.command_for(task), {});
///   // r.status, r.out (stdout: the task's result), r.err, r.seconds
/// \endcode
#include <cstdint>
#include <cstdio>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace amorsize {

/// One line of the task file. `number` counts tasks from 1 (blank and comment lines do not
/// count), as `{#}` shows it.
struct Task {
  std::int64_t number = 0;
  std::string line;
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& number& line;
  }
};

/// Reads tasks from a stream: one per line, blank lines and lines starting with `#` skipped,
/// a trailing '\r' dropped. Lines are read as they are needed (bounded memory).
class TaskReader {
 public:
  explicit TaskReader(std::istream& in) : in_(in) {}
  /// The next task, or nullopt at the end of the stream.
  std::optional<Task> next();
  std::int64_t tasks_read() const { return number_; }
  /// Bytes of the stream before the last task returned (where its line starts).
  std::uint64_t offset() const { return offset_; }

 private:
  std::istream& in_;
  std::int64_t number_ = 0;
  std::uint64_t bytes_ = 0, offset_ = 0;
};

/// Counts the tasks of a file without keeping them (a first pass, so the plan knows the size).
std::int64_t count_tasks(const std::string& path);

/// The program and arguments to start for one task.
struct Command {
  std::vector<std::string> argv;  ///< argv[0] is looked up in PATH
};

/// A command template: `{}` in an argument becomes the task line, `{#}` the task number.
/// Without a template, the line itself is the command: split into words when it has no shell
/// syntax, otherwise run with /bin/sh -c.
class TaskTemplate {
 public:
  TaskTemplate() = default;
  explicit TaskTemplate(std::vector<std::string> args);
  Command command_for(const Task& task) const;
  bool empty() const { return args_.empty(); }

 private:
  std::vector<std::string> args_;
  bool uses_placeholder_ = false;
};

/// True when `line` needs a shell (quotes, pipes, redirections, variables, globs, ...).
bool needs_shell(const std::string& line);

struct TaskOptions {
  double timeout_seconds = 0;     ///< 0 = no limit; on expiry the task's process group is killed
  double kill_grace_seconds = 2;  ///< between SIGTERM and SIGKILL
  int retries = 0;                ///< extra attempts for a task that fails
  /// Where standard output that outgrows `spill_above_bytes` goes: the whole of it is then
  /// streamed to a new file in this directory (TaskResult::spill) and never held in memory.
  /// Empty: stdout is kept in memory up to `max_memory_output_bytes` (beyond, the task is
  /// stopped and fails with a message saying so).
  std::string spill_dir;
  std::uint64_t spill_above_bytes = std::uint64_t(1) << 20;
  std::uint64_t max_memory_output_bytes = std::uint64_t(1) << 30;
  /// Standard error kept per task; beyond it, a note says how many bytes were dropped.
  std::uint64_t max_stderr_bytes = std::uint64_t(1) << 20;
};

/// What one task did.
struct TaskResult {
  std::int64_t number = 0;
  int status = 0;  ///< exit status; 128 + signal when killed; 127 when it could not start
  bool timed_out = false;
  bool abandoned = false;  ///< not run (or stopped) because the run was draining
  int attempts = 0;
  double seconds = 0;
  std::string out;    ///< standard output: the task's result (empty when spilled)
  std::string spill;  ///< the file holding all of stdout, when it outgrew the memory limit
  std::uint64_t spill_bytes = 0;    ///< its size
  std::string err;                  ///< standard error (bounded by max_stderr_bytes)
  std::uint64_t max_rss_bytes = 0;  ///< peak resident set of the task (its largest process)
  double cpu_seconds = 0;  ///< user + system CPU time of the task and its children, all attempts
  bool ok() const { return status == 0 && !timed_out && !abandoned; }
  std::uint64_t output_bytes() const { return spill.empty() ? out.size() : spill_bytes; }
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& number& status& timed_out& abandoned& attempts& seconds& out& spill& spill_bytes& err&
        max_rss_bytes& cpu_seconds;
  }
};

/// Appends a task's stdout to `out`: from memory, or copied from its spill file in pieces
/// (which is then removed). Returns the bytes written; throws amorsize::error naming the file
/// when the spill cannot be read or does not hold `spill_bytes`, and errno is set when
/// writing `out` failed (returns fewer bytes than output_bytes()).
std::uint64_t write_output(const TaskResult& result, std::FILE* out);

/// Removes a result's spill file, if any (a result that will not be written).
void discard_output(const TaskResult& result);

/// Runs one command in a new process group (posix_spawn), capturing stdout and stderr, with
/// the timeout and retries of `options`. `stop` is polled while it waits: when it returns true
/// after `drain_grace_seconds`, the task is killed and reported abandoned.
TaskResult run_task(const Command& command, const TaskOptions& options, bool (*stop)() = nullptr,
                    double drain_grace_seconds = 0);

/// The journal of a run: which tasks are done and where the output stood after each, made
/// durable (fsync) in batches. A resumed run truncates the output to the last journaled
/// position and skips the journaled tasks, so its output is what an uninterrupted run writes.
class Journal {
 public:
  /// Opens `path` for a run identified by `fingerprint` (tasks, command and order). With
  /// `resume`, reads what an earlier run recorded (a torn last line is ignored; any other
  /// damage, or another fingerprint, throws invalid_argument); without, starts afresh.
  Journal(const std::string& path, const std::string& fingerprint, bool resume);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  bool done(std::int64_t task) const;
  std::int64_t done_count() const { return done_count_; }
  /// Output bytes already written by the tasks journaled so far.
  std::uint64_t output_bytes() const { return output_bytes_; }
  /// Records `task` as done, with its status and the output size after its result. The record
  /// reaches the file at the next sync(); one not synced when the journal closes is dropped.
  void record(std::int64_t task, int status, std::uint64_t output_end);
  /// Makes everything recorded durable (the output file must have been synced first).
  void sync();
  /// Records of earlier runs that failed (task, status), for the summary.
  const std::vector<std::pair<std::int64_t, int>>& earlier_failures() const { return failed_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string pending_;  // records since the last sync()
  /// Done tasks as ranges [first, end): a few entries however many tasks, whatever numbers a
  /// damaged journal holds.
  std::map<std::int64_t, std::int64_t> done_;
  void mark_done(std::int64_t task);
  std::int64_t done_count_ = 0;
  std::vector<std::pair<std::int64_t, int>> failed_;
  std::uint64_t output_bytes_ = 0;
};

}  // namespace amorsize
