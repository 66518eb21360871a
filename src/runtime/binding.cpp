#include "binding.hpp"

#include <algorithm>

#include "amorsize/run_types.hpp"
#include "dispatcher.hpp"
#include "platform.hpp"

namespace amorsize {

namespace {
thread_local std::vector<int> t_item_cpus;  // the CPUs this thread's items are bound to
}  // namespace

std::vector<int> item_cpus() {
  return t_item_cpus;
}

}  // namespace amorsize

namespace amorsize::detail {

std::set<int> cpu_set(const std::string& list) {
  std::set<int> cpus;
  std::size_t at = 0;
  while (at < list.size()) {
    const std::size_t end = std::min(list.find(',', at), list.size());
    const std::string item = list.substr(at, end - at);
    const std::size_t dash = item.find('-');
    try {
      const int first = std::stoi(item.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(item.substr(dash + 1));
      if (first < 0) return {};
      for (int c = first; c <= last && c - first < (1 << 16); ++c) cpus.insert(c);
    } catch (const std::exception&) {
      return {};
    }
    at = end + 1;
  }
  return cpus;
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::vector<int> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    std::size_t last = i;
    while (last + 1 < sorted.size() && sorted[last + 1] == sorted[last] + 1) ++last;
    if (!out.empty()) out += ',';
    out += std::to_string(sorted[i]);
    if (last > i) out += '-' + std::to_string(sorted[last]);
    i = last;
  }
  return out;
}

Bindings bind_workers(const Assignment& a, const Layout& layout, int size, Bind policy,
                      int cpus_per_worker) {
  Bindings b;
  b.of_rank.resize(std::size_t(size));
  b.of_node.resize(layout.nodes.size());
  if (policy == Bind::none || layout.allowed_cpus.size() != std::size_t(size)) return b;
  const int k = std::max(cpus_per_worker, 1);
  // Per node: its working ranks and their workers, in the order the workers are counted.
  std::vector<std::vector<std::pair<int, int>>> ranks(layout.nodes.size());  // (rank, workers)
  for (const auto& d : a.direct) ranks[std::size_t(d.node)].push_back({d.rank, d.threads});
  if (a.threads > 0) ranks[0].push_back({0, a.threads});
  for (std::size_t n = 0; n < a.led.size(); ++n)
    for (auto r : a.led[n]) ranks[n].push_back({r, 1});
  for (std::size_t n = 0; n < layout.nodes.size(); ++n) {
    if (ranks[n].empty()) continue;
    const auto& order =
        policy == Bind::spread ? layout.nodes[n].cpus_spread : layout.nodes[n].cpus_compact;
    if (order.empty()) continue;
    bool shared = true;  // every working rank of the node may use the same CPUs
    const std::string& first = layout.allowed_cpus[std::size_t(ranks[n].front().first)];
    for (const auto& [r, w] : ranks[n]) shared &= layout.allowed_cpus[std::size_t(r)] == first;
    std::string summary;
    int counted = 0;  // workers counted on the node (shared) or on the rank
    for (const auto& [r, workers] : ranks[n]) {
      const std::set<int> allowed = cpu_set(layout.allowed_cpus[std::size_t(r)]);
      std::vector<int> mine;  // the node's order, inside what this rank may use
      for (int c : order)
        if (allowed.count(c)) mine.push_back(c);
      if (!shared) counted = 0;
      for (int w = 0; w < workers; ++w, ++counted) {
        std::vector<int> cpus;
        for (int j = 0; j < k && !mine.empty() && j < int(mine.size()); ++j)
          cpus.push_back(mine[std::size_t((counted * k + j) % int(mine.size()))]);
        if (cpus.empty()) continue;
        summary += (summary.empty() ? "" : " | ") + cpu_list(cpus);
        b.of_rank[std::size_t(r)].push_back(std::move(cpus));
      }
    }
    b.of_node[n] = summary;
  }
  return b;
}

BoundThread::BoundThread(std::vector<int> cpus) {
  if (cpus.empty()) return;
  before_ = platform::thread_cpus();
  if (before_.empty() || !platform::set_thread_cpus(cpus)) return;
  bound_ = true;
  item_before_ = std::move(t_item_cpus);
  t_item_cpus = std::move(cpus);
}

BoundThread::~BoundThread() {
  if (!bound_) return;
  platform::set_thread_cpus(before_);
  t_item_cpus = std::move(item_before_);
}

}  // namespace amorsize::detail
