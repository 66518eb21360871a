#pragma once
// Items handed back unstarted by a worker whose chunk ran long: they wait here, by first item,
// for the next free worker, and go out first (they are the earliest in item order, and what an
// ordered run waits for).
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace amorsize::detail {

class HandBackPool {
 public:
  /// Bytes the first `n` items serialized in (data, size) take (Codec::item_bytes).
  using ItemBytes = std::function<std::size_t(const char* data, std::size_t size, std::int64_t n)>;

  explicit HandBackPool(ItemBytes item_bytes) : item_bytes_(std::move(item_bytes)) {}

  /// `count` items from `first` on, serialized in `items`.
  void add(std::int64_t first, std::int64_t count, const char* items, std::size_t size);

  bool empty() const { return pieces_.empty(); }
  /// Items waiting, over all pieces.
  std::int64_t items() const { return items_; }

  struct Piece {
    std::int64_t first = 0;
    std::int64_t count = 0;
    std::vector<char> items;
  };
  /// The first piece (lowest first item), or its first `max_count` items when it has more;
  /// the rest stays.
  Piece take(std::int64_t max_count);

 private:
  struct Waiting {
    std::int64_t count;
    std::vector<char> items;
  };
  ItemBytes item_bytes_;
  std::map<std::int64_t, Waiting> pieces_;  // first item -> items
  std::int64_t items_ = 0;
};

}  // namespace amorsize::detail
