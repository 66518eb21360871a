// The per-task record in the log and the model that predicts each task from it.
#include "amorsize/task_model.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/report.hpp"

namespace amorsize {
namespace {

namespace fs = std::filesystem;

class TaskLog : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "amorsize-tasks-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name = "runs.h5") const { return (dir_ / name).string(); }
  fs::path dir_;
};

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A sweep whose times grow with its parameter: "sim --size N --seed S" takes 2 ms * N.
std::vector<TaskRecord> sweep(int from, int to, double jitter = 0.05, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(1 - jitter, 1 + jitter);
  std::vector<TaskRecord> out;
  for (int n = from; n < to; ++n) {
    TaskRecord t;
    t.item = n;
    t.line = "sim --size " + std::to_string(n) + " --seed " + std::to_string(n * 7 % 13);
    t.seconds = 2e-3 * n * noise(rng);
    out.push_back(t);
  }
  return out;
}

RunReport empty_report() {
  return RunReport{};
}

TEST(TaskFeatures, NumbersBecomeTheShapeAndFilesTheirSize) {
  const TaskFeatures f = task_features("./sim --n=40 -x -2.5e1 in/case-07.dat v2");
  EXPECT_EQ(f.shape, "./sim --n=# -x # in/case-#.dat v#");
  EXPECT_EQ(f.numbers, (std::vector<double>{40, -25, 7, 2}));
  EXPECT_EQ(f.file_bytes, -1) << "no file looked up without FileSizes";
  // A dash inside a word is not a sign.
  EXPECT_EQ(task_features("case-3").numbers, std::vector<double>{3});
}

TEST_F(TaskLog, FilesNamedByALineAreStatedOnceEach) {
  const std::string file = path("input.dat");
  std::ofstream(file) << std::string(1000, 'x');
  FileSizes sizes;
  for (int i = 0; i < 3; ++i) {
    const TaskFeatures f = task_features("sim " + file + " --out=" + file, &sizes);
    EXPECT_EQ(f.file_bytes, 2000);
  }
  EXPECT_EQ(sizes.stat_calls(), 1);
  FileSizes spent(0);
  EXPECT_EQ(task_features("sim " + file, &spent).file_bytes, -1) << "no budget: no stat";
  EXPECT_EQ(spent.stat_calls(), 0);
}

TEST(TaskModel, PredictsSeenLinesFromTheirTimesAndNewOnesFromTheirNeighbours) {
  const TaskModel model(sweep(10, 200, 0));
  const auto seen = model.predict("sim --size 50 --seed 12");
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->seen);
  EXPECT_NEAR(seen->seconds, 0.1, 1e-9);
  const auto fresh = model.predict("sim --size 120 --seed 99");  // a new seed
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->seen);
  EXPECT_NEAR(fresh->seconds, 0.24, 0.24 * 0.2);
  EXPECT_GE(fresh->confidence, 0.7);
  EXPECT_FALSE(model.predict("other --size 3")) << "a shape never seen predicts nothing";
}

TEST(TaskModel, NoiseWithoutPatternGivesConfidenceBelowTheBar) {
  std::mt19937 rng(3);
  std::exponential_distribution<double> any(10);
  std::vector<TaskRecord> tasks = sweep(0, 200);
  for (auto& t : tasks) t.seconds = any(rng);  // times unrelated to the line
  const TaskModel model(tasks);
  const auto p = model.predict("sim --size 77 --seed 100");
  ASSERT_TRUE(p);
  EXPECT_LT(p->confidence, 0.7);
}

TEST(TaskModel, FailedTasksAreNotLearnedFrom) {
  std::vector<TaskRecord> tasks = sweep(0, 20);
  for (auto& t : tasks) t.status = 1;
  EXPECT_EQ(TaskModel(tasks).tasks(), 0);
}

TEST_F(TaskLog, TasksGoIntoTheLogAndBackWithTheirCommand) {
  {
    TimingLog log(path(), "run: sim", "amorsize run");
    log.set_task_command("./sim {}");
    for (const auto& t : sweep(0, 50)) log.on_task(t);
    log.finish(empty_report(), "complete");
  }
  const LoggedRun run = read_run(path());
  ASSERT_EQ(run.tasks.size(), 50u);
  EXPECT_EQ(run.task_command, "./sim {}");
  EXPECT_EQ(run.tasks[7].line, "sim --size 7 --seed 10");
  EXPECT_EQ(TaskModel(path(), "./sim {}").tasks(), 49) << "the task of 0 s is not learned";
  EXPECT_EQ(TaskModel(path(), "./other {}").tasks(), 0) << "another command";
}

