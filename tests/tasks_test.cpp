#include "amorsize/tasks.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "amorsize/error.hpp"

namespace amorsize {
namespace {

std::string temp(const std::string& name) {
  return testing::TempDir() + "tasks_test_" + std::to_string(getpid()) + "_" + name;
}

TEST(TaskReader, SkipsBlankAndCommentLinesAndCountsTasks) {
  std::istringstream in("first\n\n   \n# a comment\n  # indented comment\nsecond\r\nthird");
  TaskReader r(in);
  auto a = r.next(), b = r.next(), c = r.next();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->number, 1);
  EXPECT_EQ(a->line, "first");
  EXPECT_EQ(b->number, 2);
  EXPECT_EQ(b->line, "second");  // the \r of a CRLF file is dropped
  EXPECT_EQ(c->line, "third");   // no newline at the end of the file
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.tasks_read(), 3);
}

TEST(TaskReader, CountTasksMatchesTheReader) {
  const std::string path = temp("count.txt");
  std::ofstream(path) << "a\n#x\n\nb\nc\n";
  EXPECT_EQ(count_tasks(path), 3);
  EXPECT_THROW(count_tasks("/nonexistent/tasks.txt"), invalid_argument);
}

TEST(TaskTemplate, ReplacesLineAndNumber) {
  const TaskTemplate t({"./sim", "--in={}", "--seed", "{#}", "{}.out"});
  const Command c = t.command_for(Task{7, "case a"});
  EXPECT_EQ(c.argv,
            (std::vector<std::string>{"./sim", "--in=case a", "--seed", "7", "case a.out"}));
}

TEST(TaskTemplate, WithoutPlaceholderTheLineIsTheLastArgument) {
  const TaskTemplate t({"gzip", "-k"});
  EXPECT_EQ(t.command_for(Task{1, "file.txt"}).argv,
            (std::vector<std::string>{"gzip", "-k", "file.txt"}));
}

TEST(TaskTemplate, WithoutTemplatePlainLinesAreSplitAndShellLinesGoToSh) {
  const TaskTemplate none;
  EXPECT_EQ(none.command_for(Task{1, "  echo  hello world "}).argv,
            (std::vector<std::string>{"echo", "hello", "world"}));
  EXPECT_EQ(none.command_for(Task{1, "echo a | wc -c"}).argv,
            (std::vector<std::string>{"/bin/sh", "-c", "echo a | wc -c"}));
  EXPECT_TRUE(needs_shell("echo $HOME"));
  EXPECT_TRUE(needs_shell("ls *.txt"));
  EXPECT_TRUE(needs_shell("a > b"));
  EXPECT_TRUE(needs_shell("echo 'x y'"));
  EXPECT_FALSE(needs_shell("./simulate --n 5 input-3.json"));
}

TEST(RunTask, CapturesOutputErrorsAndStatus) {
  const TaskResult r = run_task({{"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}}, {});
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.status, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.attempts, 1);
}

// Under srun, Slurm's drain signal reaches every process of the step, the tasks too: a task
// killed by it while the run drains was stopped with the run, not failed (found with
// cluster.slurm_two_nodes: 3 tasks recorded as failed, and the resumed output missed them).
std::atomic<int> stop_calls{0};
bool stop_after_first_call() {
  return ++stop_calls > 1;
}

TEST(RunTask, ATaskKilledByTheDrainSignalWhileDrainingIsAbandonedNotFailed) {
  const Command self_signalled{{"/bin/sh", "-c", "sleep 0.1; kill -USR1 $$; sleep 1"}};
  stop_calls = 0;
  const TaskResult drained = run_task(self_signalled, {}, stop_after_first_call, 5.0);
  EXPECT_TRUE(drained.abandoned);
  EXPECT_FALSE(drained.ok());
  const TaskResult alone = run_task(self_signalled, {});
  EXPECT_FALSE(alone.abandoned) << "no drain: the signal is the task's own failure";
  EXPECT_EQ(alone.status, 128 + SIGUSR1);
}

// Slurm signals the task and amorsize alike; the task may die of it before amorsize has taken
// its own: the drain that comes a moment later still makes the task abandoned, not failed.
std::atomic<double> g_stop_at{0};
bool stop_after_a_moment() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
             .count() >= g_stop_at.load();
}

TEST(RunTask, ATaskKilledByTheDrainSignalJustBeforeTheDrainIsAbandoned) {
  const Command self_signalled{{"/bin/sh", "-c", "kill -USR1 $$; sleep 1"}};
  g_stop_at =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count() +
      0.3;  // the task dies at once; the drain comes 0.3 s later
  const TaskResult r = run_task(self_signalled, {}, stop_after_a_moment, 5.0);
  EXPECT_TRUE(r.abandoned) << "status " << r.status;
}

TEST(RunTask, MissingProgramIs127WithAMessage) {
  const TaskResult r = run_task({{"/nonexistent/program"}}, {});
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.err.find("/nonexistent/program"), std::string::npos);
}

