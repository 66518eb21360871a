// The HDF5 timing log: TimingLog writes one run as it goes; list_runs and read_run read runs
// back. The schema is described in include/amorsize/history.hpp and the README; every HDF5
// call goes through h5.hpp.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "amorsize/error.hpp"
#include "amorsize/history.hpp"
#include "h5.hpp"

#ifndef AMORSIZE_VERSION
#define AMORSIZE_VERSION "0.1.0"
#endif

namespace amorsize {
namespace {

namespace h5 = detail::h5;

constexpr const char* kSchemaName = "amorsize-log";
constexpr const char* kRuns = "runs";
constexpr const char* kIndex = "index";

// Rows per HDF5 chunk. A chunk of `chunks` rows is ~90 KB, about one second of records of a
// fast run; the small tables get smaller chunks. Deflate (h5.hpp) shrinks the mostly empty
// last chunk of a short run to a few hundred bytes.
constexpr hsize_t kChunkTableRows = 1024;
constexpr hsize_t kSmallTableRows = 256;
constexpr hsize_t kIndexTableRows = 1024;

// Below this many chunks, chunk means say little about the spread of single items and the
// sampled items' own CV is used instead.
constexpr std::int64_t kMinChunksForCv = 8;
// The one-sided 95% point of the normal distribution: p95 ~ mean + 1.645 sigma when no item
// was sampled.
constexpr double kNormalP95 = 1.6448536269514722;

static_assert(sizeof(int) == 4, "ChunkRecord::node and ::rank are stored as int32");

// --- rows as HDF5 sees them -------------------------------------------------------------------
// ChunkRecord and SampleRecord are written as they are; the other tables need a row with C
// strings (variable-length strings in the file).

struct NodeRow {
  std::int32_t node;
  const char* name;
  std::int32_t cores;
  std::int32_t pus;
  std::int32_t numa_domains;
  std::uint64_t memory_total_bytes;
  std::uint64_t memory_available_bytes;
  double speed;
  const char* binding;  // schema 2
};

struct FailureRow {
  std::int64_t item;
  const char* message;
};

struct PressureRow {
  double seconds;
  std::int32_t node;
  std::int8_t pressured;
};

// Schema 2: one row per task (TaskRecord).
struct TaskRow {
  std::int64_t item;
  const char* line;
  double seconds;
  double predicted;
  std::int32_t status;
  double max_rss_bytes;
  double file_bytes;
};
constexpr const char* kTaskColumns[] = {"item",   "line",          "seconds",   "predicted",
                                        "status", "max_rss_bytes", "file_bytes"};

// Per node, the time between each "pressured" row and the node's next "clear" row; an episode
// still open when the log ends counts to the run's end.
std::vector<double> pressure_seconds(const std::vector<PressureRow>& changes, std::size_t nodes,
                                     double end_seconds) {
  std::vector<double> total(nodes, 0.0);
  std::vector<double> since(nodes, -1.0);
  for (const auto& p : changes) {
    if (p.node < 0) continue;
    const auto n = std::size_t(p.node);
    if (n >= total.size()) {
      total.resize(n + 1, 0.0);
      since.resize(n + 1, -1.0);
    }
    if (p.pressured && since[n] < 0) {
      since[n] = p.seconds;
    } else if (!p.pressured && since[n] >= 0) {
      total[n] += p.seconds - since[n];
      since[n] = -1.0;
    }
  }
  for (std::size_t n = 0; n < total.size(); ++n)
    if (since[n] >= 0) total[n] += std::max(0.0, end_seconds - since[n]);
  return total;
}

struct IndexRow {
  std::int64_t run_id;
  const char* workload_key;
  const char* status;
  double start_unix_seconds;
  double end_unix_seconds;
  std::int64_t items;
  std::int64_t chunks;
  std::int64_t failed;
  std::int32_t workers;
  std::int32_t cores;
  double makespan_seconds;
  double predicted_makespan_seconds;
  double efficiency;
  double compute_seconds;
  double item_seconds_mean;
  double item_seconds_cv;
  double item_seconds_p95;
  double item_seconds_max;
  double bytes_in;
  double bytes_out;
  double mem_per_item_bytes;
  double threads_per_item;
  std::int8_t from_history;
};

/// The row types of schema version 2 (memory layout and file layout of each table); version 1
/// differs only in the nodes table, which had no binding column (node_v1).
struct Schema {
  h5::Type text = h5::string_type();
  h5::Compound chunk, sample, node, node_v1, failure, pressure, task, index;