TEST_F(TaskLog, TheReportShowsPredictedAgainstMeasuredPerTask) {
  {
    TimingLog log(path(), "k", "");
    auto tasks = sweep(1, 30, 0);
    for (auto& t : tasks) t.predicted_seconds = t.seconds * (t.item % 2 ? 1.1 : 1.5);
    for (const auto& t : tasks) log.on_task(t);
    log.finish(empty_report(), "complete");
  }
  const LoggedRun run = read_run(path());
  const std::string text = run_text(run);
  EXPECT_NE(text.find("Tasks: 29 recorded; 29 predicted, median error"), std::string::npos) << text;
  EXPECT_NE(text.find("task 29: 58 ms, predicted 63.8 ms  sim --size 29 --seed 8"),
            std::string::npos)
      << text;
  const std::string json = run_json(run);
  EXPECT_NE(json.find("\"predicted_seconds\": 0.0638"), std::string::npos);
  EXPECT_NE(json.find("\"within_20_percent\": 0.517"), std::string::npos) << json.substr(0, 0);
}

TEST_F(TaskLog, TheReportShowsTheFirstPredictionsIntervalAndWhetherTheRunFellInside) {
  for (double measured : {1.1, 1.6}) {
    TimingLog log(path(), "k", "");
    Plan plan;
    plan.predicted_makespan_seconds = 1.0;
    plan.predicted_makespan_low_seconds = 0.8;
    plan.predicted_makespan_high_seconds = 1.2;
    log.on_plan(plan);
    RunReport report;
    report.plan = plan;
    report.makespan_seconds = measured;
    log.finish(report, "complete");
  }
  EXPECT_NE(run_text(read_run(path(), 1)).find("80% interval 800 ms to 1.2 s, inside"),
            std::string::npos)
      << run_text(read_run(path(), 1));
  EXPECT_NE(run_text(read_run(path(), 2)).find("80% interval 800 ms to 1.2 s, outside"),
            std::string::npos);
  EXPECT_NE(run_json(read_run(path(), 2)).find("\"predicted_interval_seconds\": [\n    0.8,"),
            std::string::npos)
      << run_json(read_run(path(), 2));
}

TEST_F(TaskLog, TheTaskTableIsBoundedByALimit) {
  {
    LogOptions o;
    o.max_tasks = 10;
    TimingLog log(path(), "k", "", o);
    for (const auto& t : sweep(0, 25)) log.on_task(t);
    log.finish(empty_report(), "complete");
  }
  const LoggedRun run = read_run(path());
  EXPECT_EQ(run.tasks.size(), 10u);
  EXPECT_EQ(run.tasks_dropped, 15);
}

// Replaces run 1's tasks table with `write(group)`'s.
template <class F>
void replace_tasks(const std::string& path, F&& write) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t group = H5Gopen2(file, "runs/000001", H5P_DEFAULT);
  ASSERT_GE(group, 0);
  H5Ldelete(group, "tasks", H5P_DEFAULT);
  write(group);
  H5Gclose(group);
  H5Fclose(file);
}

TEST_F(TaskLog, ADamagedTaskTableIsRefusedWithTheReason) {
  {
    TimingLog log(path(), "k", "");
    for (const auto& t : sweep(1, 20)) log.on_task(t);
    log.finish(empty_report(), "complete");
  }
  // A table without the "seconds" column.
  replace_tasks(path(), [](hid_t group) {
    const hid_t type = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(type, "item", 0, H5T_NATIVE_INT64);
    const hsize_t n = 1;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t d = H5Dcreate2(group, "tasks", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::int64_t row = 1;
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &row);
    H5Dclose(d);
    H5Sclose(space);
    H5Tclose(type);
  });
  for (const std::string& message :
       {error_of([&] { read_run(path()); }), error_of([&] { TaskModel(path(), ""); })})
    EXPECT_NE(message.find("tasks table has no \"line\" column"), std::string::npos) << message;
  EXPECT_NO_THROW(read_run(path(), 1, /*with_tasks=*/false));
}

TEST_F(TaskLog, ATaskTableWithANegativeTimeIsRefused) {
  {
    TimingLog log(path(), "k", "");
    auto tasks = sweep(1, 20);
    tasks[3].seconds = -4;
    for (const auto& t : tasks) log.on_task(t);
    log.finish(empty_report(), "complete");
  }
  const std::string message = error_of([&] { TaskModel(path(), ""); });
  EXPECT_NE(message.find("tasks table is damaged (task 4 has a time of -4"), std::string::npos)
      << message;
}

TEST_F(TaskLog, ALogOfANewerSchemaIsRefused) {
  {
    TimingLog log(path(), "k", "");
    for (const auto& t : sweep(1, 20)) log.on_task(t);
    log.finish(empty_report(), "complete");
  }
  const hid_t file = H5Fopen(path().c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t a = H5Aopen(file, "schema_version", H5P_DEFAULT);
  const int three = 3;
  H5Awrite(a, H5T_NATIVE_INT, &three);
  H5Aclose(a);
  H5Fclose(file);
  const std::string message = error_of([&] { TaskModel(path(), ""); });
  EXPECT_NE(message.find("schema version 3; this amorsize reads versions 1 to 2"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace amorsize
