// `amorsize report`: text, JSON and a self-contained HTML page from the HDF5 log.
#include "amorsize/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "../format.hpp"

namespace amorsize {
namespace {

using detail::fixed;
using detail::human_seconds;

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The plan's 80% interval around its predicted makespan, from the plan JSON (none in older
// logs).
std::optional<std::pair<double, double>> predicted_interval(const LoggedRun& run) {
  const auto plan = nlohmann::json::parse(run.plan_json, nullptr, /*allow_exceptions=*/false);
  if (!plan.is_object() || !plan.contains("predicted_makespan_interval_seconds")) return {};
  const auto& i = plan.at("predicted_makespan_interval_seconds");
  if (!i.is_array() || i.size() != 2 || !i[0].is_number() || !i[1].is_number()) return {};
  return std::make_pair(i[0].get<double>(), i[1].get<double>());
}

// Workers per node as planned, from the plan JSON stored with the run.
std::map<int, int> planned_workers(const LoggedRun& run) {
  std::map<int, int> out;
  try {
    const auto plan = nlohmann::json::parse(run.plan_json);
    int i = 0;
    for (const auto& n : plan.at("nodes")) out[i++] = n.value("workers", 0);
  } catch (const std::exception&) {
  }
  return out;
}

double item_seconds(const ChunkRecord& c) {
  return c.count > 0 ? c.compute_seconds / double(c.count) : 0;
}

}  // namespace

RunAnalysis analyze(const LoggedRun& run) {
  RunAnalysis a;
  const double makespan = run.summary.makespan_seconds;
  const auto workers_per_node = planned_workers(run);
  std::map<int, RunAnalysis::Node> nodes;
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    auto& n = nodes[int(i)];
    n.node = int(i);
    n.name = run.nodes[i].name;
    auto it = workers_per_node.find(int(i));
    n.workers = it != workers_per_node.end() ? it->second : run.nodes[i].cores;
    n.speed = run.nodes[i].speed;
    if (i < run.node_bindings.size()) n.binding = run.node_bindings[i];
  }
  // Lanes: chunks of one rank that overlap in time ran on different threads.
  std::vector<const ChunkRecord*> by_start;
  for (const auto& c : run.chunks) by_start.push_back(&c);
  std::sort(by_start.begin(), by_start.end(), [](const ChunkRecord* x, const ChunkRecord* y) {
    return x->start_seconds < y->start_seconds;
  });
  std::map<std::pair<int, int>, std::size_t> index;                // (rank, lane) -> worker
  std::map<int, std::vector<double>> lane_end;                     // rank -> end of each lane
  std::vector<std::pair<int, int>> chunk_lane(run.chunks.size());  // (rank, lane) per chunk
  for (const ChunkRecord* c : by_start) {
    auto& ends = lane_end[c->rank];
    int lane = 0;
    while (lane < int(ends.size()) && ends[std::size_t(lane)] > c->start_seconds + 1e-9) ++lane;
    if (lane == int(ends.size())) ends.push_back(0);
    ends[std::size_t(lane)] = c->end_seconds;
    auto key = std::make_pair(c->rank, lane);
    chunk_lane[std::size_t(c - run.chunks.data())] = key;
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, a.workers.size()).first;
      RunAnalysis::Worker w;
      w.node = c->node;
      w.rank = c->rank;
      w.lane = lane;
      a.workers.push_back(w);
    }
    auto& w = a.workers[it->second];
    w.busy_seconds += c->compute_seconds;
    w.last_end_seconds = std::max(w.last_end_seconds, c->end_seconds);
    ++w.chunks;
    nodes[c->node].node = c->node;
    nodes[c->node].busy_seconds += c->compute_seconds;
  }
  for (std::size_t i = 0; i < run.pressure_seconds.size(); ++i) {
    if (run.pressure_seconds[i] <= 0) continue;
    nodes[int(i)].node = int(i);
    nodes[int(i)].pressure_seconds = run.pressure_seconds[i];
  }
  std::sort(a.workers.begin(), a.workers.end(), [](const auto& x, const auto& y) {
    return std::tie(x.node, x.rank, x.lane) < std::tie(y.node, y.rank, y.lane);
  });
  std::map<std::pair<int, int>, int> row;
  for (std::size_t i = 0; i < a.workers.size(); ++i)
    row[{a.workers[i].rank, a.workers[i].lane}] = int(i);
  for (const auto& key : chunk_lane) a.chunk_worker.push_back(row[key]);
  for (auto& [id, n] : nodes) {
    (void)id;
    if (n.workers > 0 && makespan > 0) n.utilization = n.busy_seconds / (n.workers * makespan);
    a.nodes.push_back(n);
  }
  if (!a.workers.empty()) {
    double first = 1e300, last = 0;
    for (const auto& w : a.workers) {
      first = std::min(first, w.last_end_seconds);
      last = std::max(last, w.last_end_seconds);
    }
    a.imbalance_seconds = last - first;
  }
  std::vector<const ChunkRecord*> by_dispatch(by_start);
  std::sort(by_dispatch.begin(), by_dispatch.end(),
            [](const ChunkRecord* x, const ChunkRecord* y) { return x->seq < y->seq; });
  for (const ChunkRecord* c : by_dispatch) a.chunk_sizes.push_back(c->count);
  std::vector<ChunkRecord> slow(run.chunks.begin(), run.chunks.end());
  std::sort(slow.begin(), slow.end(), [](const ChunkRecord& x, const ChunkRecord& y) {
    return x.compute_seconds > y.compute_seconds;
  });
  if (slow.size() > 5) slow.resize(5);
  a.slowest = slow;
  if (makespan > 0 && run.summary.predicted_makespan_seconds > 0)
    a.prediction_error = (makespan - run.summary.predicted_makespan_seconds) / makespan;
  return a;
}

