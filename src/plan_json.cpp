// The plan as JSON: what `amorsize plan --json` prints, what the runtime logs, and what a plan
// file read back gives. Every field round-trips.
#include <nlohmann/json.hpp>

#include "amorsize/error.hpp"
#include "amorsize/plan.hpp"
#include "json_util.hpp"

namespace amorsize {
namespace {

nlohmann::ordered_json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string to_json(const Plan& p, int indent) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto& n : p.nodes)
    nodes.push_back({{"name", n.name},
                     {"cores", n.cores},
                     {"workers", n.workers},
                     {"memory_budget_bytes", n.memory_budget_bytes},
                     {"chunk_weight", n.chunk_weight},
                     {"coordinator", n.coordinator},
                     {"leader", n.leader},
                     {"ranks", n.ranks},
                     {"threads", n.threads},
                     {"binding", n.binding}});
  nlohmann::ordered_json j = {
      {"workers", p.workers},
      {"nodes", nodes},
      {"coordinator_computes", p.coordinator_computes},
      {"schedule", to_string(p.schedule)},
      {"chunk_size", p.chunk_size},
      {"min_chunk", p.min_chunk},
      {"max_chunk", p.max_chunk},
      {"taper_factor", p.taper_factor},
      {"adaptation_rate", p.adaptation_rate},
      {"target_chunk_duration_seconds", p.target_chunk_duration_seconds},
      {"inflight_per_worker", p.inflight_per_worker},
      {"reorder_window", p.reorder_window},
      {"result_buffer_bytes", p.result_buffer_bytes},
      {"ordered", p.ordered},
      {"serial", p.serial},
      {"items", p.items ? nlohmann::ordered_json(*p.items) : nlohmann::ordered_json(nullptr)},
      {"item_seconds_mean", p.item_seconds_mean},
      {"predicted_makespan_seconds", optional_json(p.predicted_makespan_seconds)},
      {"predicted_makespan_interval_seconds",
       p.predicted_makespan_low_seconds && p.predicted_makespan_high_seconds
           ? nlohmann::ordered_json::array(
                 {*p.predicted_makespan_low_seconds, *p.predicted_makespan_high_seconds})
           : nlohmann::ordered_json(nullptr)},
      {"predicted_serial_seconds", p.predicted_serial_seconds},
      {"predicted_speedup", p.predicted_speedup},
      {"predicted_efficiency", p.predicted_efficiency},
      {"predicted_chunks", p.predicted_chunks},
      {"coordinator_load", p.coordinator_load},
      {"hierarchy", to_string(p.hierarchy)},
      {"bind", to_string(p.bind)},
      {"cpus_per_worker", p.cpus_per_worker},
      {"reasons", p.reasons},
      {"warnings", p.warnings}};
  return j.dump(indent);
}

Plan plan_from_json(const std::string& text) {
  const nlohmann::json j = detail::parse_json(text, "plan");
  if (!j.is_object()) throw invalid_argument("plan JSON must be an object");
  const std::string what = "plan";
  for (const char* key : {"workers", "nodes", "schedule", "chunk_size"})
    if (!j.contains(key)) throw invalid_argument("plan JSON lacks \"" + std::string(key) + "\"");
  Plan p;
  detail::read_key(j, "workers", p.workers, what);
  for (const auto& jn : j.at("nodes")) {
    NodePlan n;
    detail::read_key(jn, "name", n.name, what);
    detail::read_key(jn, "cores", n.cores, what);
    detail::read_key(jn, "workers", n.workers, what);
    detail::read_key(jn, "memory_budget_bytes", n.memory_budget_bytes, what);
    detail::read_key(jn, "chunk_weight", n.chunk_weight, what);
    detail::read_key(jn, "coordinator", n.coordinator, what);
    if (jn.contains("leader")) detail::read_key(jn, "leader", n.leader, what);
    if (jn.contains("ranks")) detail::read_key(jn, "ranks", n.ranks, what);
    if (jn.contains("threads")) detail::read_key(jn, "threads", n.threads, what);
    if (jn.contains("binding")) detail::read_key(jn, "binding", n.binding, what);
    p.nodes.push_back(n);
  }
  detail::read_key(j, "coordinator_computes", p.coordinator_computes, what);
  std::string schedule = "adaptive";
  detail::read_key(j, "schedule", schedule, what);
  std::int64_t fixed = 0;
  p.schedule = parse_schedule(schedule == "fixed" ? "fixed:1" : schedule, &fixed);
  detail::read_key(j, "chunk_size", p.chunk_size, what);
  detail::read_key(j, "min_chunk", p.min_chunk, what);
  detail::read_key(j, "max_chunk", p.max_chunk, what);
  detail::read_key(j, "taper_factor", p.taper_factor, what);
  detail::read_key(j, "adaptation_rate", p.adaptation_rate, what);
  detail::read_key(j, "target_chunk_duration_seconds", p.target_chunk_duration_seconds, what);
  detail::read_key(j, "inflight_per_worker", p.inflight_per_worker, what);
  detail::read_key(j, "reorder_window", p.reorder_window, what);
  detail::read_key(j, "result_buffer_bytes", p.result_buffer_bytes, what);
  detail::read_key(j, "ordered", p.ordered, what);
  detail::read_key(j, "serial", p.serial, what);
  if (j.contains("items") && !j.at("items").is_null()) {
    std::int64_t items = 0;
    detail::read_key(j, "items", items, what);
    p.items = items;
  }
  detail::read_key(j, "item_seconds_mean", p.item_seconds_mean, what);
  if (j.contains("predicted_makespan_seconds") && !j.at("predicted_makespan_seconds").is_null()) {
    double makespan = 0;
    detail::read_key(j, "predicted_makespan_seconds", makespan, what);
    p.predicted_makespan_seconds = makespan;
  }
  if (j.contains("predicted_makespan_interval_seconds") &&
      j.at("predicted_makespan_interval_seconds").is_array() &&
      j.at("predicted_makespan_interval_seconds").size() == 2) {
    const auto& interval = j.at("predicted_makespan_interval_seconds");
    if (interval[0].is_number() && interval[1].is_number()) {
      p.predicted_makespan_low_seconds = interval[0].get<double>();
      p.predicted_makespan_high_seconds = interval[1].get<double>();
    }
  }
  detail::read_key(j, "predicted_serial_seconds", p.predicted_serial_seconds, what);
  detail::read_key(j, "predicted_speedup", p.predicted_speedup, what);
  detail::read_key(j, "predicted_efficiency", p.predicted_efficiency, what);
  detail::read_key(j, "predicted_chunks", p.predicted_chunks, what);
  detail::read_key(j, "coordinator_load", p.coordinator_load, what);
  std::string hierarchy = to_string(p.hierarchy);
  detail::read_key(j, "hierarchy", hierarchy, what);
  p.hierarchy = parse_hierarchy(hierarchy);
  if (j.contains("bind")) {
    std::string bind;
    detail::read_key(j, "bind", bind, what);
    p.bind = parse_bind(bind);
  }
  if (j.contains("cpus_per_worker"))
    detail::read_key(j, "cpus_per_worker", p.cpus_per_worker, what);
  if (p.hierarchy == Hierarchy::automatic)
    throw invalid_argument(what + ": a plan's hierarchy is \"flat\" or \"leaders\", not \"auto\"");
  detail::read_key(j, "reasons", p.reasons, what);
  detail::read_key(j, "warnings", p.warnings, what);
  return p;
}

}  // namespace amorsize