  Schema() {
    auto i64 = [](const char* n, std::size_t o) {
      return h5::Field{n, o, H5T_NATIVE_INT64, H5T_STD_I64LE};
    };
    auto i32 = [](const char* n, std::size_t o) {
      return h5::Field{n, o, H5T_NATIVE_INT32, H5T_STD_I32LE};
    };
    auto i8 = [](const char* n, std::size_t o) {
      return h5::Field{n, o, H5T_NATIVE_INT8, H5T_STD_I8LE};
    };
    auto u64 = [](const char* n, std::size_t o) {
      return h5::Field{n, o, H5T_NATIVE_UINT64, H5T_STD_U64LE};
    };
    auto f64 = [](const char* n, std::size_t o) {
      return h5::Field{n, o, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE};
    };
    const hid_t s = text.get();
    auto str = [s](const char* n, std::size_t o) { return h5::Field{n, o, s, s}; };

    using C = ChunkRecord;
    chunk = h5::compound(
        sizeof(C),
        {i64("seq", offsetof(C, seq)), i64("first", offsetof(C, first)),
         i64("count", offsetof(C, count)), i32("node", offsetof(C, node)),
         i32("rank", offsetof(C, rank)), f64("dispatch", offsetof(C, dispatch_seconds)),
         f64("start", offsetof(C, start_seconds)), f64("end", offsetof(C, end_seconds)),
         f64("receive", offsetof(C, receive_seconds)), f64("compute", offsetof(C, compute_seconds)),
         i64("bytes_in", offsetof(C, bytes_in)), i64("bytes_out", offsetof(C, bytes_out)),
         i64("failed", offsetof(C, failed))});
    using S = SampleRecord;
    sample = h5::compound(
        sizeof(S),
        {i64("item", offsetof(S, item)), i32("node", offsetof(S, node)),
         f64("seconds", offsetof(S, seconds)), f64("bytes_in", offsetof(S, bytes_in)),
         f64("bytes_out", offsetof(S, bytes_out)), f64("memory", offsetof(S, memory_bytes))});
    using N = NodeRow;
    node = h5::compound(sizeof(N),
                        {i32("node", offsetof(N, node)), str("name", offsetof(N, name)),
                         i32("cores", offsetof(N, cores)), i32("pus", offsetof(N, pus)),
                         i32("numa_domains", offsetof(N, numa_domains)),
                         u64("memory_total_bytes", offsetof(N, memory_total_bytes)),
                         u64("memory_available_bytes", offsetof(N, memory_available_bytes)),
                         f64("speed", offsetof(N, speed)), str("binding", offsetof(N, binding))});
    node_v1 =
        h5::compound(sizeof(N), {i32("node", offsetof(N, node)), str("name", offsetof(N, name)),
                                 i32("cores", offsetof(N, cores)), i32("pus", offsetof(N, pus)),
                                 i32("numa_domains", offsetof(N, numa_domains)),
                                 u64("memory_total_bytes", offsetof(N, memory_total_bytes)),
                                 u64("memory_available_bytes", offsetof(N, memory_available_bytes)),
                                 f64("speed", offsetof(N, speed))});
    failure = h5::compound(sizeof(FailureRow), {i64("item", offsetof(FailureRow, item)),
                                                str("message", offsetof(FailureRow, message))});
    using P = PressureRow;
    pressure = h5::compound(sizeof(P),
                            {f64("seconds", offsetof(P, seconds)), i32("node", offsetof(P, node)),
                             i8("pressured", offsetof(P, pressured))});
    using T = TaskRow;
    task = h5::compound(
        sizeof(T),
        {i64("item", offsetof(T, item)), str("line", offsetof(T, line)),
         f64("seconds", offsetof(T, seconds)), f64("predicted", offsetof(T, predicted)),
         i32("status", offsetof(T, status)), f64("max_rss_bytes", offsetof(T, max_rss_bytes)),
         f64("file_bytes", offsetof(T, file_bytes))});
    using I = IndexRow;
    index = h5::compound(
        sizeof(I), {i64("run_id", offsetof(I, run_id)),
                    str("workload_key", offsetof(I, workload_key)),
                    str("status", offsetof(I, status)),
                    f64("start_unix_seconds", offsetof(I, start_unix_seconds)),
                    f64("end_unix_seconds", offsetof(I, end_unix_seconds)),
                    i64("items", offsetof(I, items)),
                    i64("chunks", offsetof(I, chunks)),
                    i64("failed", offsetof(I, failed)),
                    i32("workers", offsetof(I, workers)),
                    i32("cores", offsetof(I, cores)),
                    f64("makespan_seconds", offsetof(I, makespan_seconds)),
                    f64("predicted_makespan_seconds", offsetof(I, predicted_makespan_seconds)),
                    f64("efficiency", offsetof(I, efficiency)),
                    f64("compute_seconds", offsetof(I, compute_seconds)),
                    f64("item_seconds_mean", offsetof(I, item_seconds_mean)),
                    f64("item_seconds_cv", offsetof(I, item_seconds_cv)),
                    f64("item_seconds_p95", offsetof(I, item_seconds_p95)),
                    f64("item_seconds_max", offsetof(I, item_seconds_max)),
                    f64("bytes_in", offsetof(I, bytes_in)),
                    f64("bytes_out", offsetof(I, bytes_out)),
                    f64("mem_per_item_bytes", offsetof(I, mem_per_item_bytes)),
                    f64("threads_per_item", offsetof(I, threads_per_item)),
                    i8("from_history", offsetof(I, from_history))});
  }
};

IndexRow to_index_row(const RunIndexRow& r) {
  return {r.run_id,
          r.workload_key.c_str(),
          r.status.c_str(),
          r.start_unix_seconds,
          r.end_unix_seconds,
          r.items,
          r.chunks,
          r.failed,
          r.workers,
          r.cores,
          r.makespan_seconds,
          r.predicted_makespan_seconds,
          r.efficiency,
          r.compute_seconds,
          r.item_seconds_mean,
          r.item_seconds_cv,
          r.item_seconds_p95,
          r.item_seconds_max,
          r.bytes_in,
          r.bytes_out,
          r.mem_per_item_bytes,
          r.threads_per_item,
          static_cast<std::int8_t>(r.from_history)};
}

RunIndexRow from_index_row(const IndexRow& i) {
  RunIndexRow r;
  r.run_id = i.run_id;
  r.workload_key = i.workload_key ? i.workload_key : "";
  r.status = i.status ? i.status : "";
  r.start_unix_seconds = i.start_unix_seconds;
  r.end_unix_seconds = i.end_unix_seconds;
  r.items = i.items;
  r.chunks = i.chunks;
  r.failed = i.failed;
  r.workers = i.workers;
  r.cores = i.cores;
  r.makespan_seconds = i.makespan_seconds;
  r.predicted_makespan_seconds = i.predicted_makespan_seconds;
  r.efficiency = i.efficiency;
  r.compute_seconds = i.compute_seconds;
  r.item_seconds_mean = i.item_seconds_mean;
  r.item_seconds_cv = i.item_seconds_cv;
  r.item_seconds_p95 = i.item_seconds_p95;
  r.item_seconds_max = i.item_seconds_max;
  r.bytes_in = i.bytes_in;
  r.bytes_out = i.bytes_out;
  r.mem_per_item_bytes = i.mem_per_item_bytes;
  r.threads_per_item = i.threads_per_item;
  r.from_history = i.from_history != 0;
  return r;
}

/// Calls f(name, field) for every RunIndexRow field: the run group's summary attributes.
template <class Row, class F>
void for_each_field(Row& r, F&& f) {
  f("run_id", r.run_id);
  f("workload_key", r.workload_key);
  f("status", r.status);
  f("start_unix_seconds", r.start_unix_seconds);
  f("end_unix_seconds", r.end_unix_seconds);
  f("items", r.items);
  f("chunks", r.chunks);
  f("failed", r.failed);
  f("workers", r.workers);
  f("cores", r.cores);
  f("makespan_seconds", r.makespan_seconds);
  f("predicted_makespan_seconds", r.predicted_makespan_seconds);
  f("efficiency", r.efficiency);
  f("compute_seconds", r.compute_seconds);
  f("item_seconds_mean", r.item_seconds_mean);
  f("item_seconds_cv", r.item_seconds_cv);
  f("item_seconds_p95", r.item_seconds_p95);
  f("item_seconds_max", r.item_seconds_max);
  f("bytes_in", r.bytes_in);
  f("bytes_out", r.bytes_out);
  f("mem_per_item_bytes", r.mem_per_item_bytes);
  f("threads_per_item", r.threads_per_item);
  f("from_history", r.from_history);
}

void write_summary_attributes(hid_t group, const RunIndexRow& row) {
  for_each_field(row, [group](const char* name, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>)
      h5::write_attribute(group, name, static_cast<std::int8_t>(value));
    else if constexpr (std::is_same_v<T, int>)
      h5::write_attribute(group, name, static_cast<std::int32_t>(value));
    else
      h5::write_attribute(group, name, value);  // int64, double, string
  });
}

/// The summary of a run from its group's attributes; absent ones keep RunIndexRow's defaults
/// (a run that was not finished has only run_id, workload_key, status and start_unix_seconds).
RunIndexRow read_summary_attributes(hid_t group) {
  RunIndexRow row;
  for_each_field(row, [group](const char* name, auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = h5::read_string_attribute(group, name)) value = *v;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = h5::read_attribute<std::int8_t>(group, name)) value = *v != 0;
    } else if constexpr (std::is_same_v<T, int>) {
      if (auto v = h5::read_attribute<std::int32_t>(group, name)) value = *v;
    } else {
      if (auto v = h5::read_attribute<T>(group, name)) value = *v;
    }
  });
  return row;
}

