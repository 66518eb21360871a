// The model: item-time statistics of a workload from its earlier runs, and the cluster's
// message costs fitted from their chunk records.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "../format.hpp"
#include "amorsize/error.hpp"
#include "amorsize/history.hpp"
#include "neighbours.hpp"

namespace amorsize {
namespace {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Weighted mean of f over runs, by items.
template <class F>
double weighted(const std::vector<RunIndexRow>& runs, F f) {
  double sum = 0, weight = 0;
  for (const auto& r : runs) {
    const double w = std::max<double>(1, double(r.items));
    sum += w * f(r);
    weight += w;
  }
  return weight > 0 ? sum / weight : 0;
}

}  // namespace

ItemCosts predict_item_costs(const std::string& path, const std::string& key,
                             std::size_t max_items) {
  ItemCosts out;
  if (!file_exists(path)) {
    out.reason = "no history yet";
    return out;
  }
  const std::vector<RunIndexRow> runs = list_runs(path, false);
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    if (r->workload_key != key || r->status != "complete") continue;
    std::vector<std::pair<std::int64_t, double>> times = read_item_seconds(path, r->run_id);
    if (times.empty()) continue;
    if (std::int64_t(times.size()) < r->items) {
      out.reason = "run " + std::to_string(r->run_id) + " recorded " +
                   std::to_string(times.size()) + " of its " + std::to_string(r->items) +
                   " items (the log's limit), too few to place the long ones";
      return out;
    }
    std::sort(times.begin(), times.end());  // by item
    out.run_id = r->run_id;
    out.items = std::int64_t(times.size());
    std::vector<RunOptions::HeavyItem> all;
    all.reserve(times.size());
    for (const auto& [item, seconds] : times) {
      all.push_back({item, seconds, out.work_seconds});
      out.work_seconds += seconds;
    }
    const std::size_t keep = std::min(max_items, all.size());
    std::partial_sort(all.begin(), all.begin() + std::ptrdiff_t(keep), all.end(),
                      [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
    all.resize(keep);
    out.longest = std::move(all);
    out.reason = "item times from run " + std::to_string(r->run_id) + " (" +
                 std::to_string(out.items) + " items, " + detail::human_seconds(out.work_seconds) +
                 ", the longest " +
                 detail::human_seconds(out.longest.empty() ? 0 : out.longest.front().seconds) + ")";
    return out;
  }
  out.reason = "no complete run of \"" + key + "\" recorded its items";
  return out;
}

OverheadFit fit_overheads(const std::vector<ChunkRecord>& chunks) {
  // The overhead of a chunk is the time from dispatch to receipt that was neither computing nor
  // waiting in the worker's queue behind its previous chunk (prefetched chunks wait there by
  // design). Fit overhead = a + b * bytes by least squares.
  std::map<int, double> previous_end;  // per rank, on the coordinator's clock
  std::vector<const ChunkRecord*> ordered;
  for (const auto& c : chunks) ordered.push_back(&c);
  std::sort(ordered.begin(), ordered.end(), [](const ChunkRecord* a, const ChunkRecord* b) {
    return a->dispatch_seconds < b->dispatch_seconds;
  });
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const ChunkRecord* c : ordered) {
    if (c->receive_seconds <= c->dispatch_seconds) continue;  // serial or sampled
    double queued = 0;
    auto it = previous_end.find(c->rank);
    if (it != previous_end.end()) queued = std::max(0.0, it->second - c->dispatch_seconds);
    previous_end[c->rank] = std::max(c->end_seconds, c->dispatch_seconds);
    const double y =
        std::max(0.0, c->receive_seconds - c->dispatch_seconds - c->compute_seconds - queued);
    const double x = double(c->bytes_in + c->bytes_out);
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  OverheadFit fit;
  fit.chunks = std::int64_t(n);
  if (n == 0) return fit;
  const double var = n * sxx - sx * sx;
  double b = var > 1e-12 * n * sxx && n >= 3 ? (n * sxy - sx * sy) / var : 0;
  b = std::max(b, 0.0);
  double a = (sy - b * sx) / n;
  if (a < 0) {  // the intercept cannot be negative: refit through the origin
    a = 0;
    b = sxx > 0 ? std::max(0.0, sxy / sxx) : 0;
  }
  fit.per_chunk_seconds = a;
  fit.per_byte_seconds = b;
  return fit;
}

WorkloadProfile profile_of(const RunIndexRow& run, std::string source) {
  WorkloadProfile p;
  p.bytes_in = run.bytes_in;
  p.bytes_out = run.bytes_out;
  p.mem_per_item_bytes = run.mem_per_item_bytes;
  p.threads_per_item = std::max(1.0, run.threads_per_item);
  p.sample_count = 0;
  p.source = std::move(source);
  return p;
}

namespace {

Prediction predict_key(const std::string& path, const std::string& key,
                       const ModelOptions& options) {
  Prediction out;
  if (!file_exists(path)) {
    out.reason = "no history yet (" + path + " does not exist)";
    return out;
  }
  std::vector<RunIndexRow> runs;
  for (auto& r : list_runs(path, false))  // the model uses finished runs only
    if (r.workload_key == key && r.status == "complete" && r.items > 0) runs.push_back(r);
  if (int(runs.size()) > options.max_runs) runs.erase(runs.begin(), runs.end() - options.max_runs);
  out.runs = int(runs.size());
  if (out.runs < options.min_runs) {
    out.reason = "history has " + std::to_string(out.runs) + " complete run" +
                 (out.runs == 1 ? "" : "s") + " of \"" + key + "\", " +
                 std::to_string(options.min_runs) + " needed";
    return out;
  }
  // Consistency: the spread of the per-run mean item times.
  double mean_of_means = 0;
  for (const auto& r : runs) mean_of_means += r.item_seconds_mean;
  mean_of_means /= double(runs.size());
  double ss = 0;
  for (const auto& r : runs) ss += std::pow(r.item_seconds_mean - mean_of_means, 2);
  const double spread = runs.size() > 1 && mean_of_means > 0
                            ? std::sqrt(ss / double(runs.size() - 1)) / mean_of_means
                            : 0;
  // See ModelOptions for the three factors.
  const double n = double(runs.size());
  double items = 0, cv = 0;
  for (const auto& r : runs) {
    items += double(r.items);
    cv = std::max(cv, r.item_seconds_cv);
  }
  const double standard_error = cv / std::sqrt(std::max(items, 1.0));
  const double precision = std::max(0.0, 1 - standard_error / options.max_standard_error);
  const double consistency = std::max(0.0, 1 - spread / options.max_mean_spread);
  out.confidence = n / (n + 0.25) * precision * consistency;

  std::ostringstream why;
  why << runs.size() << " complete run" << (runs.size() == 1 ? "" : "s") << " of \"" << key
      << "\" (" << std::int64_t(items) << " items), mean item time "
      << detail::human_seconds(mean_of_means);
  if (runs.size() > 1) why << " varying " << detail::percent(spread) << " between runs";
  why << ": confidence " << detail::fixed(out.confidence, 2);
  if (out.confidence < options.min_confidence) {
    why << " < " << detail::fixed(options.min_confidence, 2) << ", so sampling";
    out.reason = why.str();
    return out;
  }
  out.reason = why.str();

  WorkloadProfile p;
  p.item_seconds_mean = weighted(runs, [](const RunIndexRow& r) { return r.item_seconds_mean; });
  p.item_seconds_cv = weighted(runs, [](const RunIndexRow& r) { return r.item_seconds_cv; });
  p.item_seconds_p95 = weighted(runs, [](const RunIndexRow& r) { return r.item_seconds_p95; });
  for (const auto& r : runs) p.item_seconds_max = std::max(p.item_seconds_max, r.item_seconds_max);
  p.bytes_in = weighted(runs, [](const RunIndexRow& r) { return r.bytes_in; });
  p.bytes_out = weighted(runs, [](const RunIndexRow& r) { return r.bytes_out; });
  for (const auto& r : runs)
    p.mem_per_item_bytes = std::max(p.mem_per_item_bytes, r.mem_per_item_bytes);
  p.threads_per_item =
      std::max(1.0, weighted(runs, [](const RunIndexRow& r) { return r.threads_per_item; }));
  p.sample_count = 0;
  p.source = "predicted";
  if (p.item_seconds_p95 > 0 && p.item_seconds_p95 < p.item_seconds_mean)
    p.item_seconds_p95 = 0;  // let validate_and_complete derive it
  p.validate_and_complete();
  out.profile = p;
  // The cluster's message costs, from the newest run's chunks.
  out.overheads = fit_overheads(read_run(path, runs.back().run_id, false).chunks);
  return out;
}

// Across workloads: the k nearest earlier workloads by their features (see history.hpp).
Prediction predict_from_features(const std::string& path, const std::string& key,
                                 const ModelOptions& options,
                                 const std::map<std::string, double>& features) {
  Prediction out;
  const auto all = read_features(path);
  struct Point {
    std::string key;
    std::vector<double> x;
    std::vector<double> log_means;
    RunIndexRow newest;
  };
  std::map<std::string, Point> by_key;
  for (const auto& r : list_runs(path, false)) {  // oldest first
    if (r.status != "complete" || r.items <= 0 || r.item_seconds_mean <= 0 || r.workload_key == key)
      continue;
    const auto f = all.find(r.run_id);
    if (f == all.end() || f->second.size() != features.size()) continue;
    std::vector<double> x;
    bool same = true;
    for (const auto& [name, value] : features) {
      const auto it = f->second.find(name);
      if (it == f->second.end()) {
        same = false;
        break;
      }
      x.push_back(it->second);
    }
    if (!same) continue;
    Point& p = by_key[r.workload_key];
    p.key = r.workload_key;
    p.x = x;  // the newest run's features
    p.log_means.push_back(std::log(r.item_seconds_mean));
    if (int(p.log_means.size()) > options.max_runs) p.log_means.erase(p.log_means.begin());
    p.newest = r;
  }
  std::vector<Point> points;
  for (auto& [k, p] : by_key) points.push_back(std::move(p));
  std::string names;
  for (const auto& [name, value] : features) names += (names.empty() ? "" : ", ") + name;
  const auto n = int(points.size());
  if (n < options.min_workloads) {
    out.reason = "features (" + names + "): " + std::to_string(n) + " earlier workload" +
                 (n == 1 ? "" : "s") + " with the same features, " +
                 std::to_string(options.min_workloads) + " needed";
    return out;
  }
  // Features on a log scale where every value is positive; each scaled by its spread.
  std::vector<double> target;
  for (const auto& [name, value] : features) target.push_back(value);
  const std::size_t d = target.size();
  std::vector<double> y(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto v = points[i].log_means;
    std::sort(v.begin(), v.end());
    y[i] = v[v.size() / 2];
  }
  for (std::size_t j = 0; j < d; ++j) {
    bool positive = target[j] > 0;
    for (const auto& p : points) positive = positive && p.x[j] > 0;
    if (positive) {
      target[j] = std::log(target[j]);
      for (auto& p : points) p.x[j] = std::log(p.x[j]);
    }
  }
  std::vector<std::vector<double>> xs;
  for (const auto& p : points) xs.push_back(p.x);
  const std::vector<double> scale = detail::feature_scales(xs);
  const std::size_t k = std::max<std::size_t>(std::size_t(std::max(1, options.neighbours)),
                                              detail::varying_features(scale) + 2);
  const auto nearest = [&](const std::vector<double>& x, std::size_t leave_out,
                           std::size_t* closest) {
    const detail::Neighbourhood hood = detail::nearest_points(xs, scale, x, k, leave_out);
    if (closest) *closest = hood.nearest.front().second;
    return detail::neighbourhood_value(hood, xs, y, scale, x);
  };
  std::vector<double> errors;
  for (std::size_t i = 0; i < points.size(); ++i)
    errors.push_back(std::fabs(std::exp(nearest(points[i].x, i, nullptr) - y[i]) - 1));
  std::sort(errors.begin(), errors.end());
  const double median_error = errors[errors.size() / 2];
  out.confidence = std::max(0.0, 1 - median_error) * n / (n + 1.0);
  std::size_t closest = 0;
  const double mean = std::exp(nearest(target, SIZE_MAX, &closest));
  const RunIndexRow& near = points[closest].newest;
  std::ostringstream why;
  why << "predicted from the " << std::min(std::size_t(n), k) << " nearest of " << n
      << " earlier workloads by their features (" << names << "; nearest \"" << points[closest].key
      << "\"): mean item time " << detail::human_seconds(mean) << ", leave-one-out error "
      << detail::percent(median_error) << ": confidence " << detail::fixed(out.confidence, 2);
  if (out.confidence < options.min_confidence) {
    why << " < " << detail::fixed(options.min_confidence, 2) << ", so sampling";
    out.reason = why.str();
    return out;
  }
  out.reason = why.str();
  WorkloadProfile p = profile_of(near, "predicted from similar workloads");
  const double ratio = near.item_seconds_mean > 0 ? mean / near.item_seconds_mean : 1;
  p.item_seconds_mean = mean;
  p.item_seconds_cv = near.item_seconds_cv;
  p.item_seconds_p95 = near.item_seconds_p95 * ratio;
  p.item_seconds_max = near.item_seconds_max * ratio;
  if (p.item_seconds_p95 > 0 && p.item_seconds_p95 < p.item_seconds_mean) p.item_seconds_p95 = 0;
  p.validate_and_complete();
  out.profile = p;
  out.overheads = fit_overheads(read_run(path, near.run_id, false).chunks);
  return out;
}

}  // namespace

Prediction predict(const std::string& path, const std::string& key, const ModelOptions& options,
                   const std::map<std::string, double>& features) {
  Prediction own = predict_key(path, key, options);
  if (own.profile || features.empty() || !file_exists(path)) return own;
  Prediction near = predict_from_features(path, key, options, features);
  near.runs = own.runs;
  near.reason = own.reason + "; " + near.reason;
  return near;
}

}  // namespace amorsize
