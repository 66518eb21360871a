#pragma once
// Stand-ins for the runtime's MPI-facing parts, so its MPI-free state is tested without
// mpiexec: a codec over the integers 0..n-1 (8 bytes each) and an outbox that keeps what is
// sent.
#include <cstring>
#include <optional>
#include <vector>

#include "amorsize/detail/engine.hpp"
#include "runtime/mpi.hpp"

namespace amorsize::detail::testing {

class RangeCodec final : public Codec {
 public:
  explicit RangeCodec(std::int64_t n) : n_(n) {}
  std::int64_t pull(std::int64_t max_items, std::vector<char>& out) override {
    std::int64_t k = 0;
    for (; k < max_items && next_ < n_; ++k, ++next_) put(out, next_);
    return k;
  }
  std::optional<std::int64_t> size() const override { return n_; }
  void execute(const ExecuteIn& in, ExecuteOut& out) override {
    for (std::int64_t i = 0; i < in.count; ++i) {
      std::int64_t v;
      std::memcpy(&v, in.items + 8 * i, 8);
      put(out.results, v * 2);
      if (in.time_each_item) out.item_seconds.push_back(1e-6);
    }
    out.ran = in.count;
    out.consumed = std::size_t(8 * in.count);
  }
  std::size_t item_bytes(const char*, std::size_t, std::int64_t n) const override {
    return std::size_t(8 * n);
  }
  bool deliver(std::int64_t, std::int64_t, const char*, std::size_t,
               const std::vector<Failure>&) override {
    return true;
  }

  static void put(std::vector<char>& out, std::int64_t v) {
    const auto at = out.size();
    out.resize(at + 8);
    std::memcpy(out.data() + at, &v, 8);
  }
  static std::vector<std::int64_t> values(const char* data, std::size_t size) {
    std::vector<std::int64_t> v(size / 8);
    if (size) std::memcpy(v.data(), data, v.size() * 8);
    return v;
  }

 private:
  std::int64_t n_;
  std::int64_t next_ = 0;
};

struct Sent {
  int rank;
  wire::Tag tag;
  std::vector<char> message;
};

class RecordingOutbox final : public Outbox {
 public:
  void send(int rank, wire::Tag tag, std::vector<char> message) override {
    sent.push_back({rank, tag, std::move(message)});
  }
  std::vector<Sent> sent;
};

}  // namespace amorsize::detail::testing