// Per task (schema 2): how far the predictions were from the measured times.
struct TaskErrors {
  std::int64_t predicted = 0;
  double median_error = 0;
  double within_20 = 0;  // fraction of predicted tasks within 20%
};

TaskErrors task_errors(const LoggedRun& run) {
  std::vector<double> errors;
  for (const auto& t : run.tasks)
    if (t.predicted_seconds > 0 && t.seconds > 0 && t.status == 0)
      errors.push_back(std::fabs(t.predicted_seconds - t.seconds) / t.seconds);
  TaskErrors e;
  e.predicted = std::int64_t(errors.size());
  if (errors.empty()) return e;
  std::sort(errors.begin(), errors.end());
  e.median_error = errors[errors.size() / 2];
  e.within_20 = double(std::upper_bound(errors.begin(), errors.end(), 0.2) - errors.begin()) /
                double(errors.size());
  return e;
}

std::string shortened(const std::string& line, std::size_t most = 60) {
  return line.size() <= most ? line : line.substr(0, most - 3) + "...";
}

std::string runs_text(const std::vector<RunIndexRow>& runs) {
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "%6s  %-32s %10s %11s %6s  %-11s %s\n", "run", "key", "items",
                "makespan", "eff", "status", "plan");
  out << line;
  for (const auto& r : runs) {
    std::string key =
        r.workload_key.size() > 32 ? r.workload_key.substr(0, 29) + "..." : r.workload_key;
    std::snprintf(line, sizeof line, "%6lld  %-32s %10lld %11s %6s  %-11s %s\n",
                  (long long)r.run_id, key.c_str(), (long long)r.items,
                  human_seconds(r.makespan_seconds).c_str(), fixed(r.efficiency, 3).c_str(),
                  r.status.c_str(), r.from_history ? "history" : "sampled");
    out << line;
  }
  if (runs.empty()) out << "(no runs)\n";
  return out.str();
}