// --- small helpers ----------------------------------------------------------------------------

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// "2024-05-01T12:34:56Z"
std::string iso8601(double unix_seconds) {
  const auto t = static_cast<std::time_t>(std::floor(unix_seconds));
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

/// Run groups are named by their id, zero-padded to six digits so they sort in order.
std::string run_name(std::int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(id));
  return buf;
}

/// The ids of the run groups in /runs, ascending (other names are ignored).
std::vector<std::int64_t> run_ids(hid_t runs) {
  std::vector<std::int64_t> ids;
  for (const std::string& name : h5::member_names(runs)) {
    if (name.empty() || name.size() > 18 ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    ids.push_back(std::stoll(name));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string errno_text(int error_number) {
  return std::strerror(error_number);
}

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// --- opening a log ----------------------------------------------------------------------------

/// Why H5Fopen failed, in words a user can act on.
std::string open_failure(const std::string& path, const std::string& reason) {
  if (contains(reason, "unable to lock file"))
    return "log " + path +
           " is open for writing by another process (HDF5 file lock; one writer per log: give "
           "concurrent jobs their own logs)";
  if (contains(reason, "truncated file"))
    return "log " + path +
           " is damaged: it is shorter than its HDF5 header says (a run killed while writing, "
           "a full disk or an incomplete copy can do this): " +
           reason;
  return "cannot open log " + path +
         " (the file may be damaged, e.g. by a run killed while writing): " + reason;
}

// The memory type to read a nodes table with: schema 2's, or schema 1's (no binding column).
hid_t node_type(hid_t dataset, const Schema& schema) {
  h5::Type file_type(H5Dget_type(dataset), "H5Dget_type", "nodes");
  return H5Tget_member_index(file_type.get(), "binding") >= 0 ? schema.node.memory.get()
                                                              : schema.node_v1.memory.get();
}

/// Throws invalid_argument unless the root group says schema "amorsize-log", a version this
/// amorsize reads (kOldestLogSchemaVersion to kLogSchemaVersion); returns the version.
std::int64_t check_schema(hid_t file, const std::string& path) {
  try {
    h5::Group root = h5::open_group(file, "/");
    const auto schema = h5::read_string_attribute(root.get(), "schema");
    if (!schema)
      throw invalid_argument("log " + path +
                             " is an HDF5 file but not an amorsize log (no \"schema\" attribute "
                             "on its root group)");
    if (*schema != kSchemaName)
      throw invalid_argument("log " + path + " holds schema \"" + *schema +
                             "\", not an amorsize log (\"" + kSchemaName + "\")");
    const auto version = h5::read_attribute<std::int64_t>(root.get(), "schema_version");
    if (!version)
      throw invalid_argument("log " + path + " has no schema_version attribute on its root group");
    if (*version < kOldestLogSchemaVersion || *version > kLogSchemaVersion)
      throw invalid_argument("log " + path + " has amorsize-log schema version " +
                             std::to_string(*version) + "; this amorsize reads versions " +
                             std::to_string(kOldestLogSchemaVersion) + " to " +
                             std::to_string(kLogSchemaVersion) +
                             (*version > kLogSchemaVersion ? " (a newer amorsize wrote it)" : ""));
    return *version;
  } catch (const invalid_argument&) {
    throw;
  } catch (const error& e) {
    throw invalid_argument("log " + path + ": cannot read its schema attributes: " + e.what());
  }
}

/// Throws invalid_argument unless `path` names an existing HDF5 file.
void require_hdf5(const std::string& path) {
  const htri_t hdf5 = h5::is_hdf5(path);
  if (hdf5 == 0)
    throw invalid_argument("log " + path + " is not an HDF5 file (expected an amorsize log)");
  if (hdf5 < 0) throw invalid_argument("cannot read log " + path + ": " + h5::error_stack());
}

/// Opens a log to read. Readers do not take HDF5's file lock, so a log can be inspected while
/// a run writes it (what they see is the state of the writer's last flush).
h5::File open_for_reading(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw invalid_argument(errno == ENOENT ? "log " + path + " does not exist"
                                           : "cannot read log " + path + ": " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw invalid_argument("log " + path + " is a directory, not a file");
  require_hdf5(path);
  h5::File file;
  try {
    file = h5::open_file(path, /*write=*/false, /*lock=*/false);
  } catch (const error& e) {
    const std::string reason = e.what();
    if (!contains(reason, "file locking flag values don't match"))
      throw invalid_argument(open_failure(path, reason));
    // This process already has the file open, with the writer's locking setting: share it.
    try {
      file = h5::open_file(path, /*write=*/false, /*lock=*/true);
    } catch (const error& again) {
      throw invalid_argument(open_failure(path, again.what()));
    }
  }
  check_schema(file.get(), path);
  return file;
}

/// Adds the root attributes, /runs and /index to a new file.
void lay_out(hid_t file, const Schema& schema) {
  h5::Group root = h5::open_group(file, "/");
  if (!h5::attribute_exists(root.get(), "schema"))
    h5::write_attribute(root.get(), "schema", std::string(kSchemaName));
  if (!h5::attribute_exists(root.get(), "schema_version"))
    h5::write_attribute(root.get(), "schema_version", std::int32_t{kLogSchemaVersion});
  if (!h5::link_exists(file, kRuns)) h5::create_group(file, kRuns);
  if (!h5::link_exists(file, kIndex))
    h5::create_table(file, kIndex, schema.index.file.get(), kIndexTableRows);
}

/// Opens (or creates) a log to write a new run. The writer holds HDF5's file lock, so a second
/// writer fails here, before any work, instead of corrupting the file.
h5::File open_for_writing(const std::string& path) {
  struct stat st {};
  bool create = false;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw invalid_argument("log " + path + " is a directory, not a file");
    if (::access(path.c_str(), R_OK | W_OK) != 0)
      throw invalid_argument("cannot write log " + path + ": " + errno_text(errno));
    create = st.st_size == 0;  // an empty file (from mktemp, touch) becomes a new log
  } else if (errno == ENOENT) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      throw invalid_argument("cannot create log " + path + ": directory " + dir + ": " +
                             errno_text(errno));
    create = true;
  } else {
    throw invalid_argument("cannot write log " + path + ": " + errno_text(errno));
  }

  h5::File file;
  if (create) {
    try {
      file = h5::create_file(path, H5F_ACC_TRUNC, /*lock=*/true);
    } catch (const error& e) {
      throw invalid_argument("cannot create log " + path + ": " + e.what());
    }
  } else {
    require_hdf5(path);
    try {
      file = h5::open_file(path, /*write=*/true, /*lock=*/true);
    } catch (const error& e) {
      throw invalid_argument(open_failure(path, e.what()));
    }
    // A version-1 log takes version-2 runs: its root says 2 from now on, and its old runs
    // are still read as version 1 (their nodes tables have no binding column).
    if (check_schema(file.get(), path) < kLogSchemaVersion) {
      h5::Group root = h5::open_group(file.get(), "/");
      h5::write_attribute(root.get(), "schema_version", std::int32_t{kLogSchemaVersion});
    }
  }
  return file;
}

/// Runs a reader; an HDF5 failure after the file opened means the file is damaged (so does a
/// table whose damaged size does not fit in memory).
template <class F>
auto reading(const std::string& path, F&& f) -> decltype(f()) {
  const std::string prefix = "cannot read log " + path + " (the file may be damaged): ";
  try {
    return f();
  } catch (const invalid_argument&) {
    throw;
  } catch (const error& e) {
    throw invalid_argument(prefix + e.what());
  } catch (const std::bad_alloc&) {
    throw invalid_argument(prefix + "a table claims more rows than fit in memory");
  } catch (const std::length_error&) {
    throw invalid_argument(prefix + "a table claims more rows than fit in memory");
  }
}

/// A run's features from their JSON (anything else: none).
std::map<std::string, double> parse_features(const std::string& json) {
  std::map<std::string, double> out;
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [name, value] : j.items())
    if (value.is_number()) out[name] = value.get<double>();
  return out;
}

/// A run's tasks table. A table missing a column, or holding a time that is negative or not
/// finite, is refused: the model would learn from it.
void check_task_time(const std::string& path, std::int64_t task, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    throw invalid_argument("log " + path + ": its tasks table is damaged (task " +
                           std::to_string(task) + " has a time of " + std::to_string(seconds) +
                           " s)");
}

void read_tasks_columns_check(hid_t dataset, const std::string& path) {
  h5::Type file_type(H5Dget_type(dataset), "H5Dget_type", "tasks");
  for (const char* column : kTaskColumns)
    if (H5Tget_class(file_type.get()) != H5T_COMPOUND ||
        H5Tget_member_index(file_type.get(), column) < 0)
      throw invalid_argument("log " + path + ": its tasks table has no \"" + column +
                             "\" column (damaged, or not written by amorsize)");
}

std::vector<TaskRecord> read_tasks(hid_t dataset, const std::string& path) {
  const Schema schema;
  read_tasks_columns_check(dataset, path);
  h5::Rows<TaskRow> rows(dataset, "tasks", schema.task.memory.get());
  std::vector<TaskRecord> out;
  out.reserve(rows.get().size());
  for (const TaskRow& r : rows.get()) {
    check_task_time(path, r.item, r.seconds);
    check_task_time(path, r.item, r.predicted);
    out.push_back({r.item, r.line ? r.line : "", r.seconds, r.predicted, r.status, r.max_rss_bytes,
                   r.file_bytes});
  }
  return out;
}

/// A run's summary from its group. Runs without a summary (never finished: killed) get their
/// chunk count from the size of their chunks table.
RunIndexRow read_run_summary(hid_t group, std::int64_t id) {
  RunIndexRow row = read_summary_attributes(group);
  row.run_id = id;
  if (!h5::attribute_exists(group, "chunks") && h5::link_exists(group, "chunks")) {
    h5::Dataset chunks = h5::open_table(group, "chunks");
    row.chunks = static_cast<std::int64_t>(h5::table_rows(chunks.get(), "chunks"));
  }
  return row;
}

// --- item statistics --------------------------------------------------------------------------

/// Running figures over the chunks of a run (memory stays O(1) however long the run).
struct ChunkStats {
  std::int64_t chunks = 0;
  std::int64_t items = 0;
  std::int64_t failed = 0;
  double compute = 0;
  double bytes_in = 0;
  double bytes_out = 0;
  double last_receive = 0;
  double max_mean = 0;
  // Per-chunk mean item time m_i = compute_i / count_i, weighted by count_i (West's weighted
  // form of Welford's update): weight = sum of counts, m2 = sum count_i (m_i - mean)^2.
  std::int64_t timed = 0;
  double weight = 0;
  double mean = 0;
  double m2 = 0;

  void add(const ChunkRecord& c) {
    ++chunks;
    items += c.count;
    failed += c.failed;
    compute += c.compute_seconds;
    bytes_in += static_cast<double>(c.bytes_in);
    bytes_out += static_cast<double>(c.bytes_out);
    last_receive = std::max(last_receive, c.receive_seconds);
    if (c.count <= 0) return;
    const double w = static_cast<double>(c.count);
    const double m = c.compute_seconds / w;
    ++timed;
    weight += w;
    const double delta = m - mean;
    mean += delta * w / weight;
    m2 += w * delta * (m - mean);
    max_mean = std::max(max_mean, m);
  }
};

constexpr std::size_t kMinSamplesForP95 = 20;

struct ItemStats {
  double mean = 0, cv = 0, p95 = 0, max = 0, bytes_in = 0, bytes_out = 0, memory = 0;
};

/// Per-item statistics of a run (see TimingLog::finish).
/// - mean: all measured item time over all items (chunks and samples).
/// - cv: a chunk of c items whose items vary with sigma has a mean that varies with
///   sigma / sqrt(c), so sigma^2 ~ sum c_i (m_i - mean)^2 / (k - 1) over k chunks; with fewer
///   than kMinChunksForCv chunks the sampled items' own CV is used when there are two or more.
/// - p95: of the sampled items when there are at least kMinSamplesForP95 of them (a handful of
///   first items says little about the tail); otherwise mean + 1.645 sigma, at most `max`.
/// - max: the longest sampled item or the largest chunk mean (a chunk's mean is at most its
///   longest item, so this is a lower bound of the longest item).
ItemStats item_stats(const ChunkStats& c, const std::vector<SampleRecord>& samples) {
  ItemStats s;
  double sample_sum = 0, sample_in = 0, sample_out = 0, sample_max = 0;
  for (const auto& x : samples) {
    sample_sum += x.seconds;
    sample_in += x.bytes_in;
    sample_out += x.bytes_out;
    sample_max = std::max(sample_max, x.seconds);
    s.memory = std::max(s.memory, x.memory_bytes);
  }
  const double n = static_cast<double>(c.items) + static_cast<double>(samples.size());
  if (n <= 0) return s;
  s.mean = (c.compute + sample_sum) / n;
  s.bytes_in = (c.bytes_in + sample_in) / n;
  s.bytes_out = (c.bytes_out + sample_out) / n;

  const double chunk_sigma = c.timed >= 2 ? std::sqrt(c.m2 / double(c.timed - 1)) : 0;
  const double chunk_cv = c.mean > 0 ? chunk_sigma / c.mean : 0;
  double sample_cv = 0;
  if (samples.size() >= 2) {
    const double m = sample_sum / double(samples.size());
    double ss = 0;
    for (const auto& x : samples) ss += (x.seconds - m) * (x.seconds - m);
    sample_cv = m > 0 ? std::sqrt(ss / double(samples.size() - 1)) / m : 0;
  }
  if (c.timed >= kMinChunksForCv || samples.size() < 2)
    s.cv = chunk_cv;
  else
    s.cv = sample_cv;

  s.max = std::max(sample_max, c.max_mean);
  if (samples.size() >= kMinSamplesForP95) {
    std::vector<double> t;
    t.reserve(samples.size());
    for (const auto& x : samples) t.push_back(x.seconds);
    std::sort(t.begin(), t.end());
    // Nearest rank: the smallest value with at least 95% of the values at or below it.
    const auto rank = static_cast<std::size_t>(std::ceil(0.95 * double(t.size())));
    s.p95 = t[std::max<std::size_t>(rank, 1) - 1];
  } else {
    s.p95 = std::min(s.max, s.mean + kNormalP95 * s.cv * s.mean);
  }
  return s;
}

/// One table of the run group, with the count of rows written so far (one writer: the count
/// is kept here, not asked of the file).
struct Table {
  explicit Table(const char* table_name) : name(table_name) {}

  const char* name;
  h5::Dataset dataset;
  hsize_t rows = 0;

  template <class Row>
  void append(hid_t type, const std::vector<Row>& data) {
    h5::append_rows(dataset.get(), name, type, rows, data.size(), data.data());
    rows += data.size();
  }
};

void default_warn(const std::string& message) {
  std::cerr << "amorsize: " << message << '\n';
}

}  // namespace

