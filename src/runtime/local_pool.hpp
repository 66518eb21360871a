#pragma once
// Threads on the coordinator's rank that run chunks: a local queue instead of messages. The
// coordinator's thread makes every MPI call; these threads only run items.
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
  LocalPool(Codec& codec, int threads);
  ~LocalPool();  // the threads finish their chunks, then end
  LocalPool(const LocalPool&) = delete;
  LocalPool& operator=(const LocalPool&) = delete;

  int size() const { return int(threads_.size()); }
  /// Queues an encoded kChunk message.
  void push(std::vector<char> chunk);
  /// A finished chunk's result, if one is waiting; rethrows an error a thread met outside an
  /// item (an item that cannot be unpacked).
  std::optional<wire::Result> pop_result();
  /// Drops the chunks no thread has started (the run is ending on an error).
  void cancel();

 private:
  void loop();

  Codec& codec_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::vector<char>> todo_;
  std::deque<wire::Result> done_;
  bool closing_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;
};

}  // namespace amorsize::detail