std::string run_text(const LoggedRun& run) {
  const RunIndexRow& s = run.summary;
  const RunAnalysis a = analyze(run);
  std::ostringstream out;
  out << "Run " << s.run_id << " of \"" << s.workload_key << "\": " << s.status << "\n"
      << "  " << run.start_time << " -> " << run.end_time << "\n"
      << "  command: " << run.command_line << "\n"
      << "  " << s.items << " items in " << s.chunks << " chunks on " << s.workers << " workers ("
      << s.cores << " cores), makespan " << human_seconds(s.makespan_seconds) << ", efficiency "
      << fixed(s.efficiency, 3) << " against the lower bound\n"
      << "  items: mean " << human_seconds(s.item_seconds_mean) << ", CV "
      << fixed(s.item_seconds_cv, 2) << ", p95 " << human_seconds(s.item_seconds_p95) << ", max "
      << human_seconds(s.item_seconds_max) << "; planned from "
      << (s.from_history ? "history" : "a sample") << "\n";
  if (s.predicted_makespan_seconds > 0) {
    out << "  predicted makespan " << human_seconds(s.predicted_makespan_seconds) << ", measured "
        << human_seconds(s.makespan_seconds) << " (error " << fixed(100 * a.prediction_error, 1)
        << "%)";
    if (const auto interval = predicted_interval(run))
      out << "; 80% interval " << human_seconds(interval->first) << " to "
          << human_seconds(interval->second) << ", "
          << (s.makespan_seconds >= interval->first && s.makespan_seconds <= interval->second
                  ? "inside"
                  : "outside");
    out << "\n";
  }
  out << "Nodes:\n";
  for (const auto& n : a.nodes)
    out << "  " << n.node << " " << n.name << ": " << n.workers << " workers, busy "
        << human_seconds(n.busy_seconds) << ", utilization " << fixed(n.utilization, 3)
        << ", speed " << fixed(n.speed, 2)
        << (n.binding.empty() ? std::string() : ", bound to CPUs " + n.binding) << "\n";
  out << "Imbalance: workers finished within " << human_seconds(a.imbalance_seconds)
      << " of each other";
  if (s.makespan_seconds > 0)
    out << " (" << detail::percent(a.imbalance_seconds / s.makespan_seconds) << " of the makespan)";
  out << "\n";
  if (!a.chunk_sizes.empty()) {
    out << "Chunk sizes in dispatch order (every tenth):";
    const std::size_t step = std::max<std::size_t>(1, a.chunk_sizes.size() / 10);
    for (std::size_t i = 0; i < a.chunk_sizes.size(); i += step) out << " " << a.chunk_sizes[i];
    out << " ... " << a.chunk_sizes.back() << "\n";
  }
  out << "Failures: " << run.failures.size() << "\n";
  for (std::size_t i = 0; i < run.failures.size() && i < 10; ++i)
    out << "  item " << run.failures[i].index << ": " << run.failures[i].message << "\n";
  out << "Slowest chunks:\n";
  for (const auto& c : a.slowest)
    out << "  #" << c.seq << " items " << c.first << ".." << c.first + c.count - 1 << " on node "
        << c.node << " rank " << c.rank << ": " << human_seconds(c.compute_seconds) << " ("
        << human_seconds(item_seconds(c)) << " per item)\n";
  if (!run.tasks.empty()) {
    const TaskErrors e = task_errors(run);
    out << "Tasks: " << run.tasks.size() << " recorded";
    if (run.tasks_dropped > 0) out << " (" << run.tasks_dropped << " more beyond the log's limit)";
    if (e.predicted > 0)
      out << "; " << e.predicted << " predicted, median error " << fixed(100 * e.median_error, 1)
          << "%, " << detail::percent(e.within_20) << " within 20%";
    out << "\n  the longest, predicted against measured:\n";
    std::vector<const TaskRecord*> longest;
    for (const auto& t : run.tasks) longest.push_back(&t);
    const std::size_t shown = std::min<std::size_t>(10, longest.size());
    std::partial_sort(
        longest.begin(), longest.begin() + std::ptrdiff_t(shown), longest.end(),
        [](const TaskRecord* a, const TaskRecord* b) { return a->seconds > b->seconds; });
    for (std::size_t i = 0; i < shown; ++i) {
      const TaskRecord& t = *longest[i];
      out << "    task " << t.item << ": " << human_seconds(t.seconds) << ", predicted "
          << (t.predicted_seconds > 0 ? human_seconds(t.predicted_seconds) : std::string("-"))
          << (t.status != 0 ? ", status " + std::to_string(t.status) : std::string()) << "  "
          << shortened(t.line) << "\n";
    }
  }
  if (!run.pressure.empty()) {
    out << "Memory pressure: " << run.pressure.size() << " episode(s)";
    for (const auto& n : a.nodes)
      if (n.pressure_seconds > 0)
        out << "; node " << n.node << " " << n.name << " " << human_seconds(n.pressure_seconds)
            << " under pressure";
    out << "\n";
  }
  return out.str();
}

namespace {

nlohmann::ordered_json row_json(const RunIndexRow& r) {
  return {{"run_id", r.run_id},
          {"workload_key", r.workload_key},
          {"status", r.status},
          {"items", r.items},
          {"chunks", r.chunks},
          {"failed", r.failed},
          {"workers", r.workers},
          {"cores", r.cores},
          {"makespan_seconds", r.makespan_seconds},
          {"predicted_makespan_seconds", r.predicted_makespan_seconds},
          {"efficiency", r.efficiency},
          {"compute_seconds", r.compute_seconds},
          {"item_seconds_mean", r.item_seconds_mean},
          {"item_seconds_cv", r.item_seconds_cv},
          {"item_seconds_p95", r.item_seconds_p95},
          {"item_seconds_max", r.item_seconds_max},
          {"bytes_in", r.bytes_in},
          {"bytes_out", r.bytes_out},
          {"mem_per_item_bytes", r.mem_per_item_bytes},
          {"from_history", r.from_history}};
}

}  // namespace

