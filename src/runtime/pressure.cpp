#include "pressure.hpp"

namespace amorsize::detail {

bool NodePressure::update(int node, bool pressured, double when) {
  const auto n = std::size_t(node);
  if (when < read_at_[n]) return false;
  read_at_[n] = when;
  if (pressured_[n] == pressured) return false;
  pressured_[n] = pressured;
  if (pressured) ++events_;
  return true;
}

}  // namespace amorsize::detail