TEST(RunTask, LargeOutputIsCapturedWhole) {
  const TaskResult r = run_task({{"/bin/sh", "-c", "head -c 3000000 /dev/zero"}}, {});
  EXPECT_EQ(r.out.size(), 3000000u);
  EXPECT_TRUE(r.ok());
}

// A task that counts its attempts in `counter` and fails the first two; the third runs `then`.
Command fails_twice(const std::string& counter, const std::string& then) {
  return {{"/bin/sh", "-c",
           "n=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + counter +
               "; [ $n -ge 3 ] || exit 1; " + then}};
}

// A fresh, empty directory for spill files.
std::string spill_dir(const std::string& name) {
  const std::string d = temp(name);
  std::system(("rm -rf '" + d + "' && mkdir -p '" + d + "'").c_str());
  return d;
}

// Options that spill stdout past `above` bytes into a fresh directory `name`.
TaskOptions spilling(const std::string& name, std::uint64_t above) {
  TaskOptions o;
  o.spill_dir = spill_dir(name);
  o.spill_above_bytes = above;
  return o;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(RunTask, StdoutBeyondTheLimitStreamsToASpillFileAndIsWrittenOutWhole) {
  TaskOptions o = spilling("spill", 1000);
  // 200 kB in many small writes, so the switch to the file happens mid-stream.
  TaskResult r = run_task({{"/bin/sh", "-c", "seq 1 40000"}}, o);
  r.number = 7;
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_TRUE(r.out.empty()) << "spilled output must not stay in memory";
  ASSERT_FALSE(r.spill.empty());
  EXPECT_EQ(r.spill.rfind(o.spill_dir + "/", 0), 0u) << r.spill;
  std::string expected;
  for (int i = 1; i <= 40000; ++i) expected += std::to_string(i) + "\n";
  EXPECT_EQ(r.spill_bytes, expected.size());
  EXPECT_EQ(r.output_bytes(), expected.size());

  const std::string out_path = temp("spill_out");
  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(write_output(r, out), expected.size());
  std::fclose(out);
  EXPECT_EQ(file_text(out_path), expected);
  EXPECT_NE(access(r.spill.c_str(), F_OK), 0) << "the spill file outlived its copy";
}

TEST(RunTask, SmallOutputStaysInMemoryWithASpillDirectory) {
  TaskOptions o = spilling("spill_small", 1000);
  const TaskResult r = run_task({{"/bin/sh", "-c", "head -c 1000 /dev/zero"}}, o);
  EXPECT_EQ(r.out.size(), 1000u);
  EXPECT_TRUE(r.spill.empty());
}

TEST(RunTask, AnUnwritableSpillDirectoryFailsTheTaskWithTheReason) {
  TaskOptions o;
  o.spill_dir = temp("no_such_directory");
  o.spill_above_bytes = 100;
  const TaskResult r = run_task({{"/bin/sh", "-c", "head -c 100000 /dev/zero; exit 0"}}, o);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(r.spill.empty());
  EXPECT_NE(r.err.find("standard output was lost: cannot create a spill file in " + o.spill_dir),
            std::string::npos)
      << r.err;
}

TEST(RunTask, WithoutASpillDirectoryStdoutIsCappedAndTheTaskStopped) {
  TaskOptions o;
  o.max_memory_output_bytes = 100000;
  const auto start = std::chrono::steady_clock::now();
  const TaskResult r = run_task({{"/bin/sh", "-c", "yes"}}, o);  // endless output
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.timed_out);
  EXPECT_LE(r.out.size(), 100000u);
  EXPECT_NE(r.err.find("it passed 100000 bytes, and no spill directory"), std::string::npos)
      << r.err;
}