// --- TimingLog --------------------------------------------------------------------------------

struct TimingLog::Impl {
  std::string path;
  std::string command_line;
  LogOptions options;
  RunIndexRow row;  // run_id, workload_key, status, start, from_history; the rest at finish
  bool healthy = true;
  bool finished = false;

  Schema schema;
  h5::File file;
  h5::Group run;
  Table chunks{"chunks"}, samples{"samples"}, nodes{"nodes"}, failures{"failures"},
      pressure{"pressure"}, tasks{"tasks"};

  // Rows and attributes waiting for the next write.
  std::vector<ChunkRecord> chunk_rows;
  std::vector<SampleRecord> sample_rows;
  std::vector<std::pair<int, NodeTopology>> node_rows;
  std::vector<NodeTopology> logged_nodes;    // as on_nodes had them: finish adds measured speeds
  std::vector<std::string> logged_bindings;  // per node, from the plan
  std::vector<PressureRow> pressure_rows;
  std::vector<TaskRecord> task_rows;
  std::int64_t tasks_kept = 0, tasks_dropped = 0;
  std::optional<std::string> plan_json, nodes_json;
  std::chrono::steady_clock::time_point last_write;

  // What the summary needs.
  ChunkStats stats;
  std::vector<SampleRecord> all_samples;
  int plan_workers = 0;
  double plan_predicted_seconds = 0;

