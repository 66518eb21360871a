#include "pressure.hpp"

namespace amorsize::detail {

NodePressure::NodePressure(std::size_t nodes, PressureRules rules) : rules_(rules), nodes_(nodes) {}

bool NodePressure::update(int node, bool pressured, double when, double used, double now) {
  Node& n = nodes_[std::size_t(node)];
  if (when < n.read_at) return false;
  n.read_at = when;
  n.used = used;
  if (n.pressured == pressured) return false;
  n.pressured = pressured;
  if (pressured) {
    ++events_;
    ++open_;
    n.since = now;
    n.warned = n.released = false;
  } else {
    --open_;
    n.total += now - n.since;
  }
  return true;
}

std::vector<NodePressure::Notice> NodePressure::due(double now) {
  std::vector<Notice> out;
  if (open_ == 0) return out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    if (!n.pressured) continue;
    const double lasted = now - n.since;
    if (!n.warned && lasted >= rules_.warn_after) {
      n.warned = true;
      out.push_back({Notice::Kind::warn, int(i), lasted, n.used});
    }
    if (!n.released && lasted >= rules_.release_after) {
      n.released = true;
      out.push_back({Notice::Kind::release, int(i), lasted, n.used});
    }
  }
  return out;
}

double NodePressure::seconds(int node, double now) const {
  const Node& n = nodes_[std::size_t(node)];
  return n.total + (n.pressured ? now - n.since : 0.0);
}

}  // namespace amorsize::detail