TEST(RunTask, StderrIsBoundedAndSaysHowMuchWasDropped) {
  TaskOptions o;
  o.max_stderr_bytes = 5000;
  const TaskResult r = run_task({{"/bin/sh", "-c", "head -c 20000 /dev/zero >&2; echo ok"}}, o);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_EQ(r.err.substr(0, 5000), std::string(5000, '\0'));
  EXPECT_NE(r.err.find("[amorsize: 15000 more bytes of standard error dropped]"),
            std::string::npos);
}

TEST(RunTask, ARetriedTaskLeavesNoSpillFileOfItsFailedAttempts) {
  const std::string counter = temp("spill_counter");
  std::remove(counter.c_str());
  TaskOptions o = spilling("spill_retry", 10);
  o.retries = 2;
  const TaskResult r = run_task(fails_twice(counter, "seq 1 1000; true"), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 3);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(o.spill_dir)) files += !e.is_directory();
  EXPECT_EQ(files, 1) << "only the successful attempt's output may remain";
  discard_output(r);
  EXPECT_NE(access(r.spill.c_str(), F_OK), 0);
}

TEST(WriteOutput, ASpillFileOfTheWrongSizeIsAnErrorNamingIt) {
  TaskOptions o = spilling("spill_damaged", 10);
  TaskResult r = run_task({{"/bin/sh", "-c", "seq 1 1000"}}, o);
  r.number = 12;
  ASSERT_FALSE(r.spill.empty());
  ASSERT_EQ(truncate(r.spill.c_str(), 100), 0);
  std::FILE* out = std::fopen("/dev/null", "wb");
  try {
    write_output(r, out);
    ADD_FAILURE() << "no error";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("task 12's standard output, spilled to " + r.spill +
                                         ", holds 100 bytes; the task wrote 3893"),
              std::string::npos)
        << e.what();
  }
  std::fclose(out);
}

TEST(RunTask, MeasuresThePeakMemoryOfTheTaskAndItsChildren) {
  // The shell is small; the child it waits for holds 64 MiB of written memory.
  const TaskResult r = run_task({{"/bin/sh", "-c",
                                  "head -c 67108864 /dev/zero | /usr/bin/python3 -c 'import sys; b "
                                  "= sys.stdin.buffer.read(); print(len(b))'; true"}},
                                {});
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(r.out, "67108864\n");
  EXPECT_GE(r.max_rss_bytes, std::uint64_t(64) << 20);
  EXPECT_LT(r.max_rss_bytes, std::uint64_t(512) << 20);
  // A task started by posix_spawn (vfork) is charged the parent's resident set at exec, so a
  // small task measures at most about ours (under ASan, ours passed 32 MiB).
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  const TaskResult small = run_task({{"/bin/true"}}, {});
  EXPECT_LT(small.max_rss_bytes, std::uint64_t(self.ru_maxrss) * 1024 + (std::uint64_t(16) << 20));
}

// Running, not a zombie waiting for init to reap it.
bool alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string skip, state;
  if (!(stat >> skip >> skip >> state)) return false;
  return state != "Z" && state != "X";
}