  Impl(const std::string& log_path, std::string workload_key, std::string command,
       LogOptions log_options)
      : path(log_path), command_line(std::move(command)), options(std::move(log_options)) {
    if (!options.warn) options.warn = default_warn;
    row.workload_key = std::move(workload_key);
    row.status = "running";
    h5::Quiet quiet;
    file = open_for_writing(path);
    try {
      start_run();
    } catch (const error& e) {
      discard();
      throw invalid_argument("log " + path + ": cannot start a run: " + e.what());
    }
  }

  void start_run() {
    lay_out(file.get(), schema);
    h5::Group runs = h5::open_group(file.get(), kRuns);
    const auto ids = run_ids(runs.get());
    row.run_id = ids.empty() ? 1 : ids.back() + 1;
    row.start_unix_seconds = unix_now();
    run = h5::create_group(runs.get(), run_name(row.run_id).c_str());
    const hid_t g = run.get();
    h5::write_attribute(g, "run_id", row.run_id);
    h5::write_attribute(g, "workload_key", row.workload_key);
    h5::write_attribute(g, "command_line", command_line);
    h5::write_attribute(g, "amorsize_version", std::string(AMORSIZE_VERSION));
    h5::write_attribute(g, "start_time", iso8601(row.start_unix_seconds));
    h5::write_attribute(g, "end_time", std::string());
    h5::write_attribute(g, "start_unix_seconds", row.start_unix_seconds);
    h5::write_attribute(g, "status", row.status);
    h5::write_attribute(g, "plan_json", std::string());
    h5::write_attribute(g, "nodes_json", std::string("[]"));
    chunks.dataset = h5::create_table(g, chunks.name, schema.chunk.file.get(), kChunkTableRows);
    samples.dataset = h5::create_table(g, samples.name, schema.sample.file.get(), kSmallTableRows);
    nodes.dataset = h5::create_table(g, nodes.name, schema.node.file.get(), kSmallTableRows);
    failures.dataset =
        h5::create_table(g, failures.name, schema.failure.file.get(), kSmallTableRows);
    pressure.dataset =
        h5::create_table(g, pressure.name, schema.pressure.file.get(), kSmallTableRows);
    tasks.dataset = h5::create_table(g, tasks.name, schema.task.file.get(), kChunkTableRows);
    h5::flush(file.get());
    last_write = std::chrono::steady_clock::now();
  }

