#pragma once
/// \file run.hpp
/// Runs work items over MPI: rank 0 samples, plans and streams chunks to the other ranks on
/// demand; results come back to a sink on rank 0, in order or as they finish.
///
/// \code
///   boost::mpi::environment env(argc, argv);
///   boost::mpi::communicator world;
///   auto report = amorsize::run(world, amorsize::source::range(0, n),
///                               [](std::int64_t i) { return simulate(i); },       // workers
///                               [&](std::int64_t i, double r) { sink(i, r); });   // rank 0
///   if (world.rank() == 0) std::cout << report.plan.explain();
/// \endcode
///
/// Call it on every rank of the communicator. `fn` runs on threads of every rank (each rank runs
/// its share of its node's planned workers), so it must be safe to call concurrently. The sink
/// runs on rank 0's main thread, gets (index, result) for every item exactly once, and may
/// return `false` to stop the run.
/// Items and results travel with Boost.Serialization; trivially copyable types are copied as
/// bytes.
///
/// Errors. An item that throws is a failure of that item: it is recorded in the report and the
/// run goes on. An error outside an item - the sink or the source throws, an item or message
/// cannot be unpacked, MPI fails - on any rank ends the run on every rank once each has
/// finished the chunk it is running, and `run` throws on every rank: on rank 0 the original
/// exception (or, when another rank failed, an amorsize::error naming that rank and its
/// error), on the others an amorsize::error naming the rank that failed and why (or their own
/// exception, if they failed). No message of the run is left in flight: the communicator can
/// be used at once, by another `run` too. With `RunOptions::on_error = OnError::abort` the
/// failing rank calls MPI_Abort on the communicator instead.
///
/// The runtime talks on a duplicate of `comm`, made by the first run on it and kept as an
/// attribute of `comm` (MPI frees it with `comm`), so its messages never meet the
/// application's.
#include <mpi.h>

#include <algorithm>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/iostreams/device/array.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/stream.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <climits>
#include <cstring>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "amorsize/detail/engine.hpp"
#include "amorsize/error.hpp"
#include "amorsize/run_types.hpp"

