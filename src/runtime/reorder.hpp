#pragma once
// Ordered delivery: results wait here until every earlier item's has gone to the sink. The
// buffer is also the only owner of the reorder window, the chunks that may be out or waiting
// at once: dispatch stops when it is full, and the chunk the sink waits for is already out (it
// was issued before every chunk held here), so a full window never deadlocks.
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "amorsize/run_types.hpp"

namespace amorsize::detail {

class ReorderBuffer {
 public:
  /// Receives results in item order (ordered mode) or as they come; failed items are absent
  /// from `results` and listed in `failures`.
  using Sink =
      std::function<void(std::int64_t first, std::int64_t count, const std::vector<char>& results,
                         const std::vector<Failure>& failures)>;

  explicit ReorderBuffer(Sink sink) : sink_(std::move(sink)) {}

  /// Ordered (the default, also while sampling) or as results come.
  void set_ordered(bool ordered) { ordered_ = ordered; }
  bool ordered() const { return ordered_; }
  /// Chunks that may be out or held at once.
  void set_window(std::int64_t chunks) { window_ = chunks; }
  std::int64_t window() const { return window_; }
  /// No chunk may be issued now (ordered mode only: unordered results never wait).
  bool full() const { return ordered_ && used_ >= window_; }

  /// `chunks` went out (a leader's batch counts its chunks).
  void issued(std::int64_t chunks) { used_ += chunks; }
  /// `chunks` came back unstarted: they no longer count.
  void withdrawn(std::int64_t chunks) { used_ -= chunks; }

  /// Results of items first..first+count-1, which counted `chunks` against the window (0 for
  /// sampled items). Delivered now if they are next (or in unordered mode), else held until
  /// they are.
  void accept(std::int64_t first, std::int64_t count, std::vector<char> results,
              std::vector<Failure> failures, std::int64_t chunks);

  /// Delivers everything held, in item order (after a switch to unordered mode).
  void release();

  /// The first item not yet delivered (ordered mode).
  std::int64_t next() const { return next_; }
  /// Chunks out or held.
  std::int64_t used() const { return used_; }
  /// Results held back, waiting for earlier ones.
  std::size_t held() const { return held_.size(); }

 private:
  struct Held {
    std::int64_t count;
    std::vector<char> results;
    std::vector<Failure> failures;
    std::int64_t chunks;
  };
  void deliver(std::int64_t first, std::int64_t count, const std::vector<char>& results,
               const std::vector<Failure>& failures, std::int64_t chunks);

  Sink sink_;
  bool ordered_ = true;
  std::int64_t window_ = 0;
  std::int64_t used_ = 0;
  std::int64_t next_ = 0;
  std::map<std::int64_t, Held> held_;  // first item -> results
};

}  // namespace amorsize::detail