  /// Runs f unless logging stopped; turns any failure into the one warning.
  template <class F>
  void guarded(F&& f) {
    if (!healthy || finished) return;
    h5::Quiet quiet;
    try {
      f();
    } catch (const std::exception& e) {
      fail(e.what());
    } catch (...) {
      fail("unknown error");
    }
  }

  void fail(const std::string& what) {
    healthy = false;
    chunk_rows = {};
    sample_rows = {};
    node_rows = {};
    pressure_rows = {};
    task_rows = {};
    try {
      options.warn("log " + path + " (run " + std::to_string(row.run_id) + "): " + what +
                   " (the run goes on without logging)");
    } catch (...) {
      // A warning that cannot be delivered must not stop the run either.
    }
    discard();
  }

  void close() {
    for (Table* t : {&chunks, &samples, &nodes, &failures, &pressure, &tasks}) t->dataset.reset();
    run.reset();
    file.reset();
  }

  /// After a failed write: closes the file without writing to it again (see h5::divert).
  void discard() {
    if (file.valid()) h5::divert(file.get());
    close();
  }

  std::size_t buffered() const {
    return chunk_rows.size() + sample_rows.size() + pressure_rows.size() + task_rows.size();
  }

  void maybe_write() {
    if (buffered() >= options.flush_rows ||
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_write).count() >=
            options.flush_seconds)
      write_and_flush();
  }

  /// Appends the buffered rows and writes the pending attributes (no flush).
  void write_rows() {
    chunks.append(schema.chunk.memory.get(), chunk_rows);
    chunk_rows.clear();
    samples.append(schema.sample.memory.get(), sample_rows);
    sample_rows.clear();
    if (!node_rows.empty()) {
      std::vector<NodeRow> rows;
      for (const auto& [index, n] : node_rows) rows.push_back(node_row(index, n));
      nodes.append(schema.node.memory.get(), rows);
      node_rows.clear();
    }
    pressure.append(schema.pressure.memory.get(), pressure_rows);
    pressure_rows.clear();
    if (!task_rows.empty()) {
      std::vector<TaskRow> rows;
      rows.reserve(task_rows.size());
      for (const auto& t : task_rows)
        rows.push_back({t.item, t.line.c_str(), t.seconds, t.predicted_seconds, t.status,
                        t.max_rss_bytes, t.file_bytes});
      tasks.append(schema.task.memory.get(), rows);
      task_rows.clear();
    }
    if (plan_json) h5::write_attribute(run.get(), "plan_json", *plan_json);
    plan_json.reset();
    if (nodes_json) h5::write_attribute(run.get(), "nodes_json", *nodes_json);
    nodes_json.reset();
  }

  /// The only place metadata reaches the file: HDF5 keeps it in its cache until H5Fflush, so
  /// a kill between flushes leaves the file as of the last flush.
  void write_and_flush() {
    write_rows();
    h5::flush(file.get());
    last_write = std::chrono::steady_clock::now();
  }

  RunIndexRow summarize(const RunReport* report, const std::string& status) const {
    RunIndexRow r = row;
    r.status = status;
    r.end_unix_seconds = unix_now();
    double sample_seconds = 0;
    for (const auto& s : all_samples) sample_seconds += s.seconds;
    r.items = stats.items + static_cast<std::int64_t>(all_samples.size());
    r.chunks = stats.chunks;
    r.failed = stats.failed;
    r.workers = plan_workers;
    r.makespan_seconds = stats.last_receive;
    r.predicted_makespan_seconds = plan_predicted_seconds;
    r.compute_seconds = stats.compute + sample_seconds;
    if (report) {
      r.items = report->items;
      r.chunks = report->chunks;
      r.failed = std::max(static_cast<std::int64_t>(report->failures.size()), stats.failed);
      if (report->plan.workers > 0) r.workers = report->plan.workers;
      r.cores = report->cores;
      r.makespan_seconds = report->makespan_seconds;
      if (report->plan.predicted_makespan_seconds)
        r.predicted_makespan_seconds = *report->plan.predicted_makespan_seconds;
      r.efficiency = report->efficiency;
      r.compute_seconds = report->compute_seconds;
    }
    const ItemStats s = item_stats(stats, all_samples);
    r.item_seconds_mean = s.mean;
    r.item_seconds_cv = s.cv;
    r.item_seconds_p95 = s.p95;
    r.item_seconds_max = s.max;
    r.bytes_in = s.bytes_in;
    r.bytes_out = s.bytes_out;
    r.mem_per_item_bytes = s.memory;
    r.threads_per_item = 1;  // the recorder does not see nested threads
    return r;
  }

  NodeRow node_row(int index, const NodeTopology& n) const {
    const std::size_t i = std::size_t(index);
    return {index,
            n.name.c_str(),
            n.cores,
            n.pus,
            n.numa_domains,
            n.memory_total_bytes,
            n.memory_available_bytes,
            n.speed,
            i < logged_bindings.size() ? logged_bindings[i].c_str() : ""};
  }

  // The nodes' rows again, once the plan has bound workers or the run has measured speeds.
  void rewrite_nodes() {
    write_rows();  // the nodes' first rows, if still buffered
    if (logged_nodes.empty() || nodes.rows != logged_nodes.size()) return;
    std::vector<NodeRow> rows;
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < logged_nodes.size(); ++i) {
      rows.push_back(node_row(int(i), logged_nodes[i]));
      all.push_back(nlohmann::ordered_json::parse(to_json(logged_nodes[i])));
    }
    h5::append_rows(nodes.dataset.get(), nodes.name, schema.node.memory.get(), 0, rows.size(),
                    rows.data());
    nodes_json = all.dump();
  }

  // The nodes' measured speeds replace the ones they started with, in the table and the JSON.
  void write_speeds(const std::vector<double>& speeds) {
    if (speeds.size() != logged_nodes.size() || logged_nodes.empty()) return;
    for (std::size_t i = 0; i < logged_nodes.size(); ++i) logged_nodes[i].speed = speeds[i];
    rewrite_nodes();
  }

  void finish(const RunReport* report, const std::string& status) {
    if (finished) return;
    guarded([&] {
      if (report) write_speeds(report->node_speeds);
      if (report && !report->failures.empty()) {
        std::vector<FailureRow> rows;
        rows.reserve(report->failures.size());
        for (const auto& f : report->failures) rows.push_back({f.index, f.message.c_str()});
        failures.append(schema.failure.memory.get(), rows);
      }
      write_rows();
      if (tasks_dropped > 0) h5::write_attribute(run.get(), "tasks_dropped", tasks_dropped);
      const RunIndexRow summary = summarize(report, status);
      h5::write_attribute(run.get(), "end_time", iso8601(summary.end_unix_seconds));
      write_summary_attributes(run.get(), summary);
      h5::Dataset index = h5::open_table(file.get(), kIndex);
      const IndexRow index_row = to_index_row(summary);
      h5::append_rows(index.get(), kIndex, schema.index.memory.get(),
                      h5::table_rows(index.get(), kIndex), 1, &index_row);
      index.reset();
      h5::flush(file.get());
      row = summary;
    });
    finished = true;
    close();  // releases the file (and its lock) now, not when the TimingLog goes
  }
};

