// Task files, command templates and running one task in its own process group.
#include "amorsize/tasks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/run_types.hpp"

extern char** environ;

namespace amorsize {

std::optional<Task> TaskReader::next() {
  std::string line;
  while (std::getline(in_, line)) {
    offset_ = bytes_;
    bytes_ += line.size() + (in_.eof() ? 0 : 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    return Task{++number_, line};
  }
  return std::nullopt;
}

std::int64_t count_tasks(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw invalid_argument("cannot read task file \"" + path + "\"");
  TaskReader reader(in);
  while (reader.next()) {
  }
  return reader.tasks_read();
}

TaskTemplate::TaskTemplate(std::vector<std::string> args) : args_(std::move(args)) {
  for (const auto& a : args_)
    if (a.find("{}") != std::string::npos) uses_placeholder_ = true;
}

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

bool needs_shell(const std::string& line) {
  return line.find_first_of("|&;<>()$`\\\"'*?[]#~=%{}!\n") != std::string::npos;
}

Command TaskTemplate::command_for(const Task& task) const {
  Command c;
  if (args_.empty()) {
    if (needs_shell(task.line)) {
      c.argv = {"/bin/sh", "-c", task.line};
    } else {
      std::size_t at = 0;
      while ((at = task.line.find_first_not_of(" \t", at)) != std::string::npos) {
        const std::size_t end = task.line.find_first_of(" \t", at);
        c.argv.push_back(task.line.substr(at, end - at));
        at = end;
      }
    }
    return c;
  }
  const std::string number = std::to_string(task.number);
  for (const auto& a : args_)
    c.argv.push_back(replace_all(replace_all(a, "{#}", number), "{}", task.line));
  // Like xargs and GNU parallel: a template without {} gets the line as its last argument.
  if (!uses_placeholder_) c.argv.push_back(task.line);
  return c;
}

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= std::size_t(w);
  }
  return true;
}

// A task's standard output: in memory up to the limit, then all of it streamed to a new file
// in the spill directory, so a task may write more than any node's memory holds.
class OutputCapture {
 public:
  OutputCapture(TaskResult& r, const TaskOptions& o) : r_(r), o_(o) {}
  ~OutputCapture() {
    if (fd_ >= 0) ::close(fd_);
  }
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  // False when the output cannot be kept (problem() says why): the task must be stopped.
  bool add(const char* data, std::size_t n) {
    if (fd_ < 0 && !o_.spill_dir.empty() && r_.out.size() + n > o_.spill_above_bytes && !spill())
      return false;
    if (fd_ < 0) {
      if (o_.spill_dir.empty() && r_.out.size() + n > o_.max_memory_output_bytes)
        return fail("it passed " + std::to_string(o_.max_memory_output_bytes) +
                    " bytes, and no spill directory is visible on this node (--spill-dir)");
      r_.out.append(data, n);
      return true;
    }
    if (!write_all(fd_, data, n))
      return fail("writing " + r_.spill + " failed: " + std::strerror(errno));
    r_.spill_bytes += n;
    return true;
  }
  bool close() {
    if (fd_ < 0) return true;
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 || fail("closing " + r_.spill + " failed: " + std::strerror(errno));
  }
  const std::string& problem() const { return problem_; }

 private:
  bool spill() {
    std::string path = o_.spill_dir + "/stdout-XXXXXX";
    fd_ = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd_ < 0)
      return fail("cannot create a spill file in " + o_.spill_dir + ": " + std::strerror(errno));
    r_.spill = path;
    if (!write_all(fd_, r_.out.data(), r_.out.size()))
      return fail("writing " + path + " failed: " + std::strerror(errno));
    r_.spill_bytes = r_.out.size();
    std::string().swap(r_.out);
    return true;
  }
  bool fail(const std::string& what) {
    problem_ = "amorsize: the task's standard output was lost: " + what + "\n";
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    discard_output(r_);
    r_.spill.clear();
    r_.spill_bytes = 0;
    std::string().swap(r_.out);
    return false;
  }
  TaskResult& r_;
  const TaskOptions& o_;
  int fd_ = -1;
  std::string problem_;
};

// The environment of a task: amorsize's, and when its worker is bound, OMP_NUM_THREADS and
// OMP_PLACES for the worker's CPUs (a task inherits the binding itself from its thread).
std::vector<std::string> task_environment() {
  std::vector<std::string> env;
  const std::vector<int> cpus = item_cpus();
  if (cpus.empty()) return env;
  std::string places;
  for (int c : cpus) places += (places.empty() ? "{" : ",{") + std::to_string(c) + "}";
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "OMP_NUM_THREADS=", 16) != 0 && std::strncmp(*e, "OMP_PLACES=", 11) != 0)
      env.emplace_back(*e);
  env.push_back("OMP_NUM_THREADS=" + std::to_string(cpus.size()));
  env.push_back("OMP_PLACES=" + places);
  return env;
}

// How long a task killed by a drain signal waits for amorsize to take the same signal.
constexpr int kDrainSignalWaitMs = 500;

