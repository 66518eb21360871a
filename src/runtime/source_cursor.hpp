#pragma once
// The coordinator's place in the source: how many items it has handed out, and whether the
// source has run dry. Sampling, the serial loop and the dispatcher all pull through it.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "amorsize/detail/engine.hpp"

namespace amorsize::detail {

class SourceCursor {
 public:
  explicit SourceCursor(Codec& codec) : codec_(codec) {}

  /// Appends up to `want` serialized items to `out` and returns how many; fewer than asked
  /// means the source is exhausted. They are items next()..next()+count-1.
  std::int64_t pull(std::int64_t want, std::vector<char>& out) {
    want = std::min(want, codec_.contiguous(next_));  // a chunk is one range of the source
    const std::int64_t got = codec_.pull(want, out);
    if (got < want) exhausted_ = true;
    next_ += got;
    return got;
  }
  /// The index of the next item to hand out.
  std::int64_t next() const { return next_; }
  /// Items not handed out yet, when the source knows its size.
  std::optional<std::int64_t> left() const {
    if (auto n = codec_.size()) return std::max<std::int64_t>(0, *n - next_);
    return std::nullopt;
  }
  /// Items from next() on that are one range of the source (see Codec::contiguous).
  std::int64_t contiguous() const { return codec_.contiguous(next_); }
  bool exhausted() const { return exhausted_; }
  void set_exhausted() { exhausted_ = true; }
  Codec& codec() { return codec_; }

 private:
  Codec& codec_;
  std::int64_t next_ = 0;
  bool exhausted_ = false;
};

}  // namespace amorsize::detail