TimingLog::TimingLog(const std::string& path, std::string workload_key, std::string command_line,
                     LogOptions options)
    : impl_(std::make_unique<Impl>(path, std::move(workload_key), std::move(command_line),
                                   std::move(options))) {}

TimingLog::~TimingLog() {
  try {
    impl_->finish(nullptr, "interrupted");
  } catch (...) {
    // finish does not throw; a destructor must not either.
  }
}

std::int64_t TimingLog::run_id() const {
  return impl_->row.run_id;
}

void TimingLog::set_from_history(bool from_history) {
  impl_->row.from_history = from_history;
}

void TimingLog::set_task_command(const std::string& command) {
  impl_->guarded([&] {
    h5::write_attribute(impl_->run.get(), "task_command", command);
    impl_->write_and_flush();
  });
}

void TimingLog::on_nodes(const std::vector<NodeTopology>& nodes) {
  impl_->guarded([&] {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    impl_->logged_nodes = nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      impl_->node_rows.emplace_back(static_cast<int>(i), nodes[i]);
      all.push_back(nlohmann::ordered_json::parse(to_json(nodes[i])));
    }
    impl_->nodes_json = all.dump();
    impl_->write_and_flush();
  });
}

void TimingLog::on_plan(const Plan& plan) {
  impl_->guarded([&] {
    impl_->plan_json = to_json(plan, -1);
    std::vector<std::string> bindings;
    for (const auto& n : plan.nodes) bindings.push_back(n.binding);
    if (bindings != impl_->logged_bindings && bindings.size() == impl_->logged_nodes.size()) {
      impl_->logged_bindings = std::move(bindings);
      impl_->rewrite_nodes();
    }
    impl_->plan_workers = plan.workers;
    impl_->plan_predicted_seconds = plan.predicted_makespan_seconds.value_or(0);
    impl_->write_and_flush();
  });
}

void TimingLog::on_sample(const SampleRecord& sample) {
  impl_->guarded([&] {
    impl_->sample_rows.push_back(sample);
    impl_->all_samples.push_back(sample);
    impl_->maybe_write();
  });
}

void TimingLog::on_chunk(const ChunkRecord& chunk) {
  impl_->guarded([&] {
    impl_->chunk_rows.push_back(chunk);
    impl_->stats.add(chunk);
    impl_->maybe_write();
  });
}

void TimingLog::on_pressure(int node, double seconds, bool pressured) {
  impl_->guarded([&] {
    impl_->pressure_rows.push_back({seconds, node, static_cast<std::int8_t>(pressured)});
    impl_->maybe_write();
  });
}

void TimingLog::on_task(const TaskRecord& task) {
  impl_->guarded([&] {
    if (impl_->tasks_kept >= impl_->options.max_tasks) {
      ++impl_->tasks_dropped;
      return;
    }
    ++impl_->tasks_kept;
    impl_->task_rows.push_back(task);
    impl_->maybe_write();
  });
}

void TimingLog::on_features(const std::map<std::string, double>& features) {
  impl_->guarded([&] {
    h5::write_attribute(impl_->run.get(), "features_json", nlohmann::json(features).dump());
    impl_->write_and_flush();
  });
}

void TimingLog::flush() {
  impl_->guarded([&] { impl_->write_and_flush(); });
}

void TimingLog::finish(const RunReport& report, const std::string& status) {
  impl_->finish(&report, status);
}

bool TimingLog::healthy() const {
  return impl_->healthy;
}

// --- readers ----------------------------------------------------------------------------------

std::vector<RunIndexRow> list_runs(const std::string& path, bool with_unfinished) {
  h5::Quiet quiet;
  h5::File file = open_for_reading(path);
  return reading(path, [&] {
    std::map<std::int64_t, RunIndexRow> rows;
    if (h5::link_exists(file.get(), kIndex)) {
      Schema schema;
      h5::Dataset index = h5::open_table(file.get(), kIndex);
      h5::Rows<IndexRow> read(index.get(), kIndex, schema.index.memory.get());
      for (const IndexRow& r : read.get()) rows[r.run_id] = from_index_row(r);
    }
    if (with_unfinished && h5::link_exists(file.get(), kRuns)) {
      h5::Group runs = h5::open_group(file.get(), kRuns);
      for (const std::int64_t id : run_ids(runs.get())) {
        if (rows.count(id)) continue;
        h5::Group group = h5::open_group(runs.get(), run_name(id).c_str());
        rows[id] = read_run_summary(group.get(), id);
      }
    }
    std::vector<RunIndexRow> out;
    out.reserve(rows.size());
    for (auto& entry : rows) out.push_back(std::move(entry.second));
    return out;
  });
}

std::map<std::int64_t, std::map<std::string, double>> read_features(const std::string& path) {
  h5::Quiet quiet;
  h5::File file = open_for_reading(path);
  return reading(path, [&] {
    std::map<std::int64_t, std::map<std::string, double>> out;
    if (!h5::link_exists(file.get(), kRuns)) return out;
    h5::Group runs = h5::open_group(file.get(), kRuns);
    for (const std::int64_t id : run_ids(runs.get())) {
      h5::Group group = h5::open_group(runs.get(), run_name(id).c_str());
      auto f = parse_features(h5::read_string_attribute(group.get(), "features_json").value_or(""));
      if (!f.empty()) out[id] = std::move(f);
    }
    return out;
  });
}

