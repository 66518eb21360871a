#include "sampler.hpp"

#include <algorithm>
#include <cmath>

#include "chunk_runner.hpp"

namespace amorsize::detail {

Sampler::Sampler(const RunOptions& options, const Layout& layout, int size, SourceCursor& source,
                 const NodePressure& pressure, Outbox& outbox, std::function<double()> now,
                 std::function<bool()> stopped)
    : options_(options),
      layout_(layout),
      size_(size),
      source_(source),
      pressure_(pressure),
      outbox_(outbox),
      now_(std::move(now)),
      stopped_(std::move(stopped)),
      began_(now_()),
      rank0_samples_(size == 1 || layout.ranks_on_node[0] - 1 < layout.nodes[0].cores),
      place_(std::size_t(size), 0),
      open_(layout.nodes.size(), 1),
      probes_(std::size_t(size)),
      next_count_(std::size_t(size), 1) {
  std::vector<int> seen(layout.nodes.size(), 0);
  for (int r = 1; r < size; ++r) place_[r] = seen[layout.node_of_rank[r]]++;
  // Ranks beyond a node's cores do not sample: their items would share cores and read slower
  // than in the run, which gives a node no more workers than cores.
  cores_open_.resize(layout.nodes.size());
  for (std::size_t n = 0; n < layout.nodes.size(); ++n) {
    const int own = n == 0 && rank0_samples_ ? 1 : 0;
    cores_open_[n] = std::max(1, std::min(seen[n], layout.nodes[n].cores - own));
    if (seen[n] == 0) cores_open_[n] = 0;
    probing_ranks_ += cores_open_[n];
  }
}

// Enough: the budget is spent and every rank that may sample has had a probe (until then the
// sample costs nothing: every core runs a real item), or the sample is full. Stopping as soon as a
// few results are back would keep the sample to the quickest items of the first ranks (found
// at 256 simulated ranks: 11 items of 10 ms read as 4.9 ms).
//
// A spread sample is judged when it reaches a power of two (its goal), where its strata (taken
// in van der Corput order) cover the source evenly; the items still out then join it. The sample
// goes on until its mean is known to kMeanError (relative standard error), since the first plan's
// prediction rests on it and sampled items are real work, run by every rank: for 10 budgets at
// least, and past them while it may still grow.
bool Sampler::enough() const {
  constexpr double kMeanError = 0.08;
  const std::int64_t k = done();
  if (k >= options_.sample_max_items || (strata_ > 0 && k >= strata_)) return true;
  if (k < options_.sample_min_items || probed_ != probing_ranks_) return false;
  if (k < goal_) return false;
  const double spent = now_() - began_;
  if (spent < options_.sample_budget_seconds) return false;
  return totals_.mean_error() <= kMeanError ||
         (spent >= 10 * options_.sample_budget_seconds && !may_grow());
}

// Past its 10 budgets, a sample whose mean is still uncertain (heavy tails, rare long items,
// a few long tasks) grows while it is a small part of a source of known size (an eighth: the
// plan's prediction covers only the items left, so a larger sample also leaves less to
// predict), and while the results it may hold for ordered delivery stay small.
bool Sampler::may_grow() const {
  constexpr std::int64_t kShare = 8;
  constexpr double kHeldBytes = 64.0 * 1024 * 1024;
  const std::optional<std::int64_t> n = source_.codec().size();
  if (!n || stopped_()) return false;
  return (done() + items_out_) * kShare < *n && totals_.bytes_out <= kHeldBytes;
}

double Sampler::mean_item_seconds() const {
  return totals_.wall_seconds / double(std::max<std::int64_t>(1, done()));
}

void Sampler::probe_rank0() {
  if (probe_rank0_ || !rank0_samples_) return;
  probe_rank0_ = true;
  ++probing_ranks_;
}

void Sampler::send_probes() {
  for (int r = probe_rank0_ ? 0 : 1; r < size_; ++r) send_probe(r);
}

void Sampler::set_spread(std::int64_t strata) {
  totals_.spread = strata > 0;
  strata_ = strata;
  // The first size: every rank's first item, and the fewest the sample takes.
  const std::int64_t first =
      std::max<std::int64_t>(options_.sample_min_items, size_ - 1 + (rank0_samples_ ? 1 : 0));
  goal_ = 1;
  while (goal_ < first && goal_ < strata_) goal_ *= 2;
}

// A spread sample that reached its size but is not enough doubles it.
void Sampler::raise_goal() {
  if (strata_ > 0 && done() >= goal_ && goal_ < strata_ && !enough()) goal_ *= 2;
}

// A spread sample takes items up to twice its goal, so that no rank idles while the goal's
// last items come back: the next round of the strata is begun, and its first items, in van der
// Corput order, are spread over the source too.
std::int64_t Sampler::room() const {
  const std::int64_t size =
      strata_ > 0 ? std::min(2 * goal_, strata_) : std::int64_t(options_.sample_max_items);
  return std::min<std::int64_t>(size, options_.sample_max_items) - done() - items_out_;
}

bool Sampler::has_room() const {
  return room() > 0 && !enough();
}

void Sampler::send_probe(int r) {
  // Two probes per rank, and up to kDepth while the items it holds take under a budget.
  constexpr std::size_t kDepth = 8;
  const double mean = mean_item_seconds();
  std::int64_t held = 0;  // items out on this rank
  for (const Probe& p : probes_[r]) held += p.items;
  if (probes_[r].size() >= kDepth ||
      (probes_[r].size() >= 2 &&
       (mean <= 0 || double(held) * mean >= options_.sample_budget_seconds)))
    return;
  if (source_.exhausted() || stopped_() || enough()) return;
  const int node = layout_.node_of_rank[r];
  // A node under memory pressure runs one probe at a time: its first rank's.
  if (place_[r] >= (pressure_.held(node) ? 1 : open_[node])) return;
  // Never more than the sample may hold, counting the probes still out.
  const std::int64_t room = this->room();
  if (room <= 0) return;
  std::int64_t want = std::min(next_count_[r], room);
  if (done() > 0)  // a probe should take at most half the budget
    want = std::min(
        want, std::max<std::int64_t>(1, std::int64_t(options_.sample_budget_seconds / 2 / mean)));
  std::vector<char> items;
  const std::int64_t first = source_.next();
  const std::int64_t count = source_.pull(want, items);
  if (count == 0) return;
  if (next_count_[r] == 1) ++probed_;
  probes_[r].push_back({count, std::int64_t(items.size())});
  items_out_ += count;
  next_count_[r] = 2 * count;
  ++probes_out_;
  outbox_.send(r, wire::Tag::kChunk,
               wire::encode(wire::ChunkHeader{-1, first, count, wire::kMeasureItems}, items));
}

void Sampler::on_probe(int r, int node, const wire::Result& result) {
  const auto& h = result.header;
  if (probes_[r].empty() || !result.measured || h.count != probes_[r].front().items)
    throw protocol_error("amorsize: rank " + std::to_string(r) +
                         " answered a probe it was not sent");
  const double bytes_in = double(probes_[r].front().bytes) / double(h.count);
  const double bytes_out = double(result.results.size()) / double(h.count);
  for (std::int64_t i = 0; i < h.count; ++i)
    add_item(h.first + i, node, result.item_seconds[std::size_t(i)], bytes_in, bytes_out,
             result.memory_growth_bytes);
  totals_.cpu_seconds += h.cpu_seconds;
  totals_.wall_seconds += h.compute_seconds;
  items_out_ -= h.count;
  probes_[r].pop_front();
  --probes_out_;
  open_nodes();
  raise_goal();
}

std::optional<Sampler::Item> Sampler::run_local() {
  std::vector<char> items;
  Item item;
  auto& h = item.header;
  h.first = source_.next();
  if (source_.pull(1, items) == 0) return std::nullopt;
  // One item through the chunk runner's measures: its time, CPU, work and memory.
  wire::Result r =
      run_chunk(source_.codec(),
                {wire::ChunkHeader{-1, h.first, 1, wire::kMeasureItems}, wire::ByteView(items)});
  h = r.header;
  totals_.cpu_seconds += h.cpu_seconds;
  totals_.wall_seconds += h.compute_seconds;
  add_item(h.first, 0, r.item_seconds.front(), double(items.size()), double(r.results.size()),
           r.memory_growth_bytes);
  item.results = std::move(r.results);
  item.failures = std::move(r.failures);
  open_nodes();
  raise_goal();
  return item;
}

// Ranks per node that may run sampled items at once, from the memory they were seen to take.
void Sampler::open_nodes() {
  for (std::size_t n = 0; n < layout_.nodes.size(); ++n) {
    const int ranks = layout_.ranks_on_node[n] - (n == 0 ? 1 : 0);
    const double usable = double(layout_.nodes[n].usable_memory_bytes());
    int fit = ranks;
    if (totals_.mem_peak_bytes > 0 && usable > 0)
      fit = int(std::min(double(ranks), std::floor(0.5 * usable / totals_.mem_peak_bytes)));
    open_[n] = std::max(1, std::min(fit, cores_open_[n]));
  }
}

void Sampler::add_item(std::int64_t index, int node, double seconds, double in, double out,
                       double memory) {
  index = source_.codec().source_index(index);  // it may have been sampled out of order
  totals_.seconds.push_back(seconds);
  totals_.indices.push_back(index);
  totals_.bytes_in += in;
  totals_.bytes_out += out;
  totals_.mem_peak_bytes = std::max(totals_.mem_peak_bytes, memory);
  if (options_.recorder) options_.recorder->on_sample({index, node, seconds, in, out, memory});
}

void Sampler::fill(WorkloadProfile& profile) const {
  // CPU time per wall time counts an item's threads, but only over enough wall time: CPU
  // clocks tick coarsely (gVisor: milliseconds), and a few short items would read as many.
  constexpr double kMinWallForThreads = 0.02;
  totals_.fill(profile, kMinWallForThreads);
  profile.item_seconds_mean = std::max(profile.item_seconds_mean, 1e-9);
}

}  // namespace amorsize::detail
