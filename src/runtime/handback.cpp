#include "handback.hpp"

#include <algorithm>

#include "wire.hpp"

namespace amorsize::detail {

void HandBackPool::add(std::int64_t first, std::int64_t count, const char* items,
                       std::size_t size) {
  if (count <= 0)
    throw protocol_error("amorsize: a hand-back of " + std::to_string(count) + " items");
  if (!pieces_.emplace(first, Waiting{count, std::vector<char>(items, items + size)}).second)
    throw protocol_error("amorsize: item " + std::to_string(first) + " handed back twice");
  items_ += count;
}

HandBackPool::Piece HandBackPool::take(std::int64_t max_count) {
  auto it = pieces_.begin();
  Piece piece;
  piece.first = it->first;
  piece.count = std::min(it->second.count, std::max<std::int64_t>(max_count, 1));
  items_ -= piece.count;
  auto& items = it->second.items;
  if (piece.count == it->second.count) {
    piece.items = std::move(items);
    pieces_.erase(it);
    return piece;
  }
  const std::size_t bytes = item_bytes_(items.data(), items.size(), piece.count);
  piece.items.assign(items.begin(), items.begin() + std::ptrdiff_t(bytes));
  auto rest = pieces_.extract(it);
  rest.key() += piece.count;
  rest.mapped().count -= piece.count;
  rest.mapped().items.erase(rest.mapped().items.begin(),
                            rest.mapped().items.begin() + std::ptrdiff_t(bytes));
  pieces_.insert(std::move(rest));
  return piece;
}

}  // namespace amorsize::detail
