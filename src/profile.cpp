#include "amorsize/profile.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "amorsize/error.hpp"
#include "json_util.hpp"

namespace amorsize {
namespace {

void require(bool ok, const std::string& field, double value, const std::string& expected) {
  if (!ok) {
    std::ostringstream msg;
    msg << "invalid profile: " << field << " = " << value << " (expected " << expected << ")";
    throw invalid_argument(msg.str());
  }
}

// Quantile of a lognormal with the given mean and CV: item times are positive and
// right-skewed, and the lognormal is the usual two-parameter fit for them.
double lognormal_quantile(double mean, double cv, double z) {
  if (cv <= 0) return mean;
  const double sigma2 = std::log1p(cv * cv);
  const double mu = std::log(mean) - sigma2 / 2;
  return std::exp(mu + z * std::sqrt(sigma2));
}

// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  if (p < plow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - plow) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const std::set<std::string> kProfileKeys = {"item_seconds_mean",
                                            "item_seconds_cv",
                                            "item_seconds_p50",
                                            "item_seconds_p95",
                                            "item_seconds_max",
                                            "items",
                                            "bytes_in",
                                            "bytes_out",
                                            "serialize_seconds",
                                            "mem_per_item_bytes",
                                            "threads_per_item",
                                            "sample_count",
                                            "source"};

}  // namespace

void WorkloadProfile::validate_and_complete() {
  auto finite_nonneg = [](double v) { return std::isfinite(v) && v >= 0; };
  require(std::isfinite(item_seconds_mean) && item_seconds_mean > 0, "item_seconds_mean",
          item_seconds_mean, "a positive number of seconds");
  require(finite_nonneg(item_seconds_cv), "item_seconds_cv", item_seconds_cv,
          "a non-negative ratio");
  require(finite_nonneg(item_seconds_p50), "item_seconds_p50", item_seconds_p50, ">= 0");
  require(finite_nonneg(item_seconds_p95), "item_seconds_p95", item_seconds_p95, ">= 0");
  require(finite_nonneg(item_seconds_max), "item_seconds_max", item_seconds_max, ">= 0");
  if (items) require(*items >= 0, "items", double(*items), "a non-negative count or null");
  require(finite_nonneg(bytes_in), "bytes_in", bytes_in, ">= 0");
  require(finite_nonneg(bytes_out), "bytes_out", bytes_out, ">= 0");
  require(finite_nonneg(serialize_seconds), "serialize_seconds", serialize_seconds, ">= 0");
  require(finite_nonneg(mem_per_item_bytes), "mem_per_item_bytes", mem_per_item_bytes, ">= 0");
  require(std::isfinite(threads_per_item) && threads_per_item >= 1, "threads_per_item",
          threads_per_item, ">= 1");
  // Statistics left out are filled from a lognormal with the given mean and CV.
  if (item_seconds_p50 == 0)
    item_seconds_p50 = lognormal_quantile(item_seconds_mean, item_seconds_cv, 0);
  if (item_seconds_p95 == 0)
    item_seconds_p95 = lognormal_quantile(item_seconds_mean, item_seconds_cv, 1.6448536);
  if (item_seconds_max == 0) {
    // The expected largest of n draws sits near the 1 - 1/(n+1) quantile; for an unknown
    // count, use the 1-in-10,000 item.
    const double n = items && *items > 0 ? double(*items) : 1e4;
    item_seconds_max = std::max(
        item_seconds_mean,
        lognormal_quantile(item_seconds_mean, item_seconds_cv, normal_quantile(1 - 1 / (n + 1))));
  }
}

WorkloadProfile profile_from_json(const std::string& text) {
  const nlohmann::json j = detail::parse_json(text, "profile");
  if (!j.is_object()) throw invalid_argument("profile JSON must be an object, got " + j.dump());
  for (const auto& [key, value] : j.items()) {
    (void)value;
    if (!kProfileKeys.count(key))
      throw invalid_argument("unknown key \"" + key + "\" in profile JSON (expected " +
                             "item_seconds_mean, item_seconds_cv, items, bytes_in, bytes_out, " +
                             "mem_per_item_bytes, threads_per_item, ...)");
  }
  if (!j.contains("item_seconds_mean"))
    throw invalid_argument("profile JSON lacks \"item_seconds_mean\"");
  WorkloadProfile p;
  p.source = "json";
  const std::string what = "profile";
  detail::read_key(j, "item_seconds_mean", p.item_seconds_mean, what);
  detail::read_key(j, "item_seconds_cv", p.item_seconds_cv, what);
  detail::read_key(j, "item_seconds_p50", p.item_seconds_p50, what);
  detail::read_key(j, "item_seconds_p95", p.item_seconds_p95, what);
  detail::read_key(j, "item_seconds_max", p.item_seconds_max, what);
  if (auto it = j.find("items"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() &&
        !(it->is_number() && std::floor(it->get<double>()) == it->get<double>()))
      throw invalid_argument("profile: key \"items\" must be an integer or null, got " +
                             it->dump());
    p.items = static_cast<std::int64_t>(it->get<double>());
  }
  detail::read_key(j, "bytes_in", p.bytes_in, what);
  detail::read_key(j, "bytes_out", p.bytes_out, what);
  detail::read_key(j, "serialize_seconds", p.serialize_seconds, what);
  detail::read_key(j, "mem_per_item_bytes", p.mem_per_item_bytes, what);
  detail::read_key(j, "threads_per_item", p.threads_per_item, what);
  detail::read_key(j, "sample_count", p.sample_count, what);
  detail::read_key(j, "source", p.source, what);
  p.validate_and_complete();
  return p;
}

