#include "coordinator.hpp"

#include <algorithm>
#include <random>

#include "../format.hpp"
#include "amorsize/workload.hpp"
#include "chunk_runner.hpp"
#include "clock.hpp"
#include "ending.hpp"
#include "platform.hpp"

namespace amorsize::detail {

// The coordinator reads its node's memory between messages, not after chunks: this often.
constexpr std::chrono::microseconds kCoordinatorMemoryInterval{10000};

void Coordinator::Route::send(int rank, wire::Tag tag, std::vector<char> message) {
  if (rank == 0) {
    local_->push(std::move(message));
  } else {
    transport_.send(rank, tag, std::move(message));
  }
}

Coordinator::Coordinator(Transport& transport, Codec& codec, const RunOptions& options,
                         Layout layout, Clocks clocks, double start)
    : transport_(transport),
      codec_(codec),
      options_(options),
      size_(transport.size()),
      layout_(std::move(layout)),
      clocks_(std::move(clocks)),
      start_(start),
      cpu_start_(thread_cpu_seconds()),
      messages_before_(transport.sent() + transport.received()),
      received_at_start_(transport.received_not_done()),
      source_(codec),
      reorder_([this](std::int64_t first, std::int64_t count, const std::vector<char>& results,
                      const std::vector<Failure>& failures) {
        deliver(first, count, results, failures);
      }),
      returned_([&codec](const char* data, std::size_t size, std::int64_t n) {
        return codec.item_bytes(data, size, n);
      }),
      pressure_(layout_.nodes.size(),
                PressureRules{options.memory_warn_seconds, options.memory_release_seconds}),
      memory_(options, 0, kCoordinatorMemoryInterval),
      route_(transport, local_),
      busy_(layout_.nodes.size(), 0.0),
      speeds_(layout_.nodes.size()) {}

double Coordinator::now() const {
  return node_clock_seconds() - start_;
}

RunReport Coordinator::run() {
  try {
    work();
  } catch (...) {
    fail(std::current_exception());
  }
  end();
  if (failure_) std::rethrow_exception(failure_);
  finish_report();
  return report_;
}

void Coordinator::work() {
  if (options_.recorder && !options_.features.empty())
    options_.recorder->on_features(options_.features);
  if (options_.profile) {
    profile_ = *options_.profile;
    profile_.items = codec_.size();
  } else {
    sample();
  }
  make_plan();
  report_.plan_seconds = now();
  for (const auto& n : layout_.nodes) report_.cores += n.cores;
  const bool sampled_all = source_.exhausted() || stopped_;
  if (!sampled_all && plan_.serial && options_.allow_serial) run_serially();
  if (!(source_.exhausted() || stopped_) && !(plan_.serial && options_.allow_serial))
    run_parallel();
}

// An error outside an item, here or (kAbort) on another rank: the run ends on every rank.
void Coordinator::fail(std::exception_ptr failure) {
  if (options_.on_error == OnError::abort) transport_.abort(1);
  if (failure_) return;
  failure_ = failure;
  try {
    std::rethrow_exception(failure);
  } catch (const remote_failure& f) {
    verdict_ = {f.rank(), f.reason()};
  } catch (...) {
    verdict_ = {0, remote_failure::reason_of(0, describe(failure))};
  }
}

// Every rank gets its last message from rank 0 (kStop, or kAbort after a failure), answers
// kDone, and gets the verdict; what still arrives meanwhile (results, hand-backs) is dropped.
void Coordinator::end() {
  if (local_) {  // its threads finish the chunks they have begun
    local_->cancel();
    local_.reset();
  }
  const bool led = std::any_of(leader_of_.begin(), leader_of_.end(), [](int l) { return l >= 0; });
  if (!failure_ && !led) {
    end_by_tree();
    return;
  }
  for (int r = 1; r < size_; ++r) {
    const int leader = leader_of_.empty() ? -1 : leader_of_[std::size_t(r)];
    if (failure_) {
      transport_.send(r, wire::Tag::kAbort, wire::encode(wire::Abort{leader, verdict_.message}));
    } else if (leader < 0) {  // a leader stops the ranks it feeds
      transport_.send(r, wire::Tag::kStop, wire::encode_empty());
    }
  }
  std::vector<bool> done(std::size_t(size_), false);
  int left = size_ - 1;
  PoliteWait wait(PoliteWait::kCoordinator, 1e-3);
  Message m;
  while (left > 0) {
    if (!transport_.poll(m)) {
      wait.idle();
      continue;
    }
    wait.reset();
    if (m.tag == wire::Tag::kDone && !done[std::size_t(m.source)]) {
      done[std::size_t(m.source)] = true;
      --left;
    }
    if (m.tag == wire::Tag::kAbort && !failure_)  // a rank failed after its last chunk
      fail(std::make_exception_ptr(remote_failure(m.source, wire::decode_abort(m.bytes).message)));
  }
  for (int r = 1; r < size_; ++r) transport_.send(r, wire::Tag::kVerdict, wire::encode(verdict_));
  transport_.flush();
}

// The ending tree (ending.hpp): kEnd to rank 0's children, their kDone with the count of
// messages every other rank sent here, every one of those taken, then the verdict down.
void Coordinator::end_by_tree() {
  TreeDones dones(0, size_);
  for (int child : dones.children()) transport_.send(child, wire::Tag::kEnd, wire::encode_empty());
  PoliteWait wait(PoliteWait::kEnding);
  Message m;
  while (!dones.all_in() ||
         transport_.received_not_done() - received_at_start_ < dones.sent_to_root()) {
    if (!transport_.poll(m)) {
      wait.idle();
      continue;
    }
    wait.reset();
    if (!dones.take(m) && m.tag == wire::Tag::kAbort && !failure_)  // failed after its last chunk
      fail(std::make_exception_ptr(remote_failure(m.source, wire::decode_abort(m.bytes).message)));
  }
  for (int child : dones.children())
    transport_.send(child, wire::Tag::kVerdict, wire::encode(verdict_));
  transport_.flush();
}

// While sampling, each rank runs one item at a time on its own thread (rank 0 its sample,
// the others probes): each gets a CPU of its node, as a worker would. Returns rank 0's.
std::vector<int> Coordinator::bind_for_sampling() {
  Assignment a;
  for (int r = 1; r < size_; ++r) a.direct.push_back({r, layout_.node_of_rank[std::size_t(r)], 1});
  a.threads = 1;
  const Bindings b = bind_workers(a, layout_, size_, options_.plan.bind, 1);
  for (int r = 1; r < size_; ++r) {
    const auto& cpus = b.of_rank[std::size_t(r)];
    if (cpus.empty()) continue;
    transport_.send(r, wire::Tag::kShare,
                    wire::encode(wire::Share{1, {{cpus.front().begin(), cpus.front().end()}}}));
  }
  return b.of_rank[0].empty() ? std::vector<int>() : b.of_rank[0].front();
}

// Rank 0's sampled items run on a thread of its own where threads may compute, as probes
// through route_, so rank 0 answers the other ranks' probes while one runs (run inline, an
// item held every other rank's next probe until it ended: at -np 2 a 20 ms task left the other
// core idle). Under SMPI, rank 0's thread runs them between messages.
void Coordinator::sample() {
  phase_ = Phase::kSampling;
  own_cpus_ = bind_for_sampling();
  sampler_.emplace(
      options_, layout_, size_, source_, pressure_, route_, [this] { return now(); },
      [this] { return stopped_; });
  Sampler& sampler = *sampler_;
  const bool pool = sampler.rank0_samples() && platform::threads_may_compute();
  std::optional<BoundThread> bound;  // rank 0's thread, when it runs sampled items itself
  if (pool) {
    std::vector<std::vector<int>> cpus;
    if (!own_cpus_.empty()) cpus.push_back(own_cpus_);
    local_ = std::make_unique<LocalPool>(codec_, 1, false, std::move(cpus));
    sampler.probe_rank0();
  } else {
    bound.emplace(own_cpus_);
  }
  const std::int64_t strata = spread_sample();
  sampler.set_spread(strata);
  PoliteWait wait(PoliteWait::kCoordinator, options_.sample_budget_seconds);
  const auto take_messages = [&] {
    if (!pump()) return false;
    sampler.send_probes();  // ranks the measured memory lets in
    wait.set_chunk(sampler.mean_item_seconds());
    return true;
  };
  sampler.send_probes();
  while (!sampler.enough()) {
    check_drain();
    if (stopped_ || (source_.exhausted() && sampler.probes_out() == 0)) break;
    const bool progress = take_messages();
    if (sampler.enough()) break;
    if (pool || !sampler.rank0_samples() || source_.exhausted() || !sampler.has_room()) {
      progress ? wait.reset() : wait.idle();
      continue;
    }
    if (auto item = sampler.run_local()) {
      std::int64_t first = item->header.first;
      to_source(first, item->failures);
      account(0, item->header, item->failures);
      record_items(first, 1, {item->header.compute_seconds}, item->failures);
      reorder_.accept(first, 1, std::move(item->results), std::move(item->failures), 0);
    }
  }
  while (sampler.probes_out() > 0) take_messages() ? wait.reset() : wait.idle();
  local_.reset();                          // its thread has nothing left
  if (strata > 0) codec_.start_first({});  // the strata not sampled go in the source's order
  report_.sampled = sampler.done();
  sampler.fill(profile_);
  profile_.items = source_.left();
}

// RunOptions::sample_spread: the items sampled come from the whole source. Its 2^b strata
// (at most kStrata, at most half the items) are visited in a scrambled van der Corput order
// (Owen's scrambling: each level of the binary subdivision flips at random, per branch), so
// that the first 2^j items sampled, for every j, fall one in each 2^j-th of the source, each
// at a random place inside it: evenly spaced picks would alias with a period in the items (the
// demo's task times repeat every 25.3 tasks, and picks 50 apart saw only its short ones).
// A larger sample takes rounds of the strata: the m-th round the item m after each first pick,
// so each stratum holds one block of the source, at a random place in it. The sample then
// leaves at most kStrata holes in the source, and the chunks read forward after it, which
// stop at a hole, stay long (512 single picks cut 4,000 items into chunks of 7).
// Returns the sample's most items (a power of two), or 0 when the sample is not spread: that
// needs a known size and a source with at(index).
std::int64_t Coordinator::spread_sample() {
  constexpr std::int64_t kStrata = 64;
  const std::optional<std::int64_t> n = codec_.size();
  if (!options_.sample_spread || !n) return 0;
  const auto power_of_two_to = [](std::int64_t most) {
    int bits = 0;
    while ((std::int64_t(2) << bits) <= most) ++bits;
    return bits;
  };
  const std::int64_t most = std::min<std::int64_t>(std::max(1, options_.sample_max_items), *n / 2);
  const int bits = power_of_two_to(std::min(most, kStrata));
  const std::int64_t strata = std::int64_t(1) << bits;
  if (strata < std::max(2, options_.sample_min_items)) return 0;
  // Rounds: as many as the sample may take, each stratum at most half full.
  const std::int64_t rounds = std::int64_t(1)
                              << power_of_two_to(std::min(most / strata, *n / strata / 2));
  // A new draw every run: a fixed one would repeat its luck on every run of a workload.
  // uniform01(seed, i, stream): stream 0 flips the subdivisions, stream 1 places the blocks.
  const std::uint64_t seed =
      (std::uint64_t(std::random_device{}()) << 32) ^ std::uint64_t(std::random_device{}());
  std::vector<std::int64_t> starts;
  for (std::int64_t k = 0; k < strata; ++k) {
    std::int64_t stratum = 0;
    std::uint64_t branch = 1;  // the path taken so far, as a node number of the binary tree
    for (int level = 0; level < bits; ++level) {
      const std::int64_t flip = uniform01(seed, branch, 0) < 0.5 ? 1 : 0;
      const std::int64_t digit = ((k >> level) & 1) ^ flip;
      stratum = 2 * stratum + digit;
      branch = 2 * branch + std::uint64_t(digit);
    }
    const std::int64_t from = *n * stratum / strata, to = *n * (stratum + 1) / strata;
    const std::int64_t room = to - from - rounds + 1;  // where a block of `rounds` fits
    const auto offset = std::int64_t(uniform01(seed, std::uint64_t(k), 1) * double(room));
    starts.push_back(from + std::min(offset, room - 1));
  }
  std::vector<std::int64_t> indices;
  for (std::int64_t m = 0; m < rounds; ++m)
    for (std::int64_t start : starts) indices.push_back(start + m);
  return codec_.start_first(indices) ? strata * rounds : 0;
}

void Coordinator::make_plan() {
  Cluster cluster;
  cluster.nodes = layout_.nodes;
  cluster.latency_seconds = options_.latency_seconds.value_or(clocks_.latency);
  if (options_.bandwidth_bytes_per_second)
    cluster.bandwidth_bytes_per_second = *options_.bandwidth_bytes_per_second;
  if (options_.recorder) options_.recorder->on_nodes(layout_.nodes);
  // Every rank runs its share of its node's workers, as threads beyond the first, so a node
  // may have more workers than ranks. Not where threads may not compute (SMPI), nor on a node
  // with a leader, which feeds its ranks one item at a time each.
  const bool threads = platform::threads_may_compute();
  const auto plan_for = [&](bool workers_are_ranks) {
    PlanOptions plan_options = options_.plan;
    plan_options.max_workers_per_node.assign(layout_.nodes.size(), 0);
    if (workers_are_ranks) {
      for (std::size_t n = 1; n < layout_.nodes.size(); ++n)
        plan_options.max_workers_per_node[n] = layout_.ranks_on_node[n];
      if (!threads)
        plan_options.max_workers_per_node[0] = std::max(1, layout_.ranks_on_node[0] - 1);
    }
    return amorsize::plan(profile_, cluster, plan_options);
  };
  plan_ = plan_for(!threads);
  if (threads && plan_.hierarchy == Hierarchy::leaders) plan_ = plan_for(true);
  const int worker_ranks_here = layout_.ranks_on_node[0] - 1;
  if (plan_.coordinator_computes && size_ > 1 && worker_ranks_here >= plan_.nodes[0].workers) {
    plan_.coordinator_computes = false;
    plan_.reasons.front() =
        "the coordinator's rank only coordinates: " +
        std::string(worker_ranks_here == 1 ? "the other rank" : "the ") +
        (worker_ranks_here == 1 ? "" : std::to_string(worker_ranks_here) + " other ranks") +
        " on its node keep" + (worker_ranks_here == 1 ? "s" : "") + " its cores busy";
  }
  if (!options_.profile_reason.empty())
    plan_.reasons.insert(plan_.reasons.begin() + 1, options_.profile_reason);
  plan_.warnings.insert(plan_.warnings.begin(), layout_.warnings.begin(), layout_.warnings.end());
  count_time_so_far();
  place_workers();
  reorder_.set_ordered(plan_.ordered);
  if (!plan_.ordered) reorder_.release();  // sampled items held for their turn go out now
  start_heavy_items_first();
  if (options_.recorder) options_.recorder->on_plan(plan_);
}

// The plan predicts the items left; the run's makespan also holds what came before the plan
// (start-up, and the sample, whose items are done and measured), so that time is added to the
// prediction and its interval, and the sampled work to the serial time.
void Coordinator::count_time_so_far() {
  if (!plan_.predicted_makespan_seconds) return;
  const double so_far = now();
  *plan_.predicted_makespan_seconds += so_far;
  if (plan_.predicted_makespan_low_seconds) *plan_.predicted_makespan_low_seconds += so_far;
  if (plan_.predicted_makespan_high_seconds) *plan_.predicted_makespan_high_seconds += so_far;
  const double sampled = profile_.item_seconds_mean * double(profile_.sample_count);
  plan_.predicted_serial_seconds += sampled;
  plan_.predicted_speedup = plan_.predicted_serial_seconds / *plan_.predicted_makespan_seconds;
  if (report_.sampled > 0 && so_far > 0)
    plan_.reasons.push_back("the prediction counts the " + human_seconds(so_far) +
                            " before the plan, " + std::to_string(report_.sampled) +
                            " sampled items included");
}

// RunOptions::heavy_items: the candidates that would finish late in the source's order start
// first, longest first (see RunOptions). Once, before the first item goes out.
void Coordinator::start_heavy_items_first() {
  constexpr double kLate = 1.02;
  if (first_items_chosen_ || options_.heavy_items.empty() || !options_.profile ||
      source_.next() != 0)
    return;
  first_items_chosen_ = true;
  const double workers = std::max(1, plan_.serial ? 1 : plan_.workers);
  double longest = 0;
  for (const auto& h : options_.heavy_items) longest = std::max(longest, h.seconds);
  const double makespan = std::max(options_.predicted_work_seconds / workers, longest);
  // Started in order, an item starts about when the work before it is done, work_before /
  // workers; it is late when it would end past the predicted makespan (2% allowed: every
  // item near the end ends a little past the average).
  std::vector<RunOptions::HeavyItem> late;
  for (const auto& h : options_.heavy_items)
    if (h.seconds > 0 && h.work_before / workers + h.seconds > kLate * makespan) late.push_back(h);
  if (late.empty()) return;
  std::sort(late.begin(), late.end(),
            [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
  std::int64_t limit = std::max<std::int64_t>(0, options_.max_first_items);
  std::string bound = "at most " + std::to_string(limit);
  if (plan_.ordered && !plan_.serial) {
    // Each holds its place in the reorder window until the source's order reaches it.
    const std::int64_t half = std::max<std::int64_t>(1, plan_.reorder_window / 2);
    if (half < limit) {
      limit = half;
      bound = "half the reorder window";
    }
  }
  const std::size_t dropped = late.size() > std::size_t(limit) ? late.size() - limit : 0;
  late.resize(late.size() - dropped);
  std::vector<std::int64_t> indices;
  for (const auto& h : late) indices.push_back(h.index);
  if (!codec_.start_first(indices)) {
    plan_.reasons.push_back(
        "the source cannot be read out of order (it has no at(index)), so the " +
        std::to_string(late.size()) + " items predicted to finish late start in order");
    return;
  }
  const auto& top = late.front();
  std::string why =
      "started first, longest first and one per chunk: " + std::to_string(late.size()) + " item" +
      (late.size() == 1 ? "" : "s") + " predicted to end past the predicted makespan (" +
      human_seconds(makespan) + ") if started in order; the longest, item " +
      std::to_string(top.index) + " (" + human_seconds(top.seconds) + "), would have started at " +
      percent(options_.predicted_work_seconds > 0
                  ? top.work_before / options_.predicted_work_seconds
                  : 0) +
      " of the work";
  if (dropped > 0) why += "; " + std::to_string(dropped) + " more left in order (" + bound + ")";
  plan_.reasons.push_back(why);
}

// Flags every chunk of the run carries, whoever sends it: wire::kTimeItems when every item's
// time is recorded.
std::int64_t Coordinator::chunk_flags() const {
  return options_.record_items ? std::int64_t(wire::kTimeItems) : 0;
}

// Positions (the order items went out) to the source's indices, for the sink, the failures
// and the log. A chunk is one range of the source (Codec::contiguous).
void Coordinator::to_source(std::int64_t& first, std::vector<Failure>& failures) const {
  const std::int64_t at = codec_.source_index(first);
  for (auto& f : failures) f.index = at + (f.index - first);
  first = at;
}

// Runs chunks on rank 0 while the plan says parallel does not pay. That plan rests on a few
// first items, which may not be typical (a workload whose items grow with the index), so it
// is made again every kReplanSeconds from all the items measured so far, and the run goes
// parallel as soon as that pays.
void Coordinator::run_serially() {
  phase_ = Phase::kSerial;
  const BoundThread bound(own_cpus_);
  constexpr double kReplanSeconds = 0.01;
  std::vector<char> items;
  double measured = profile_.item_seconds_mean * profile_.sample_count;
  std::int64_t measured_items = profile_.sample_count;
  double next_check = now() + kReplanSeconds;
  while (!stopped_ && !source_.exhausted()) {
    check_drain();
    if (stopped_) break;
    items.clear();
    const auto per_check =
        std::int64_t(kReplanSeconds / std::max(profile_.item_seconds_mean, 1e-9)) + 1;
    const std::int64_t want = std::min(std::max<std::int64_t>(plan_.max_chunk, 1), per_check);
    const std::int64_t first = source_.next();
    const std::int64_t count = source_.pull(want, items);
    if (count == 0) break;
    const double t0 = now();
    wire::Result result =
        run_chunk(codec_, {wire::ChunkHeader{report_.chunks, first, count, chunk_flags()}, items});
    measured += result.header.compute_seconds;
    measured_items += count;
    on_result(std::move(result), t0);
    if (size_ > 1 && !source_.exhausted() && now() >= next_check) {
      next_check = now() + kReplanSeconds;
      profile_.item_seconds_mean = std::max(measured / double(measured_items), 1e-9);
      profile_.items = source_.left();
      make_plan();
      if (!plan_.serial) return;
    }
  }
}

void Coordinator::run_parallel() {
  phase_ = Phase::kParallel;
  dispatcher_ = std::make_unique<Dispatcher>(plan_, source_, reorder_, returned_, pressure_, route_,
                                             [this] { return now(); });
  dispatcher_->set_chunk_flags(chunk_flags());
  start_workers();
  // The plan's window (in chunks), but never so small that a worker would go without one.
  reorder_.set_window(std::max<std::int64_t>(plan_.reorder_window, dispatcher_->width() + 1));
  PoliteWait wait(PoliteWait::kCoordinator, dispatcher_->chunk_seconds());
  const auto fill = [&] {
    if (!stopped_) dispatcher_->fill();
    wait.set_chunk(dispatcher_->chunk_seconds());
  };
  fill();
  while (!(dispatcher_->idle() && (stopped_ || dispatcher_->done()))) {
    check_drain();
    if (pump()) {
      fill();
      transport_.reap();
      wait.reset();
    } else {
      wait.idle();
    }
  }
  local_.reset();
}

// Which ranks run the plan's workers, and how many threads each; the plan says so per node.
void Coordinator::place_workers() {
  assignment_ = assign_workers(plan_, layout_, size_, platform::threads_may_compute());
  const Assignment& a = assignment_;
  for (auto& n : plan_.nodes) n.ranks = n.threads = 0;
  for (const auto& d : a.direct) {
    plan_.nodes[std::size_t(d.node)].ranks += 1;
    if (d.threads > 1) plan_.nodes[std::size_t(d.node)].threads += d.threads;
  }
  for (std::size_t n = 0; n < a.led.size(); ++n) plan_.nodes[n].ranks += int(a.led[n].size());
  if (a.threads > 0) {
    plan_.nodes[0].ranks += 1;
    plan_.nodes[0].threads += a.threads;
  }
  bindings_ = bind_workers(a, layout_, size_, plan_.bind, plan_.cpus_per_worker);
  for (std::size_t n = 0; n < plan_.nodes.size() && n < bindings_.of_node.size(); ++n)
    plan_.nodes[n].binding = bindings_.of_node[n];
}

// Node leaders learn which ranks they feed, ranks with threads how many; then the dispatcher
// has a slot for each.
void Coordinator::start_workers() {
  const Assignment& a = assignment_;
  leader_of_.assign(std::size_t(size_), -1);
  // Before a rank's first chunk: how many threads it starts, and where its workers are bound.
  const auto share = [&](int rank, int threads) {
    wire::Share s{threads, {}};
    for (const auto& cpus : bindings_.of_rank[std::size_t(rank)])
      s.cpus.emplace_back(cpus.begin(), cpus.end());
    if (threads > 1 || !s.cpus.empty()) transport_.send(rank, wire::Tag::kShare, wire::encode(s));
  };
  for (const auto& d : a.direct) {
    share(d.rank, d.threads);
    dispatcher_->add_worker(d.rank, d.node, d.threads);
  }
  for (const auto& led : a.led)
    for (auto r : led) share(r, 1);
  const double planned_chunk = double(plan_.chunk_size) * plan_.item_seconds_mean;
  for (std::size_t n = 0; n < a.led.size(); ++n) {
    if (a.led[n].empty()) continue;
    const int leader = layout_.node_leader[n];
    transport_.send(leader, wire::Tag::kLead,
                    wire::encode(wire::Lead{plan_.inflight_per_worker, planned_chunk, a.led[n],
                                            chunk_flags()}));
    dispatcher_->add_leader(leader, int(n), int(a.led[n].size()));
    for (auto r : a.led[n]) leader_of_[std::size_t(r)] = leader;
  }
  const int threads = a.threads > 0 ? a.threads : dispatcher_->empty() ? 1 : 0;
  if (threads > 0) {  // (with no slot at all, the coordinator computes after all)
    local_ = std::make_unique<LocalPool>(codec_, threads, false, bindings_.of_rank[0]);
    dispatcher_->add_local(threads);
  }
}

void Coordinator::check_drain() {
  if (!report_.drained && options_.stop_requested && options_.stop_requested()) {
    report_.drained = true;
    stopped_ = true;
  }
  if (options_.on_progress) {
    const double t = now();
    if (t >= progress_at_) {
      progress_at_ = t + options_.progress_interval_seconds;
      Progress p;
      p.done = report_.items;
      p.total = codec_.size();
      p.failed = std::int64_t(report_.failures.size());
      p.elapsed_seconds = t;
      p.items_per_second = t > 0 ? double(p.done) / t : 0;
      if (p.total && p.items_per_second > 0)
        p.eta_seconds = double(std::max<std::int64_t>(0, *p.total - p.done)) / p.items_per_second;
      options_.on_progress(p);
    }
  }
}

void Coordinator::finish_report() {
  report_.plan = plan_;
  report_.ranks = size_;
  report_.makespan_seconds = now();
  report_.node_busy_seconds = busy_;
  report_.node_speeds = speeds_.speeds();
  report_.profile = profile_;
  if (report_.items > 0 && report_.compute_seconds > 0)
    report_.profile.item_seconds_mean = report_.compute_seconds / double(report_.items);
  report_.stopped = stopped_;
  report_.coordinator_cpu_seconds = thread_cpu_seconds() - cpu_start_;
  report_.messages = transport_.sent() + transport_.received() - messages_before_;
  report_.pressure_events = pressure_.events();
  report_.pressure_seconds.resize(layout_.nodes.size());
  for (std::size_t n = 0; n < layout_.nodes.size(); ++n)
    report_.pressure_seconds[n] = pressure_.seconds(int(n), now());
  if (dispatcher_) report_.returned_items = dispatcher_->returned_items();
  report_.lower_bound_seconds =
      lower_bound_seconds(report_.work_seconds, report_.longest_item_seconds, report_.cores);
  report_.efficiency = efficiency(report_.lower_bound_seconds, report_.makespan_seconds);
}

}  // namespace amorsize::detail