// One attempt: spawn, read both pipes until they close, reap.
TaskResult attempt(const Command& command, const TaskOptions& options, bool (*stop)(),
                   double drain_grace) {
  TaskResult r;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw error(std::string("amorsize: pipe failed: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills the task and every child it started; default
  // signal handling, whatever amorsize installed for itself.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> env = task_environment();
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const double start = now_seconds();
  const int rc = command.argv.empty() ? ENOENT
                                      : posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(),
                                                     env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    r.status = 127;
    r.err = "amorsize: cannot start \"" + (command.argv.empty() ? "" : command.argv[0]) +
            "\": " + std::strerror(rc) + "\n";
    return r;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  OutputCapture output(r, options);
  std::uint64_t err_dropped = 0;
  bool lost = false;  // stdout could not be kept: the task is stopped and fails
  double kill_at = options.timeout_seconds > 0 ? start + options.timeout_seconds : 0;
  double stop_at = 0;
  bool terminated = false, killed = false;
  auto signal_group = [&](int sig) { ::kill(-pid, sig); };
  while (open_fds > 0) {
    const int ready = poll(fds, 2, 50);
    if (ready < 0 && errno != EINTR) break;
    for (auto& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(p.fd, buffer, sizeof buffer);
      if (n > 0 && p.fd == out_pipe[0]) {
        if (!lost && !output.add(buffer, std::size_t(n))) {
          lost = true;
          kill_at = now_seconds();  // stop it now, as a timeout would
        }
      } else if (n > 0) {
        const std::uint64_t kept = r.err.size(), limit = options.max_stderr_bytes;
        const std::size_t room =
            kept >= limit ? 0
                          : std::size_t(std::min<std::uint64_t>(limit - kept, std::uint64_t(n)));
        r.err.append(buffer, room);
        err_dropped += std::uint64_t(n) - room;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
    const double t = now_seconds();
    if (stop && stop_at == 0 && stop()) stop_at = t + drain_grace;
    const bool expired = kill_at > 0 && t >= kill_at;
    const bool drained = stop_at > 0 && t >= stop_at;
    if ((expired || drained) && !terminated) {
      r.timed_out = expired && !lost;
      r.abandoned = drained && !expired;
      signal_group(SIGTERM);
      terminated = true;
      kill_at = t + options.kill_grace_seconds;
      stop_at = 0;
    } else if (terminated && !killed && t >= kill_at) {
      signal_group(SIGKILL);
      killed = true;
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) close(p.fd);
  int wstatus = 0;
  rusage usage{};
  while (wait4(pid, &wstatus, 0, &usage) < 0 && errno == EINTR) {
  }
  // The task's peak resident set, or that of the largest process it waited for (Linux).
  r.max_rss_bytes = std::uint64_t(usage.ru_maxrss) * 1024;
  // Its CPU time, with that of the children it waited for.
  r.cpu_seconds = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  // Children that outlived the task (and still hold no pipe) are part of its group too.
  if (terminated) signal_group(SIGKILL);
  r.seconds = now_seconds() - start;
  r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  // Killed by the signal that drains the run: under srun, Slurm delivers the time-limit warning
  // (or a scancel) to every process of the job step, the tasks too. Such a task did not fail;
  // it was stopped with the run, and --resume runs it again. The task may die of it before
  // this process has taken the same signal, so wait a moment for that (a CI run counted such
  // a task failed, and its output went missing from the resumed run).
  if (WIFSIGNALED(wstatus) && !r.timed_out && stop &&
      (WTERMSIG(wstatus) == SIGUSR1 || WTERMSIG(wstatus) == SIGTERM)) {
    for (int waited_ms = 0; !stop() && waited_ms < kDrainSignalWaitMs; ++waited_ms)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (stop()) r.abandoned = true;
  }
  if (!lost && !output.close()) lost = true;
  if (err_dropped > 0)
    r.err +=
        "\n[amorsize: " + std::to_string(err_dropped) + " more bytes of standard error dropped]\n";
  if (lost) {
    r.err += output.problem();
    if (r.status == 0) r.status = 1;
  }
  return r;
}

}  // namespace

TaskResult run_task(const Command& command, const TaskOptions& options, bool (*stop)(),
                    double drain_grace_seconds) {
  TaskResult r;
  double cpu = 0;  // of every attempt: each took its core
  for (int i = 0; i <= options.retries; ++i) {
    if (stop && stop()) {  // draining: start nothing new
      r = TaskResult{};
      r.abandoned = true;
      break;
    }
    if (i > 0) discard_output(r);  // the failed attempt's spilled output
    r = attempt(command, options, stop, drain_grace_seconds);
    cpu += r.cpu_seconds;
    r.cpu_seconds = cpu;
    r.attempts = i + 1;
    if (r.ok() || r.abandoned) break;
  }
  return r;
}

std::uint64_t write_output(const TaskResult& r, std::FILE* out) {
  if (r.spill.empty()) return std::fwrite(r.out.data(), 1, r.out.size(), out);
  const int fd = ::open(r.spill.c_str(), O_RDONLY | O_CLOEXEC);
  const auto unreadable = [&](const std::string& why) {
    return error("amorsize: task " + std::to_string(r.number) + "'s standard output, spilled to " +
                 r.spill + ", " + why);
  };
  if (fd < 0) throw unreadable(std::string("cannot be read here: ") + std::strerror(errno));
  std::vector<char> buffer(std::size_t(1) << 20);
  std::uint64_t copied = 0;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw unreadable("cannot be read here: " + why);
    }
    if (n == 0) break;
    const std::size_t w = std::fwrite(buffer.data(), 1, std::size_t(n), out);
    copied += w;
    if (w != std::size_t(n)) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return copied;
    }
  }
  ::close(fd);
  if (copied != r.spill_bytes)
    throw unreadable("holds " + std::to_string(copied) + " bytes; the task wrote " +
                     std::to_string(r.spill_bytes));
  ::unlink(r.spill.c_str());
  return copied;
}

void discard_output(const TaskResult& r) {
  if (!r.spill.empty()) ::unlink(r.spill.c_str());
}

}  // namespace amorsize