namespace amorsize {

namespace source {

/// The integers first, first+1, ..., last-1.
struct range {
  using item_type = std::int64_t;
  std::int64_t begin = 0, end = 0, cursor = 0;
  range(std::int64_t first, std::int64_t last) : begin(first), end(last), cursor(first) {}
  /// Items in the whole source, from the start: sources report their total, not what is left.
  std::optional<std::int64_t> size() const { return std::max<std::int64_t>(0, end - begin); }
  std::optional<item_type> next() { return cursor < end ? std::optional(cursor++) : std::nullopt; }
  /// The item at `index` (so that RunOptions::heavy_items can start it first).
  item_type at(std::int64_t index) const { return begin + index; }
};

/// Items of a container, by copy, in order (the container must outlive the run).
template <class Container>
struct container {
  using item_type = typename Container::value_type;
  const Container* items;
  typename Container::const_iterator it;
  explicit container(const Container& c) : items(&c), it(c.begin()) {}
  std::optional<std::int64_t> size() const { return std::int64_t(items->size()); }
  std::optional<item_type> next() {
    return it != items->end() ? std::optional<item_type>(*it++) : std::nullopt;
  }
  /// The item at `index`, for containers with random access (RunOptions::heavy_items).
  template <class C = Container,
            std::enable_if_t<std::is_base_of_v<std::random_access_iterator_tag,
                                               typename std::iterator_traits<
                                                   typename C::const_iterator>::iterator_category>,
                             int> = 0>
  item_type at(std::int64_t index) const {
    return *(items->begin() + index);
  }
};
template <class Container>
container(const Container&) -> container<Container>;

/// Items from a function returning std::optional<T>; std::nullopt ends the source. Unbounded
/// generators stream until the sink returns false.
template <class Fn>
struct generator {
  using item_type = typename std::invoke_result_t<Fn&>::value_type;
  Fn fn;
  explicit generator(Fn f) : fn(std::move(f)) {}
  std::optional<std::int64_t> size() const { return std::nullopt; }
  std::optional<item_type> next() { return fn(); }
};
template <class Fn>
generator(Fn) -> generator<Fn>;

}  // namespace source

namespace detail {

template <class T>
constexpr bool bitwise_v = std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>;

/// Sources with `item_type at(std::int64_t index)` can have items started out of order.
template <class S, class = void>
struct has_at : std::false_type {};
template <class S>
struct has_at<S, std::void_t<decltype(std::declval<S&>().at(std::int64_t{}))>> : std::true_type {};

template <class T>
void pack(const T& value, std::vector<char>& out) {
  if constexpr (bitwise_v<T>) {
    const auto at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
  } else {
    // A length prefix, then a headerless binary archive.
    const auto at = out.size();
    out.resize(at + sizeof(std::uint64_t));
    {
      boost::iostreams::stream<boost::iostreams::back_insert_device<std::vector<char>>> os(out);
      boost::archive::binary_oarchive oa(os, boost::archive::no_header);
      oa << value;
    }
    const std::uint64_t n = out.size() - at - sizeof(std::uint64_t);
    std::memcpy(out.data() + at, &n, sizeof n);
  }
}

template <class T>
T unpack(const char*& p, const char* end) {
  if constexpr (bitwise_v<T>) {
    if (std::size_t(end - p) < sizeof(T)) throw error("amorsize: truncated message");
    T value;
    std::memcpy(&value, p, sizeof(T));
    p += sizeof(T);
    return value;
  } else {
    std::uint64_t n = 0;
    if (std::size_t(end - p) < sizeof n) throw error("amorsize: truncated message");
    std::memcpy(&n, p, sizeof n);
    p += sizeof n;
    if (std::size_t(end - p) < n) throw error("amorsize: truncated message");
    boost::iostreams::stream<boost::iostreams::array_source> is(p, n);
    boost::archive::binary_iarchive ia(is, boost::archive::no_header);
    T value;
    ia >> value;
    p += n;
    return value;
  }
}

/// Moves `p` past one packed T without unpacking it.
template <class T>
void skip(const char*& p, const char* end) {
  std::size_t n = sizeof(T);
  if constexpr (!bitwise_v<T>) {
    std::uint64_t body = 0;
    if (std::size_t(end - p) < sizeof body) throw error("amorsize: truncated message");
    std::memcpy(&body, p, sizeof body);
    n = sizeof body + body;
  }
  if (std::size_t(end - p) < n) throw error("amorsize: truncated message");
  p += n;
}

double node_clock_seconds();

template <class Source, class Fn, class Sink>
class TypedCodec final : public Codec {
 public:
  using Item = typename Source::item_type;
  using Result = std::decay_t<std::invoke_result_t<Fn&, const Item&>>;

  TypedCodec(Source& source, Fn& fn, Sink& sink) : source_(source), fn_(fn), sink_(sink) {}

  std::int64_t pull(std::int64_t max_items, std::vector<char>& out) override {
    std::int64_t n = 0;
    if constexpr (has_at<Source>::value) {
      for (; n < max_items && position_ < std::int64_t(first_.size()); ++n, ++position_)
        pack(source_.at(first_[std::size_t(position_)]), out);
    }
    for (; n < max_items; ++n) {
      std::optional<Item> item = source_.next();
      // Items started first are passed over when the source reaches them.
      while (item && skip_ < sorted_.size() && sorted_[skip_] == read_) {
        ++skip_;
        ++read_;
        item = source_.next();
      }
      if (!item) break;
      ++read_;
      ++position_;
      pack(*item, out);
    }
    return n;
  }
  bool start_first(const std::vector<std::int64_t>& indices) override {
    if constexpr (!has_at<Source>::value) {
      return false;
    } else {
      // Only before anything is read forward: the items started first so far stay, those not
      // yet handed out are replaced by `indices` (in their order, without repeats).
      const std::optional<std::int64_t> size = source_.size();
      if (read_ > 0 || !size) return false;
      first_.resize(std::size_t(position_));
      std::vector<std::int64_t> seen = first_;
      std::sort(seen.begin(), seen.end());
      for (std::int64_t i : indices) {
        if (i < 0 || i >= *size) continue;
        const auto at = std::lower_bound(seen.begin(), seen.end(), i);
        if (at != seen.end() && *at == i) continue;
        seen.insert(at, i);
        first_.push_back(i);
      }
      sorted_ = std::move(seen);
      return true;
    }
  }
  std::int64_t source_index(std::int64_t position) const override {
    const auto k = std::int64_t(first_.size());
    if (position < k) return first_[std::size_t(position)];
    // The q-th item read forward: q plus the started-first indices at or before it, i.e. the
    // j with sorted_[j] - j <= q (that count is non-decreasing in j).
    const std::int64_t q = position - k;
    std::size_t lo = 0, hi = sorted_.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (sorted_[mid] - std::int64_t(mid) <= q) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return q + std::int64_t(lo);
  }
  std::int64_t contiguous(std::int64_t position) const override {
    if (position < std::int64_t(first_.size())) return 1;
    const std::int64_t at = source_index(position);
    const auto next = std::upper_bound(sorted_.begin(), sorted_.end(), at);
    return next == sorted_.end() ? INT64_MAX : *next - at;
  }
  std::optional<std::int64_t> size() const override { return source_.size(); }