WorkloadProfile load_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw invalid_argument("cannot read profile \"" + path + "\": no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return profile_from_json(text.str());
  } catch (const invalid_argument& e) {
    throw invalid_argument(path + ": " + e.what());
  }
}

std::string to_json(const WorkloadProfile& p) {
  nlohmann::ordered_json j = {
      {"item_seconds_mean", p.item_seconds_mean},
      {"item_seconds_cv", p.item_seconds_cv},
      {"item_seconds_p50", p.item_seconds_p50},
      {"item_seconds_p95", p.item_seconds_p95},
      {"item_seconds_max", p.item_seconds_max},
      {"items", p.items ? nlohmann::ordered_json(*p.items) : nlohmann::ordered_json(nullptr)},
      {"bytes_in", p.bytes_in},
      {"bytes_out", p.bytes_out},
      {"serialize_seconds", p.serialize_seconds},
      {"mem_per_item_bytes", p.mem_per_item_bytes},
      {"threads_per_item", p.threads_per_item},
      {"sample_count", p.sample_count},
      {"source", p.source}};
  return j.dump(2);
}

TimingStats summarize(std::vector<double> seconds) {
  TimingStats s;
  if (seconds.empty()) return s;
  const double n = double(seconds.size());
  double sum = 0;
  for (double x : seconds) sum += x;
  s.mean = sum / n;
  double ss = 0;
  for (double x : seconds) ss += (x - s.mean) * (x - s.mean);
  // Sample standard deviation (n - 1): samples are small and the spread matters.
  const double sd = seconds.size() > 1 ? std::sqrt(ss / (n - 1)) : 0;
  s.cv = s.mean > 0 ? sd / s.mean : 0;
  std::sort(seconds.begin(), seconds.end());
  auto quantile = [&](double q) {
    const double pos = q * (n - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(seconds.size() - 1, lo + 1);
    return seconds[lo] + (pos - double(lo)) * (seconds[hi] - seconds[lo]);
  };
  s.p50 = quantile(0.5);
  s.p95 = quantile(0.95);
  s.max = seconds.back();
  return s;
}

// One item per stratum: by successive differences in source order (the variance estimator of
// a systematic sample), which a trend or a slow drift does not inflate; otherwise CV / sqrt(k).
double SampleTotals::mean_error() const {
  const std::size_t k = seconds.size();
  if (k < 2) return 0;
  double mean = 0;
  for (double s : seconds) mean += s;
  mean /= double(k);
  if (mean <= 0) return 0;
  if (spread && k >= 3 && indices.size() == k) {
    std::vector<std::pair<std::int64_t, double>> by_index;
    for (std::size_t i = 0; i < k; ++i) by_index.emplace_back(indices[i], seconds[i]);
    std::sort(by_index.begin(), by_index.end());
    double ss = 0;
    for (std::size_t i = 1; i < k; ++i)
      ss += (by_index[i].second - by_index[i - 1].second) *
            (by_index[i].second - by_index[i - 1].second);
    return std::sqrt(ss / (2.0 * double(k) * double(k - 1))) / mean;
  }
  double ss = 0;
  for (double s : seconds) ss += (s - mean) * (s - mean);
  return std::sqrt(ss / double(k - 1)) / mean / std::sqrt(double(k));
}

void SampleTotals::fill(WorkloadProfile& p, double min_wall_for_threads) const {
  const TimingStats stats = summarize(seconds);
  p.item_seconds_mean = stats.mean;
  p.item_seconds_cv = stats.cv;
  p.item_seconds_p50 = stats.p50;
  p.item_seconds_p95 = stats.p95;
  p.item_seconds_max = stats.max;
  if (!seconds.empty()) {
    p.bytes_in = bytes_in / double(seconds.size());
    p.bytes_out = bytes_out / double(seconds.size());
  }
  p.mem_per_item_bytes = mem_peak_bytes;
  // CPU time per wall time: 1 for a plain item, k for an item that keeps k cores busy.
  const bool long_enough = wall_seconds > 0 && wall_seconds >= min_wall_for_threads;
  p.threads_per_item = long_enough ? std::max(1.0, std::round(cpu_seconds / wall_seconds)) : 1.0;
  p.sample_count = int(seconds.size());
  p.source = "sampled";
  p.item_seconds_mean_error = mean_error();
}

namespace detail {

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

namespace {
thread_local std::uint64_t noted_item_memory = 0;
thread_local double noted_item_cpu = 0;
}  // namespace

double take_noted_item_cpu() {
  return std::exchange(noted_item_cpu, 0.0);
}

std::uint64_t take_noted_item_memory() {
  const std::uint64_t noted = noted_item_memory;
  noted_item_memory = 0;
  return noted;
}

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace detail

void note_item_cpu(double seconds) {
  if (seconds > 0) detail::noted_item_cpu += seconds;
}

void note_item_memory(std::uint64_t bytes) {
  detail::noted_item_memory = std::max(detail::noted_item_memory, bytes);
}

}  // namespace amorsize
