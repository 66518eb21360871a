#pragma once
// Threads of a rank that run chunks: a local queue instead of messages. The rank's main thread
// makes every MPI call; these threads only run items. Rank 0 runs its share of its node's
// workers this way, and so does every worker rank whose share is above one.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "amorsize/detail/engine.hpp"
#include "wire.hpp"

namespace amorsize::detail {

class LocalPool {
 public:
  /// With `hand_back`, a chunk with a heavy_item_seconds stops after a heavy item and its
  /// unstarted rest comes back with its result (worker ranks; rank 0's chunks never stop).
  /// `cpus`: each thread's CPUs (bind_workers); a thread without binds nothing.
  LocalPool(Codec& codec, int threads, bool hand_back = false,
            std::vector<std::vector<int>> cpus = {});
  ~LocalPool();  // the threads finish their chunks, then end
  LocalPool(const LocalPool&) = delete;
  LocalPool& operator=(const LocalPool&) = delete;

  int size() const { return int(threads_.size()); }
  /// Queues an encoded kChunk message.
  void push(std::vector<char> chunk);

  struct Finished {
    wire::Result result;
    std::vector<char> returned;  // an encoded kReturn of the unstarted rest (empty: none)
  };
  /// A finished chunk, if one is waiting; rethrows an error a thread met outside an item (an
  /// item that cannot be unpacked).
  std::optional<Finished> pop();
  /// Chunks pushed whose results have not been popped yet.
  int pending() const;
  /// Drops the chunks no thread has started (the run is ending on an error).
  void cancel();

 private:
  void loop();

  Codec& codec_;
  bool hand_back_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::vector<char>> todo_;
  std::deque<Finished> done_;
  int pending_ = 0;
  bool closing_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;
};

}  // namespace amorsize::detail