TEST(RunTask, TimeoutKillsTheWholeProcessGroup) {
  const std::string pids = temp("pids");
  TaskOptions o;
  o.timeout_seconds = 0.3;
  o.kill_grace_seconds = 0.5;
  const auto start = std::chrono::steady_clock::now();
  // The task starts two children that ignore nothing and hang, then waits for them.
  const TaskResult r =
      run_task({{"/bin/sh", "-c",
                 "sleep 100 & echo $! > " + pids + "; sleep 100 & echo $! >> " + pids + "; wait"}},
               o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(seconds, 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ifstream in(pids);
  int pid = 0, checked = 0;
  while (in >> pid) {
    ++checked;
    EXPECT_FALSE(alive(pid)) << "child " << pid << " outlived the timeout";
  }
  EXPECT_EQ(checked, 2);
}

TEST(RunTask, RetriesAFailingTask) {
  const std::string counter = temp("counter");
  std::remove(counter.c_str());
  TaskOptions o;
  o.retries = 3;
  const TaskResult r = run_task(fails_twice(counter, "echo done"), o);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.out, "done\n");
}

bool always_stop() {
  return true;
}

TEST(RunTask, DrainingStartsNothingNew) {
  const TaskResult r = run_task({{"/bin/echo", "x"}}, {}, always_stop, 10);
  EXPECT_TRUE(r.abandoned);
  EXPECT_EQ(r.out, "");
}

TEST(Journal, RecordsAndResumes) {
  const std::string path = temp("journal");
  {
    Journal j(path, "abc", false);
    j.record(1, 0, 10);
    j.record(3, 2, 25);
    j.sync();
  }
  Journal j(path, "abc", true);
  EXPECT_TRUE(j.done(1));
  EXPECT_FALSE(j.done(2));
  EXPECT_TRUE(j.done(3));
  EXPECT_EQ(j.done_count(), 2);
  EXPECT_EQ(j.output_bytes(), 25u);
  ASSERT_EQ(j.earlier_failures().size(), 1u);
  EXPECT_EQ(j.earlier_failures()[0].first, 3);
}

TEST(Journal, TasksOutOfOrderAndHugeNumbersCostNoMemory) {
  // Found by fuzzing (tests/fuzz/corpus/journal/huge_task): a bit per task number up to the
  // largest one made task 99999999999 allocate 12 GB. Done tasks are ranges now.
  const std::string path = temp("ranges.journal");
  {
    Journal j(path, "print", false);
    for (std::int64_t t : std::vector<std::int64_t>{5, 3, 4, 1, 99999999999, 2, 7})
      j.record(t, 0, 10);
    EXPECT_EQ(j.done_count(), 7);
    j.sync();
  }
  Journal j(path, "print", true);
  EXPECT_EQ(j.done_count(), 7);
  for (std::int64_t t : std::vector<std::int64_t>{1, 2, 3, 4, 5, 7, 99999999999})
    EXPECT_TRUE(j.done(t)) << t;
  for (std::int64_t t : std::vector<std::int64_t>{0, 6, 8, 99999999998, 100000000000})
    EXPECT_FALSE(j.done(t)) << t;
  std::remove(path.c_str());
}

// A record reaches the file only once synced, after the output it describes: a run that ends
// on an error (a full disk under the output) must not leave the journal ahead of the output.
TEST(Journal, RecordsNotSyncedAreDropped) {
  const std::string path = temp("unsynced.journal");
  {
    Journal j(path, "print", false);
    j.record(1, 0, 10);
    j.sync();
    j.record(2, 0, 20);  // its output never reached the disk
  }
  Journal j(path, "print", true);
  EXPECT_TRUE(j.done(1));
  EXPECT_FALSE(j.done(2));
  EXPECT_EQ(j.output_bytes(), 10u);
  std::remove(path.c_str());
}

TEST(Journal, ATornLastLineIsIgnored) {
  const std::string path = temp("torn");
  std::ofstream(path) << "amorsize-journal 1 abc\n1 0 10\n2 0 2";  // killed mid-write
  Journal j(path, "abc", true);
  EXPECT_TRUE(j.done(1));
  EXPECT_FALSE(j.done(2));
  EXPECT_EQ(j.output_bytes(), 10u);
  j.record(2, 0, 20);
  j.sync();
  Journal again(path, "abc", true);
  EXPECT_TRUE(again.done(2));
  EXPECT_EQ(again.output_bytes(), 20u);
}

TEST(Journal, DamageAndOtherRunsAreRefusedWithTheReason) {
  auto message = [](const std::string& content, const std::string& print) {
    const std::string path = temp("bad");
    std::ofstream(path) << content;
    try {
      Journal j(path, print, true);
    } catch (const invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("amorsize-journal 1 abc\n1 0 10\ngarbage here\n", "abc").find("line 3"),
            std::string::npos);
  EXPECT_NE(message("amorsize-journal 1 abc\n1 0 10\n1 0 20\n", "abc").find("twice"),
            std::string::npos);
  EXPECT_NE(message("amorsize-journal 1 abc\n1 0 10\n2 0 5\n", "abc").find("backwards"),
            std::string::npos);
  EXPECT_NE(message("amorsize-journal 1 abc\n", "xyz").find("another run"), std::string::npos);
  EXPECT_NE(message("hello\n", "abc").find("not an amorsize journal"), std::string::npos);
  EXPECT_NE(message("amorsize-journal 9 abc\n", "abc").find("version 9"), std::string::npos);
}

TEST(Journal, WithoutResumeStartsAfresh) {
  const std::string path = temp("fresh");
  {
    Journal j(path, "abc", false);
    j.record(1, 0, 10);
  }
  Journal j(path, "abc", false);
  EXPECT_FALSE(j.done(1));
  EXPECT_EQ(j.output_bytes(), 0u);
}

}  // namespace
}  // namespace amorsize