std::string runs_json(const std::vector<RunIndexRow>& runs) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& r : runs) j.push_back(row_json(r));
  return j.dump(2);
}

std::string run_json(const LoggedRun& run) {
  const RunAnalysis a = analyze(run);
  nlohmann::ordered_json j = row_json(run.summary);
  j["start_time"] = run.start_time;
  j["end_time"] = run.end_time;
  j["command_line"] = run.command_line;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto& n : a.nodes)
    nodes.push_back({{"node", n.node},
                     {"name", n.name},
                     {"workers", n.workers},
                     {"busy_seconds", n.busy_seconds},
                     {"utilization", n.utilization},
                     {"pressure_seconds", n.pressure_seconds},
                     {"speed", n.speed},
                     {"binding", n.binding}});
  j["nodes"] = nodes;
  j["imbalance_seconds"] = a.imbalance_seconds;
  j["prediction_error"] = a.prediction_error;
  if (const auto interval = predicted_interval(run))
    j["predicted_interval_seconds"] = {interval->first, interval->second};
  else
    j["predicted_interval_seconds"] = nullptr;
  j["chunk_sizes"] = a.chunk_sizes;
  nlohmann::ordered_json failures = nlohmann::ordered_json::array();
  for (const auto& f : run.failures)
    failures.push_back({{"item", f.index}, {"message", f.message}});
  j["failures"] = failures;
  nlohmann::ordered_json slow = nlohmann::ordered_json::array();
  for (const auto& c : a.slowest)
    slow.push_back({{"seq", c.seq},
                    {"first", c.first},
                    {"count", c.count},
                    {"node", c.node},
                    {"rank", c.rank},
                    {"compute_seconds", c.compute_seconds}});
  j["slowest_chunks"] = slow;
  j["pressure_episodes"] = run.pressure.size();
  const TaskErrors e = task_errors(run);
  nlohmann::ordered_json tasks = nlohmann::ordered_json::array();
  for (const auto& t : run.tasks)
    tasks.push_back({{"task", t.item},
                     {"line", t.line},
                     {"seconds", t.seconds},
                     {"predicted_seconds", t.predicted_seconds},
                     {"status", t.status},
                     {"max_rss_bytes", t.max_rss_bytes},
                     {"file_bytes", t.file_bytes}});
  j["tasks"] = {{"recorded", run.tasks.size()},     {"dropped", run.tasks_dropped},
                {"predicted", e.predicted},         {"median_error", e.median_error},
                {"within_20_percent", e.within_20}, {"rows", tasks}};
  return j.dump(2);
}