std::vector<std::pair<std::int64_t, double>> read_item_seconds(const std::string& path,
                                                               std::int64_t run_id) {
  struct Time {
    std::int64_t item;
    double seconds;
    std::int32_t status;
  };
  h5::Quiet quiet;
  h5::File file = open_for_reading(path);
  return reading(path, [&] {
    std::vector<std::pair<std::int64_t, double>> out;
    const std::string name = std::string(kRuns) + "/" + run_name(run_id) + "/tasks";
    if (!h5::link_exists(file.get(), kRuns) ||
        !h5::link_exists(file.get(), (std::string(kRuns) + "/" + run_name(run_id)).c_str()) ||
        !h5::link_exists(file.get(), name.c_str()))
      return out;
    h5::Dataset d = h5::open_table(file.get(), name.c_str());
    read_tasks_columns_check(d.get(), path);
    const h5::Compound type = h5::compound(
        sizeof(Time),
        {h5::Field{"item", offsetof(Time, item), H5T_NATIVE_INT64, H5T_STD_I64LE},
         h5::Field{"seconds", offsetof(Time, seconds), H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE},
         h5::Field{"status", offsetof(Time, status), H5T_NATIVE_INT32, H5T_STD_I32LE}});
    h5::Rows<Time> rows(d.get(), "tasks", type.memory.get());
    out.reserve(rows.get().size());
    for (const Time& t : rows.get()) {
      check_task_time(path, t.item, t.seconds);
      if (t.status == 0) out.emplace_back(t.item, t.seconds);
    }
    return out;
  });
}

LoggedRun read_run(const std::string& path, std::int64_t run_id, bool with_tasks) {
  h5::Quiet quiet;
  h5::File file = open_for_reading(path);
  return reading(path, [&] {
    h5::Group runs;
    const bool any = h5::link_exists(file.get(), kRuns);
    if (any) runs = h5::open_group(file.get(), kRuns);
    // Listing every run costs a few ms in a log of thousands: only when needed.
    if (!any || run_id < 0 || !h5::link_exists(runs.get(), run_name(run_id).c_str())) {
      const std::vector<std::int64_t> ids = any ? run_ids(runs.get()) : std::vector<std::int64_t>{};
      if (ids.empty()) throw invalid_argument("log " + path + " holds no runs");
      if (run_id < 0) run_id = ids.back();
      if (!std::binary_search(ids.begin(), ids.end(), run_id))
        throw invalid_argument("run " + std::to_string(run_id) + " not found in " + path +
                               " (runs " + std::to_string(ids.front()) + ".." +
                               std::to_string(ids.back()) + ")");
    }

    h5::Group group = h5::open_group(runs.get(), run_name(run_id).c_str());
    const hid_t g = group.get();
    LoggedRun out;
    out.summary = read_run_summary(g, run_id);
    auto text = [g](const char* name) { return h5::read_string_attribute(g, name).value_or(""); };
    out.command_line = text("command_line");
    out.amorsize_version = text("amorsize_version");
    out.start_time = text("start_time");
    out.end_time = text("end_time");
    out.plan_json = text("plan_json");
    out.task_command = text("task_command");
    out.features = parse_features(text("features_json"));

    Schema schema;
    auto table = [g](const char* name) {
      return h5::link_exists(g, name) ? h5::open_table(g, name) : h5::Dataset();
    };
    if (auto d = table("chunks"); d.valid())
      out.chunks = h5::Rows<ChunkRecord>(d.get(), "chunks", schema.chunk.memory.get()).get();
    if (auto d = table("samples"); d.valid())
      out.samples = h5::Rows<SampleRecord>(d.get(), "samples", schema.sample.memory.get()).get();
    if (auto d = table("failures"); d.valid()) {
      h5::Rows<FailureRow> rows(d.get(), "failures", schema.failure.memory.get());
      for (const auto& f : rows.get()) out.failures.push_back({f.item, f.message ? f.message : ""});
    }
    std::vector<PressureRow> changes;
    if (auto d = table("pressure"); d.valid()) {
      changes = h5::Rows<PressureRow>(d.get(), "pressure", schema.pressure.memory.get()).get();
      for (const auto& p : changes)
        if (p.pressured) out.pressure.emplace_back(p.seconds, p.node);
    }

    // nodes_json keeps every field of the topologies; the nodes table is its tabular subset.
    const std::string nodes_json = text("nodes_json");
    if (!nodes_json.empty()) {
      const auto all = nlohmann::json::parse(nodes_json, nullptr, /*allow_exceptions=*/false);
      if (all.is_array())
        for (const auto& n : all) out.nodes.push_back(node_topology_from_json(n.dump()));
    }
    if (out.nodes.empty()) {
      if (auto d = table("nodes"); d.valid()) {
        h5::Rows<NodeRow> rows(d.get(), "nodes", node_type(d.get(), schema));
        for (const auto& r : rows.get()) {
          NodeTopology n;
          n.name = r.name ? r.name : "";
          n.cores = r.cores;
          n.pus = r.pus;
          n.numa_domains = r.numa_domains;
          n.memory_total_bytes = r.memory_total_bytes;
          n.memory_available_bytes = r.memory_available_bytes;
          n.speed = r.speed;
          out.nodes.push_back(std::move(n));
        }
      }
    }
    // Schema 2: each node's binding, from its table.
    if (auto d = table("nodes");
        d.valid() && node_type(d.get(), schema) == schema.node.memory.get()) {
      h5::Rows<NodeRow> rows(d.get(), "nodes", schema.node.memory.get());
      for (const auto& r : rows.get()) {
        if (r.node < 0 || r.node > 1 << 20) continue;
        if (out.node_bindings.size() <= std::size_t(r.node))
          out.node_bindings.resize(std::size_t(r.node) + 1);
        out.node_bindings[std::size_t(r.node)] = r.binding ? r.binding : "";
      }
    }
    out.pressure_seconds =
        pressure_seconds(changes, out.nodes.size(), out.summary.makespan_seconds);
    if (auto d = table("tasks"); with_tasks && d.valid()) out.tasks = read_tasks(d.get(), path);
    out.tasks_dropped = h5::read_attribute<std::int64_t>(g, "tasks_dropped").value_or(0);
    return out;
  });
}

}  // namespace amorsize