  void execute(const ExecuteIn& in, ExecuteOut& out) override {
    const char* p = in.items;
    const char* end = in.items + in.size;
    // One clock read per item: each item's time, the longest, and the stop rule.
    double t = node_clock_seconds();
    std::int64_t i = 0;
    for (; i < in.count; ++i) {
      Item item = unpack<Item>(p, end);
      try {
        pack(fn_(item), out.results);
      } catch (const std::exception& e) {
        out.failures.push_back({in.first + i, e.what()});
      } catch (...) {
        out.failures.push_back({in.first + i, "unknown exception"});
      }
      const double now = node_clock_seconds();
      const double seconds = now - t;
      t = now;
      out.longest_item_seconds = std::max(out.longest_item_seconds, seconds);
      if (in.time_each_item) out.item_seconds.push_back(seconds);
      if (in.stop_after_item_seconds > 0 && seconds > in.stop_after_item_seconds) {
        ++i;
        break;
      }
    }
    out.ran = i;
    out.consumed = std::size_t(p - in.items);
  }

  std::size_t item_bytes(const char* in, std::size_t size, std::int64_t n) const override {
    const char* p = in;
    const char* end = in + size;
    for (std::int64_t i = 0; i < n; ++i) skip<Item>(p, end);
    return std::size_t(p - in);
  }

  bool deliver(std::int64_t first, std::int64_t count, const char* data, std::size_t size,
               const std::vector<Failure>& failures) override {
    const char* p = data;
    const char* end = data + size;
    auto failed = failures.begin();
    for (std::int64_t i = first; i < first + count; ++i) {
      if (failed != failures.end() && failed->index == i) {
        ++failed;
        continue;
      }
      Result r = unpack<Result>(p, end);
      if constexpr (std::is_same_v<std::invoke_result_t<Sink&, std::int64_t, Result&&>, bool>) {
        if (!sink_(i, std::move(r))) return false;
      } else {
        sink_(i, std::move(r));
      }
    }
    return true;
  }

 private:
  Source& source_;
  Fn& fn_;
  Sink& sink_;
  std::vector<std::int64_t> first_;   // source indices started first, in their order
  std::vector<std::int64_t> sorted_;  // the same, sorted
  std::int64_t position_ = 0;         // items handed out
  std::int64_t read_ = 0;             // source indices read forward (next())
  std::size_t skip_ = 0;              // sorted_[skip_] is the next one to pass over
};

}  // namespace detail

/// Runs `fn` over every item of `source` on all ranks of `comm` and hands each result to
/// `sink(index, result)` on rank 0. Returns the report (complete on rank 0).
template <class Source, class Fn, class Sink>
RunReport run(MPI_Comm comm, Source source, Fn fn, Sink sink, const RunOptions& options = {}) {
  detail::TypedCodec<Source, Fn, Sink> codec(source, fn, sink);
  return detail::run_engine(comm, codec, options);
}

/// The same on a Context (context.hpp): no discovery, and a run whose `options.name` ran on
/// the context before plans from that run's measured profile, without sampling.
template <class Source, class Fn, class Sink>
RunReport run(Context& context, Source source, Fn fn, Sink sink, const RunOptions& options = {}) {
  detail::TypedCodec<Source, Fn, Sink> codec(source, fn, sink);
  return detail::run_engine(context, codec, options);
}

}  // namespace amorsize
