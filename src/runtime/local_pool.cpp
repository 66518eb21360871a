#include "local_pool.hpp"

#include "binding.hpp"

#include <utility>

#include "chunk_runner.hpp"

namespace amorsize::detail {

LocalPool::LocalPool(Codec& codec, int threads, bool hand_back, std::vector<std::vector<int>> cpus)
    : codec_(codec), hand_back_(hand_back) {
  cpus.resize(std::size_t(threads));
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this, mine = std::move(cpus[std::size_t(i)])]() mutable {
      const BoundThread bound(std::move(mine));
      loop();
    });
}

LocalPool::~LocalPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void LocalPool::push(std::vector<char> chunk) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    todo_.push_back(std::move(chunk));
    ++pending_;
  }
  ready_.notify_one();
}

std::optional<LocalPool::Finished> LocalPool::pop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  if (done_.empty()) return std::nullopt;
  std::optional<Finished> f(std::move(done_.front()));
  done_.pop_front();
  --pending_;
  return f;
}

int LocalPool::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_;
}

void LocalPool::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ -= int(todo_.size());
  todo_.clear();
}

void LocalPool::loop() {
  while (true) {
    std::vector<char> chunk;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return closing_ || !todo_.empty(); });
      if (todo_.empty()) return;
      chunk = std::move(todo_.front());
      todo_.pop_front();
    }
    try {
      wire::Return rest;
      Finished f;
      f.result = run_chunk(codec_, wire::decode_chunk(chunk), hand_back_ ? &rest : nullptr);
      if (rest.header.count > 0) f.returned = wire::encode(rest.header, rest.items);
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(std::move(f));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      --pending_;
    }
  }
}

}  // namespace amorsize::detail
