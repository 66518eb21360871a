#include "amorsize/plan.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "amorsize/error.hpp"
#include "amorsize/schedule.hpp"
#include "format.hpp"

namespace amorsize {
namespace {

// Above this CV, items differ enough that smaller chunks pay for themselves in balance
// (Amorsize enables adaptive chunking above 0.3).
constexpr double kHeterogeneousCv = 0.3;
// A chunk may grow to this multiple of its planned size while adapting (Amorsize's
// MAX_CHUNKSIZE_GROWTH_FACTOR).
constexpr double kMaxChunkGrowth = 4;
// Factoring's batch divisor: FAC2 (Hummel, Schonberg & Flynn 1992) found x = 2 robust when
// the variance is not known precisely; the exact rule only ever raises it.
constexpr double kFactoringX = 2;
// The coordinator shares its node's cores; above this share of one core it gets a core of its
// own instead of also computing.
constexpr double kCoordinatorShareLimit = 0.5;
// Prefetch depth bounds: 2 hides one round trip behind the running chunk; more only helps when
// chunks are shorter than the round trip, and costs balance at the tail.
constexpr int kMinInflight = 2;
// Rounds of chunks of all workers the reorder window holds beyond those in flight (memory
// permitting), for the longest items of heavy-tailed workloads.
constexpr double kStallRounds = 64;
// The planner's own relative error on a makespan, beyond what the sample leaves uncertain
// (message costs, the tail, cores shared with other processes): the spread of first-run
// predictions against measured makespans in bench/first_prediction.sh.
constexpr double kModelError = 0.1;
constexpr int kMaxInflight = 8;

std::int64_t ceil_i64(double x) {
  return static_cast<std::int64_t>(std::ceil(x));
}

// Factoring's exact divisor for R remaining items (Hummel et al. 1992, eq. 8):
// b = P * sigma / (2 sqrt(R) mu), x = 1 + b^2 + b sqrt(b^2 + 2).
double factoring_x(double remaining, double workers, double cv) {
  const double b = workers * cv / (2 * std::sqrt(std::max(remaining, 1.0)));
  return 1 + b * b + b * std::sqrt(b * b + 2);
}

struct Prediction {
  double chunks = 0;
  double last_chunk = 1;
};

// Walks the schedule from the first chunk to the last without adaptation (the planner's
// estimate is the best guess of the item time). Runs of equal chunks are skipped in one step,
// so a billion items cost as little as a thousand.
Prediction predict_chunks(const Plan& p, std::int64_t items) {
  Prediction out;
  ChunkSchedule schedule(p);
  std::int64_t remaining = items;
  std::int64_t previous = -1;
  const double workers = std::max(1, p.workers);
  while (remaining > 0) {
    const std::int64_t c = schedule.next(remaining);
    remaining -= c;
    out.chunks += 1;
    out.last_chunk = double(c);
    if (c == previous && p.schedule != Schedule::fac && p.schedule != Schedule::gss) {
      // The size stays c while the taper bound remaining / (x W) is at least c.
      const double taper = p.schedule == Schedule::adaptive ? p.taper_factor * workers * c : 0;
      const std::int64_t skip = std::max<std::int64_t>(
          0, static_cast<std::int64_t>((double(remaining) - taper) / double(c)) - 1);
      remaining -= skip * c;
      out.chunks += double(skip);
    }
    previous = c;
  }
  return out;
}

std::string bytes_text(double bytes) {
  return detail::human_bytes(bytes);
}

}  // namespace

std::string to_string(Schedule s) {
  switch (s) {
    case Schedule::adaptive:
      return "adaptive";
    case Schedule::fixed:
      return "fixed";
    case Schedule::static_:
      return "static";
    case Schedule::gss:
      return "gss";
    case Schedule::fac:
      return "fac";
  }
  return "adaptive";
}

std::string to_string(Order o) {
  switch (o) {
    case Order::automatic:
      return "auto";
    case Order::ordered:
      return "ordered";
    case Order::unordered:
      return "unordered";
  }
  return "auto";
}

Schedule parse_schedule(const std::string& text, std::int64_t* fixed_chunk) {
  if (text == "auto" || text == "adaptive") return Schedule::adaptive;
  if (text == "static") return Schedule::static_;
  if (text == "gss") return Schedule::gss;
  if (text == "fac") return Schedule::fac;
  if (text.rfind("fixed:", 0) == 0) {
    const std::string n = text.substr(6);
    std::size_t used = 0;
    long long value = 0;
    try {
      value = std::stoll(n, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != n.size() || value < 1)
      throw invalid_argument("bad schedule \"" + text +
                             "\": fixed:N needs a positive integer chunk size");
    if (fixed_chunk) *fixed_chunk = value;
    return Schedule::fixed;
  }
  throw invalid_argument("unknown schedule \"" + text +
                         "\": expected auto, static, gss, fac or fixed:N");
}

std::string to_string(Hierarchy h) {
  switch (h) {
    case Hierarchy::automatic:
      return "auto";
    case Hierarchy::flat:
      return "flat";
    case Hierarchy::leaders:
      return "leaders";
  }
  return "auto";
}

Hierarchy parse_hierarchy(const std::string& text) {
  if (text == "auto") return Hierarchy::automatic;
  if (text == "flat") return Hierarchy::flat;
  if (text == "leaders") return Hierarchy::leaders;
  throw invalid_argument("unknown hierarchy \"" + text + "\": expected auto, flat or leaders");
}

std::string to_string(Bind b) {
  switch (b) {
    case Bind::compact:
      return "compact";
    case Bind::spread:
      return "spread";
    case Bind::none:
      return "none";
  }
  return "compact";
}

Bind parse_bind(const std::string& text) {
  if (text == "compact") return Bind::compact;
  if (text == "spread") return Bind::spread;
  if (text == "none") return Bind::none;
  throw invalid_argument("unknown binding \"" + text + "\": expected compact, spread or none");
}

Order parse_order(const std::string& text) {
  if (text == "auto") return Order::automatic;
  if (text == "ordered") return Order::ordered;
  if (text == "unordered") return Order::unordered;
  throw invalid_argument("unknown order \"" + text + "\": expected auto, ordered or unordered");
}

void PlanOptions::validate() const {
  auto fail = [](const std::string& name, double value, const std::string& expected) {
    std::ostringstream msg;
    msg << "invalid option " << name << " = " << value << " (expected " << expected << ")";
    throw invalid_argument(msg.str());
  };
  auto finite = [](double v) { return std::isfinite(v); };
  if (!finite(target_chunk_duration_seconds) || target_chunk_duration_seconds <= 0)
    fail("target_chunk_duration", target_chunk_duration_seconds, "a positive duration");
  if (min_chunk < 0) fail("min_chunk", double(min_chunk), ">= 0, 0 = automatic");
  if (max_chunk < 0) fail("max_chunk", double(max_chunk), ">= 0, 0 = automatic");
  if (min_chunk > 0 && max_chunk > 0 && min_chunk > max_chunk)
    fail("min_chunk", double(min_chunk), "<= max_chunk (" + std::to_string(max_chunk) + ")");
  if (schedule == Schedule::fixed && fixed_chunk < 1)
    fail("fixed_chunk", double(fixed_chunk), ">= 1 with the fixed schedule");
  if (!finite(memory_threshold) || memory_threshold <= 0 || memory_threshold > 1)
    fail("memory_threshold", memory_threshold, "a fraction in (0, 1]");
  if (!finite(result_buffer_fraction) || result_buffer_fraction <= 0 || result_buffer_fraction >= 1)
    fail("result_buffer_fraction", result_buffer_fraction, "a fraction in (0, 1)");
  if (!finite(adaptation_rate) || adaptation_rate < 0 || adaptation_rate > 1)
    fail("adaptation_rate", adaptation_rate, "a fraction in [0, 1]");
  for (int cap : max_workers_per_node)
    if (cap < 0) fail("max_workers_per_node", cap, ">= 0, 0 = no bound");
  if (inflight_per_worker < 0 || inflight_per_worker > 1024)
    fail("inflight_per_worker", inflight_per_worker, "0 (automatic) to 1024");
  if (!finite(serial_speedup_threshold) || serial_speedup_threshold < 0)
    fail("serial_speedup_threshold", serial_speedup_threshold, ">= 0");
  if (!finite(max_overhead_fraction) || max_overhead_fraction <= 0 || max_overhead_fraction >= 1)
    fail("max_overhead_fraction", max_overhead_fraction, "a fraction in (0, 1)");
  if (!finite(message_seconds) || message_seconds < 0)
    fail("message_seconds", message_seconds, ">= 0");
}

namespace {

// The plan for one hierarchy: flat, or with a leader rank on every node but the coordinator's
// that has two or more workers.
Plan plan_for(WorkloadProfile profile, const Cluster& cluster, const PlanOptions& options,
              bool leaders) {
  options.validate();
  cluster.validate();
  profile.validate_and_complete();

  Plan p;
  const double t = profile.item_seconds_mean;
  const double cv = profile.item_seconds_cv;
  const int threads = static_cast<int>(std::ceil(profile.threads_per_item - 1e-9));
  p.items = profile.items;
  p.item_seconds_mean = t;
  p.adaptation_rate = options.adaptation_rate;
  p.schedule = options.schedule;
  p.bind = options.bind;
  p.cpus_per_worker = std::max(threads, 1);

  // --- workers per node --------------------------------------------------------------------
  double speed_sum = 0;
  for (const auto& node : cluster.nodes) speed_sum += node.speed;
  const double mean_speed = speed_sum / double(cluster.nodes.size());
  bool memory_capped = false, memory_unknown = false;
  for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
    const NodeTopology& node = cluster.nodes[i];
    NodePlan np;
    np.name = node.name;
    np.cores = node.cores;
    np.coordinator = i == 0;
    np.chunk_weight = node.speed / mean_speed;
    np.workers = std::max(1, node.cores / threads);
    if (threads > node.cores)
      p.warnings.push_back("an item uses " + std::to_string(threads) + " threads but node " +
                           node.name + " has " + std::to_string(node.cores) +
                           " cores: one worker, oversubscribed");
    const std::uint64_t usable = node.usable_memory_bytes();
    if (usable > 0)
      np.memory_budget_bytes = std::uint64_t(options.memory_threshold * double(usable));
    if (profile.mem_per_item_bytes > 0) {
      if (usable == 0) {
        memory_unknown = true;
      } else {
        // Results buffered at the coordinator come out of the coordinator node's budget.
        double budget = double(np.memory_budget_bytes);
        if (np.coordinator) budget -= options.result_buffer_fraction * double(usable);
        const auto fit = static_cast<int>(std::floor(budget / profile.mem_per_item_bytes));
        if (fit < np.workers) {
          memory_capped = true;
          if (fit < 1)
            p.warnings.push_back("an item needs " + bytes_text(profile.mem_per_item_bytes) +
                                 " but node " + node.name + " can spare " +
                                 bytes_text(std::max(budget, 0.0)) +
                                 ": one worker, at risk of running out of memory");
          np.workers = std::max(1, fit);
        }
      }
    }
    if (i < options.max_workers_per_node.size() && options.max_workers_per_node[i] > 0 &&
        options.max_workers_per_node[i] < np.workers) {
      np.workers = options.max_workers_per_node[i];
      p.reasons.push_back("node " + node.name + " has " + std::to_string(np.workers) + " worker" +
                          (np.workers == 1 ? "" : "s") + " for " + std::to_string(node.cores) +
                          " cores: that is all the ranks there");
    }
    p.nodes.push_back(np);
  }
  p.hierarchy = Hierarchy::flat;
  if (leaders) {
    for (std::size_t i = 1; i < p.nodes.size(); ++i) {
      if (p.nodes[i].workers < 2) continue;  // a lone worker talks to the coordinator itself
      p.nodes[i].leader = true;
      p.nodes[i].workers -= 1;  // the leader's rank feeds the others and runs no items
      p.hierarchy = Hierarchy::leaders;
    }
  }
  if (threads > 1)
    p.reasons.push_back("each item keeps " + std::to_string(threads) +
                        " cores busy, so each node runs cores / " + std::to_string(threads) +
                        " workers");
  if (memory_capped)
    p.reasons.push_back("memory caps workers: " + bytes_text(profile.mem_per_item_bytes) +
                        " per item against " + detail::percent(options.memory_threshold) +
                        " of usable memory");
  if (memory_unknown)
    p.warnings.push_back("memory per item is " + bytes_text(profile.mem_per_item_bytes) +
                         " but some nodes' memory is unknown: workers are not capped by memory");

  const double total_core_speed =
      std::accumulate(cluster.nodes.begin(), cluster.nodes.end(), 0.0,
                      [](double acc, const NodeTopology& n) { return acc + n.cores * n.speed; });
  const double latency = cluster.latency_seconds;
  const double bandwidth = cluster.bandwidth_bytes_per_second;
  const double per_item_overhead =
      profile.serialize_seconds + (profile.bytes_in + profile.bytes_out) / bandwidth;
  const double item_cost = t + per_item_overhead;
  const double msg = options.message_seconds;
  const double item_max = std::max(profile.item_seconds_max, t);

  // The plan is computed twice at most: if the coordinator turns out too busy to also compute,
  // its core is taken out of the worker pool and the numbers are worked out again.
  const std::size_t reasons_mark = p.reasons.size(), warnings_mark = p.warnings.size();
  for (int pass = 0; pass < 2; ++pass) {
    const int workers = std::accumulate(p.nodes.begin(), p.nodes.end(), 0,
                                        [](int acc, const NodePlan& n) { return acc + n.workers; });
    p.workers = workers;
    const double w = workers;
    // Who sends the coordinator messages: every worker (flat), or one leader per led node.
    // A leader's batch carries a chunk for each of its workers, so the coordinator handles
    // `units / w` of the messages a flat coordinator would; each leader handles its node's.
    double units = 0, led_workers = 0;
    for (const auto& n : p.nodes) {
      units += n.leader ? 1 : n.workers;
      if (n.leader) led_workers = std::max(led_workers, double(n.workers));
    }
    const double coordinator_share = units / std::max(w, 1.0);

    // --- chunk bounds ------------------------------------------------------------------------
    // Smallest chunk: its message costs stay under max_overhead_fraction of its compute at the
    // worker, and the coordinator (one message per chunk from every worker) stays under
    // kCoordinatorShareLimit of a core.
    std::int64_t min_chunk =
        std::max<std::int64_t>({1, ceil_i64(msg / (options.max_overhead_fraction * t)),
                                ceil_i64(units * msg / (kCoordinatorShareLimit * t)),
                                ceil_i64(led_workers * msg / (kCoordinatorShareLimit * t))});
    double target_seconds = options.target_chunk_duration_seconds;
    if (cv > kHeterogeneousCv) target_seconds /= 1 + cv;
    std::int64_t target = std::max<std::int64_t>(1, std::llround(target_seconds / t));
    std::int64_t max_chunk = std::max<std::int64_t>(ceil_i64(kMaxChunkGrowth * double(target)), 1);
    if (p.items && *p.items > 0)
      max_chunk = std::min<std::int64_t>(max_chunk, ceil_i64(double(*p.items) / w));
    if (options.min_chunk > 0) min_chunk = options.min_chunk;
    if (options.max_chunk > 0) max_chunk = options.max_chunk;
    min_chunk = std::min(min_chunk, std::max<std::int64_t>(max_chunk, 1));
    max_chunk = std::max(max_chunk, min_chunk);
    p.min_chunk = min_chunk;
    p.max_chunk = max_chunk;
    p.target_chunk_duration_seconds = target_seconds;
    p.taper_factor = kFactoringX;
    if (p.items && *p.items > 0)
      p.taper_factor = std::max(kFactoringX, factoring_x(double(*p.items), w, cv));

    switch (p.schedule) {
      case Schedule::fixed:
        p.chunk_size = p.min_chunk = p.max_chunk = options.fixed_chunk;
        break;
      case Schedule::static_:
        if (!p.items) throw invalid_argument("the static schedule needs a known number of items");
        p.chunk_size = p.min_chunk = p.max_chunk =
            std::max<std::int64_t>(1, ceil_i64(double(*p.items) / w));
        break;
      case Schedule::gss:
      case Schedule::fac:
      case Schedule::adaptive: {
        ChunkSchedule probe(p);
        p.chunk_size = probe.next(p.items);
        if (p.schedule != Schedule::adaptive) p.min_chunk = 1;
        if (p.schedule != Schedule::adaptive) p.max_chunk = std::max(p.chunk_size, p.min_chunk);
        break;
      }
    }

    // --- prefetch ----------------------------------------------------------------------------
    const double chunk_seconds = double(p.chunk_size) * item_cost;
    const double round_trip =
        2 * latency + double(p.chunk_size) * (profile.bytes_in + profile.bytes_out) / bandwidth;
    // The baseline schedules keep their classic form: a worker asks for its next chunk when it
    // has finished the last one. Prefetching would hand a guided or static worker two of the
    // largest chunks at once.
    p.inflight_per_worker =
        options.inflight_per_worker > 0 ? options.inflight_per_worker
        : p.schedule != Schedule::adaptive
            ? 1
            : std::clamp(
                  1 + static_cast<int>(std::ceil(round_trip / std::max(chunk_seconds, 1e-12))),
                  kMinInflight, kMaxInflight);

    // --- delivery order and reorder window ---------------------------------------------------
    // Results wait at the coordinator while an earlier chunk is still running. Enough room for
    // every outstanding chunk, times the spread between a slow chunk and a typical one, keeps
    // workers busy; the room must fit the result buffer.
    const double outstanding = w * p.inflight_per_worker;
    const double spread = profile.item_seconds_p95 / t;
    // ... and room for kStallRounds rounds of every worker's chunks beyond that, so that one
    // item up to kStallRounds chunks long (a heavy tail's longest, which a sample rarely
    // sees) does not stop the others: at 1,024 simulated ranks, Pareto items of 10 ms with
    // the p95-sized window alone reached 0.876 efficiency.
    const double wanted =
        std::max(std::ceil(outstanding * (1 + spread)), kStallRounds * outstanding);
    const double result_bytes_per_chunk = double(p.max_chunk) * std::max(profile.bytes_out, 1.0);
    const std::uint64_t coordinator_usable = cluster.nodes.front().usable_memory_bytes();
    double fit = wanted;
    if (coordinator_usable > 0) {
      p.result_buffer_bytes =
          std::uint64_t(options.result_buffer_fraction * double(coordinator_usable));
      fit = std::min(wanted, std::floor(double(p.result_buffer_bytes) / result_bytes_per_chunk));
    }
    const double needed = outstanding + w;  // one extra chunk per worker beyond those in flight
    bool ordered = true;
    if (options.order == Order::unordered) {
      ordered = false;
      p.reasons.push_back("unordered delivery, as asked");
    } else if (options.order == Order::ordered) {
      if (fit < needed)
        p.warnings.push_back("ordered delivery with room for only " +
                             std::to_string(std::int64_t(fit)) +
                             " chunks of results: workers will wait for slow chunks");
      p.reasons.push_back("ordered delivery, as asked");
    } else if (fit < needed) {
      ordered = false;
      p.reasons.push_back("unordered delivery: keeping results in order would need " +
                          bytes_text(needed * result_bytes_per_chunk) + ", more than the " +
                          bytes_text(double(p.result_buffer_bytes)) + " result buffer (" +
                          detail::percent(options.result_buffer_fraction) + " of memory)");
    } else {
      p.reasons.push_back("ordered delivery: a reorder window of " +
                          std::to_string(std::int64_t(fit)) + " chunks (" +
                          bytes_text(fit * result_bytes_per_chunk) +
                          " at most) keeps every worker busy");
    }
    p.ordered = ordered;
    p.reorder_window = ordered ? std::max<std::int64_t>(1, std::int64_t(fit)) : 0;

    // --- prediction --------------------------------------------------------------------------
    const double worker_speed =
        std::accumulate(p.nodes.begin(), p.nodes.end(), 0.0, [&](double acc, const NodePlan& n) {
          return acc + n.workers * n.chunk_weight * mean_speed;
        });
    // Round trips hide behind the running chunk when a worker holds two or more.
    const double per_chunk_worker =
        msg + (p.inflight_per_worker >= 2 && chunk_seconds >= round_trip ? 0 : round_trip);
    const double startup = 2 * latency * std::ceil(std::log2(w + 1)) + outstanding * msg;
    if (p.items) {
      const auto n = double(*p.items);
      const Prediction chunks = n > 0 ? predict_chunks(p, *p.items) : Prediction{};
      p.predicted_chunks = chunks.chunks;
      const double coordinator_busy = chunks.chunks * coordinator_share * msg;
      // The busiest leader handles a message per chunk of its node's.
      const double leader_busy = chunks.chunks * led_workers / std::max(w, 1.0) * msg;
      const double work = n * item_cost + chunks.chunks * per_chunk_worker;
      double capacity = worker_speed;
      // The coordinator's own share comes off the compute capacity when its rank computes.
      const double coordinator_seconds_guess = work / std::max(capacity, 1e-12);
      p.coordinator_load =
          coordinator_seconds_guess > 0 ? coordinator_busy / coordinator_seconds_guess : 0;
      // The coordinator's own share comes off the compute capacity when its rank computes, and
      // also when it only coordinates but its node's workers take every core there: its
      // thread then runs on one of theirs.
      const bool coordinator_shares =
          p.coordinator_computes || p.nodes.front().workers >= p.nodes.front().cores;
      if (coordinator_shares) capacity -= std::min(p.coordinator_load, 1.0);
      // The last chunks end unevenly: half a chunk on average, plus the spread of a chunk's
      // time across workers (the expected maximum of W normal deviations ~ sqrt(2 ln W)).
      const double tail =
          0.5 * chunks.last_chunk * t +
          cv * t * std::sqrt(chunks.last_chunk) * std::sqrt(2 * std::log(std::max(w, 2.0)));
      const double makespan = n > 0 ? std::max({work / std::max(capacity, 1e-12) + tail,
                                                coordinator_busy, leader_busy, item_max}) +
                                          startup
                                    : 0;
      p.predicted_makespan_seconds = makespan;
      // The 80% interval: z = 1.2816 times the relative standard error of the mean item time
      // (sampled: CV / sqrt(items); from history: none) and the model's error (kModelError,
      // bench/first_prediction.sh), combined in quadrature.
      const double sampled = profile.item_seconds_mean_error > 0 ? profile.item_seconds_mean_error
                             : profile.sample_count > 0
                                 ? cv / std::sqrt(double(profile.sample_count))
                                 : 0.0;
      const double spread = 1.2816 * std::sqrt(sampled * sampled + kModelError * kModelError);
      p.predicted_makespan_low_seconds = makespan * std::max(0.0, 1 - spread);
      p.predicted_makespan_high_seconds = makespan * (1 + spread);
      p.predicted_serial_seconds = n * t;
      const double lower_bound = std::max(n * t * threads / total_core_speed, n > 0 ? item_max : 0);
      p.predicted_speedup = makespan > 0 ? p.predicted_serial_seconds / makespan : 1;
      p.predicted_efficiency = makespan > 0 ? lower_bound / makespan : 1;
    } else {
      const double per_item = item_cost + per_chunk_worker / double(p.chunk_size);
      const double rate = worker_speed / per_item;  // items per second, all workers
      p.coordinator_load = rate / double(p.chunk_size) * coordinator_share * msg;
      const double capacity =
          worker_speed - (p.coordinator_computes ? std::min(p.coordinator_load, 1.0) : 0);
      p.predicted_makespan_seconds.reset();
      p.predicted_makespan_low_seconds.reset();
      p.predicted_makespan_high_seconds.reset();
      p.predicted_serial_seconds = t;
      p.predicted_speedup = capacity / per_item * t;
      p.predicted_efficiency = p.predicted_speedup * threads / total_core_speed;
      p.predicted_chunks = 0;
    }

    if (pass == 0 && p.coordinator_load > kCoordinatorShareLimit && p.nodes.front().workers > 1) {
      p.nodes.front().workers -= 1;
      p.coordinator_computes = false;
      p.reasons.resize(reasons_mark);
      p.warnings.resize(warnings_mark);
      continue;
    }
    break;
  }

  // Reasons: the order in which a reader asks "how many, how big, which order, does it pay".
  std::vector<std::string> why;
  why.push_back(p.coordinator_computes
                    ? "the coordinator is predicted to use " + detail::percent(p.coordinator_load) +
                          " of a core, so its rank also computes"
                    : "the coordinator is predicted to use " + detail::percent(p.coordinator_load) +
                          " of a core, so it gets a core of its own");
  {
    std::ostringstream s;
    s << "items take " << detail::human_seconds(t) << " on average (CV " << std::fixed
      << std::setprecision(2) << cv << ", " << profile.source << ")";
    why.push_back(s.str());
  }
  if (p.schedule == Schedule::adaptive) {
    why.push_back("chunks aim at " + detail::human_seconds(p.target_chunk_duration_seconds) +
                  (cv > kHeterogeneousCv ? " (the 0.2 s target shortened for uneven items)" : "") +
                  " and never fall below " + std::to_string(p.min_chunk) +
                  (p.min_chunk == 1 ? " item" : " items") + ", where message costs would pass " +
                  detail::percent(options.max_overhead_fraction));
    if (p.items)
      why.push_back("chunks shrink towards the end (remaining / (" +
                    detail::fixed(p.taper_factor, 1) +
                    " x workers)) so all workers finish together");
    else
      why.push_back("the source is unbounded: no tail to taper, chunk sizes follow measured times");
  } else {
    why.push_back("the " + to_string(p.schedule) + " schedule, as asked");
  }
  why.insert(why.end(), p.reasons.begin(), p.reasons.end());
  p.reasons = std::move(why);

  const bool nothing = p.items && *p.items == 0;
  if (nothing) {
    p.serial = true;
    p.reasons.push_back("there are no items");
  } else if (p.workers <= 1) {
    p.serial = true;
    p.reasons.push_back("one worker: run serially");
  } else if (p.predicted_speedup < options.serial_speedup_threshold) {
    p.serial = true;
    p.reasons.push_back("run serially: the predicted speedup " +
                        detail::fixed(p.predicted_speedup, 2) + "x is below " +
                        detail::fixed(options.serial_speedup_threshold, 2) +
                        "x, so parallel start-up and messages do not pay");
  }
  return p;
}

}  // namespace

Plan plan(WorkloadProfile profile, const Cluster& cluster, const PlanOptions& options) {
  const auto led = [](const Plan& p) {
    return std::any_of(p.nodes.begin(), p.nodes.end(), [](const NodePlan& n) { return n.leader; });
  };
  if (options.hierarchy == Hierarchy::flat) {
    Plan p = plan_for(profile, cluster, options, false);
    p.reasons.push_back("flat: the coordinator feeds every worker, as asked");
    return p;
  }
  Plan lead = plan_for(profile, cluster, options, true);
  if (options.hierarchy == Hierarchy::leaders) {
    if (led(lead))
      lead.reasons.push_back("node leaders, as asked: one rank on each other node feeds the rest");
    else
      lead.warnings.push_back(
          "node leaders asked, but no node besides the coordinator's has two workers: flat");
    return lead;
  }
  Plan flat = plan_for(profile, cluster, options, false);
  if (!led(lead)) return flat;  // one node, or nodes of one worker: nothing to lead
  // Leaders cost a core per node; they pay when the flat coordinator's messages force chunks
  // so large (or keep it so busy) that the predicted efficiency drops by more than that.
  const std::string versus = "predicted efficiency " + detail::fixed(lead.predicted_efficiency, 2) +
                             " with node leaders against " +
                             detail::fixed(flat.predicted_efficiency, 2) + " flat";
  constexpr double kMargin = 0.01;  // prefer the simpler protocol when the two are close
  if (lead.predicted_efficiency > flat.predicted_efficiency + kMargin) {
    lead.reasons.push_back(
        "node leaders: a flat coordinator would handle " + std::to_string(flat.workers) +
        " workers' messages (" + detail::percent(flat.coordinator_load) +
        " of a core, chunks of at least " + std::to_string(flat.min_chunk) + "); " + versus);
    return lead;
  }
  flat.reasons.push_back("flat: the coordinator keeps up with " + std::to_string(flat.workers) +
                         " workers (" + detail::percent(flat.coordinator_load) + " of a core); " +
                         versus + " (a leader takes a core on each node)");
  return flat;
}

std::string Plan::explain() const {
  std::ostringstream out;
  const auto node_count = nodes.size();
  int cores = 0;
  for (const auto& n : nodes) cores += n.cores;
  if (serial) {
    out << "Run serially: parallel execution does not pay for this workload.\n";
  } else {
    out << "Run " << workers << " worker" << (workers == 1 ? "" : "s") << " on " << node_count
        << " node" << (node_count == 1 ? "" : "s") << " (" << cores << " cores); the coordinator "
        << (coordinator_computes ? "also computes" : "has a core of its own") << ".\n";
    const auto led =
        std::count_if(nodes.begin(), nodes.end(), [](const NodePlan& n) { return n.leader; });
    if (led > 0)
      out << "Node leaders: on " << led << " node" << (led == 1 ? "" : "s")
          << ", one rank takes batches of chunks from the coordinator and feeds the others.\n";
    // Where the runtime placed them (up to 8 nodes; the JSON has every node).
    for (std::size_t i = 0; i < nodes.size() && i < 8; ++i) {
      const auto& n = nodes[i];
      if (n.ranks == 0) continue;
      out << "  " << n.name << ": " << n.workers << " worker" << (n.workers == 1 ? "" : "s")
          << " on " << n.ranks << " rank" << (n.ranks == 1 ? "" : "s");
      if (n.threads > 0) out << " (" << n.threads << " as threads)";
      if (!n.binding.empty()) out << ", bound " << to_string(bind) << " to CPUs " << n.binding;
      out << "\n";
    }
  }
  out << "Chunks: " << to_string(schedule) << " schedule, first chunk " << chunk_size << " item"
      << (chunk_size == 1 ? "" : "s") << " (~"
      << detail::human_seconds(double(chunk_size) * item_seconds_mean) << "), bounds " << min_chunk
      << ".." << max_chunk << "; each worker holds " << inflight_per_worker << " chunk"
      << (inflight_per_worker == 1 ? "" : "s") << ".\n";
  if (ordered)
    out << "Delivery: in order, reorder window " << reorder_window << " chunks.\n";
  else
    out << "Delivery: as results arrive (unordered).\n";
  if (predicted_makespan_seconds) {
    out << "Predicted: " << detail::human_seconds(*predicted_makespan_seconds);
    if (predicted_makespan_low_seconds && predicted_makespan_high_seconds)
      out << " (80%: " << detail::human_seconds(*predicted_makespan_low_seconds) << " to "
          << detail::human_seconds(*predicted_makespan_high_seconds) << ")";
    out << " against " << detail::human_seconds(predicted_serial_seconds) << " serially: speedup "
        << detail::fixed(predicted_speedup, 1) << "x, efficiency "
        << detail::fixed(predicted_efficiency, 2) << ", about " << std::llround(predicted_chunks)
        << " chunks.\n";
  } else {
    out << "Predicted: " << detail::fixed(predicted_speedup, 1) << "x the serial rate, efficiency "
        << detail::fixed(predicted_efficiency, 2) << " (unbounded source).\n";
  }
  out << "Why:\n";
  for (const auto& r : reasons) out << "  - " << r << "\n";
  if (!warnings.empty()) {
    out << "Warnings:\n";
    for (const auto& w : warnings) out << "  ! " << w << "\n";
  }
  return out.str();
}

}  // namespace amorsize
