#include "reorder.hpp"

namespace amorsize::detail {

void ReorderBuffer::accept(std::int64_t first, std::int64_t count, std::vector<char> results,
                           std::vector<Failure> failures, std::int64_t chunks) {
  if (!ordered_ || (first == next_ && held_.empty())) {
    deliver(first, count, results, failures, chunks);
    return;
  }
  held_.emplace(first, Held{count, std::move(results), std::move(failures), chunks});
  while (!held_.empty() && held_.begin()->first == next_) {
    auto it = held_.begin();
    deliver(it->first, it->second.count, it->second.results, it->second.failures,
            it->second.chunks);
    held_.erase(it);
  }
}

void ReorderBuffer::release() {
  while (!held_.empty()) {
    auto it = held_.begin();
    deliver(it->first, it->second.count, it->second.results, it->second.failures,
            it->second.chunks);
    held_.erase(it);
  }
}

void ReorderBuffer::deliver(std::int64_t first, std::int64_t count,
                            const std::vector<char>& results, const std::vector<Failure>& failures,
                            std::int64_t chunks) {
  next_ = first + count;
  used_ -= chunks;
  sink_(first, count, results, failures);
}

}  // namespace amorsize::detail