std::string run_html(const LoggedRun& run) {
  const RunAnalysis a = analyze(run);
  const RunIndexRow& s = run.summary;
  double t_end = s.makespan_seconds;
  for (const auto& c : run.chunks) t_end = std::max(t_end, c.receive_seconds);
  if (t_end <= 0) t_end = 1;
  const int width = 960, label = 110, row = 14, plot = width - label - 10;
  auto x = [&](double t) { return label + plot * std::clamp(t / t_end, 0.0, 1.0); };

  std::ostringstream svg;
  const int gantt_h = int(a.workers.size()) * row + 30;
  svg << "<svg id=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << gantt_h << "\">\n";
  for (std::size_t i = 0; i < a.workers.size(); ++i) {
    const auto& w = a.workers[i];
    svg << "<text x=\"4\" y=\"" << i * row + 11 << "\" font-size=\"10\">node " << w.node << " rank "
        << w.rank << (w.lane > 0 ? "." + std::to_string(w.lane) : "") << "</text>\n";
  }
  for (std::size_t i = 0; i < run.chunks.size(); ++i) {
    const ChunkRecord* c = &run.chunks[i];
    const int r = a.chunk_worker[i];
    const double x0 = x(c->start_seconds), x1 = std::max(x(c->end_seconds), x0 + 0.5);
    const int hue = int((c->seq * 47) % 360);
    svg << "<rect class=\"chunk\" x=\"" << fixed(x0, 2) << "\" y=\"" << r * row + 2 << "\" width=\""
        << fixed(x1 - x0, 2) << "\" height=\"" << row - 3 << "\" fill=\"hsl(" << hue << ",55%,"
        << (c->failed ? "40%" : "60%") << ")\"><title>chunk " << c->seq << ": items " << c->first
        << ".." << c->first + c->count - 1 << ", " << escape(human_seconds(c->compute_seconds))
        << "</title></rect>\n";
  }
  svg << "<text x=\"" << label << "\" y=\"" << gantt_h - 4 << "\" font-size=\"10\">0 s</text>"
      << "<text x=\"" << width - 60 << "\" y=\"" << gantt_h - 4 << "\" font-size=\"10\">"
      << escape(human_seconds(t_end)) << "</text>\n</svg>\n";

  // Utilization over time: share of the workers computing, in 100 bins.
  constexpr int kBins = 100;
  std::vector<double> busy(kBins, 0);
  const double bin = t_end / kBins;
  for (const auto& c : run.chunks)
    for (int b = std::max(0, int(c.start_seconds / bin)); b < kBins && b * bin < c.end_seconds; ++b)
      busy[std::size_t(b)] += std::max(
          0.0, std::min(c.end_seconds, (b + 1) * bin) - std::max(c.start_seconds, b * bin));
  const double lanes = std::max<double>(1, double(a.workers.size()));
  std::ostringstream util;
  const int uh = 120;
  util << "<svg id=\"utilization\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
       << "\" height=\"" << uh + 20 << "\">\n<polyline class=\"util\" fill=\"none\" "
       << "stroke=\"steelblue\" stroke-width=\"2\" points=\"";
  for (int b = 0; b < kBins; ++b)
    util << fixed(label + plot * (b + 0.5) / kBins, 1) << ","
         << fixed(uh - uh * std::min(1.0, busy[std::size_t(b)] / (bin * lanes)), 1) << " ";
  util << "\"/>\n<text x=\"4\" y=\"12\" font-size=\"10\">100% busy</text>"
       << "<text x=\"4\" y=\"" << uh << "\" font-size=\"10\">0%</text>\n</svg>\n";

  // Histogram of item times: sampled items, and each chunk's mean item time.
  std::vector<double> times;
  for (const auto& sm : run.samples) times.push_back(sm.seconds);
  for (const auto& c : run.chunks)
    if (c.count > 0) times.push_back(item_seconds(c));
  std::ostringstream hist;
  const int hh = 140, bins = 40;
  hist << "<svg id=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
       << "\" height=\"" << hh + 20 << "\">\n";
  if (!times.empty()) {
    const double hi = *std::max_element(times.begin(), times.end()) * 1.0001 + 1e-12;
    std::vector<int> counts(bins, 0);
    for (double t : times) counts[std::size_t(std::min(bins - 1, int(t / hi * bins)))]++;
    const int top = *std::max_element(counts.begin(), counts.end());
    for (int b = 0; b < bins; ++b) {
      const double h = hh * double(counts[std::size_t(b)]) / std::max(top, 1);
      hist << "<rect class=\"bar\" x=\"" << fixed(label + plot * double(b) / bins, 1) << "\" y=\""
           << fixed(hh - h, 1) << "\" width=\"" << fixed(plot / double(bins) - 1, 1)
           << "\" height=\"" << fixed(h, 1) << "\" fill=\"darkorange\"><title>"
           << counts[std::size_t(b)] << "</title></rect>\n";
    }
    hist << "<text x=\"" << label << "\" y=\"" << hh + 14 << "\" font-size=\"10\">0</text>"
         << "<text x=\"" << width - 60 << "\" y=\"" << hh + 14 << "\" font-size=\"10\">"
         << escape(human_seconds(hi)) << "</text>\n";
  }
  hist << "</svg>\n";

  std::ostringstream page;
  page << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>amorsize run " << s.run_id
       << "</title>\n<style>body{font-family:sans-serif;margin:20px;color:#222}"
       << "pre{background:#f6f6f6;padding:8px}h2{font-size:16px;margin-top:24px}</style>"
       << "</head><body>\n<h1>Run " << s.run_id << ": " << escape(s.workload_key) << "</h1>\n<pre>"
       << escape(run_text(run)) << "</pre>\n<h2>Timeline: every worker's chunks</h2>\n"
       << svg.str() << "<h2>Utilization over time</h2>\n"
       << util.str() << "<h2>Item times (sampled items and per-chunk means)</h2>\n"
       << hist.str() << "</body></html>\n";
  return page.str();
}

}  // namespace amorsize
