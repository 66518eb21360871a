#pragma once
// Message layout of the protocol. Every message is one MPI_BYTE buffer: a fixed header, then
// payload. One message per chunk each way; a result doubles as the request for more work.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/run_types.hpp"

namespace amorsize::detail::wire {

enum Tag : int {
  kChunk = 101,   // coordinator -> worker: ChunkHeader + serialized items
  kResult = 102,  // worker -> coordinator: ResultHeader + results + failures
  kStatus = 103,  // worker -> coordinator: StatusHeader (memory pressure changed while idle)
  kStop = 104,    // coordinator -> worker: no more work
  kLead = 105,    // coordinator -> node leader: LeadHeader + the ranks it feeds (int32 each)
  kBatch = 106,   // coordinator -> node leader: BatchHeader + PartHeaders + serialized items
  kReturn = 107,  // worker -> coordinator: ReturnHeader + serialized items it will not run
};

enum ChunkFlags : std::int64_t {
  kMeasureItems = 1,  // a sampling probe: send back each item's time and the memory growth
};

struct ChunkHeader {
  std::int64_t seq;
  std::int64_t first;
  std::int64_t count;
  std::int64_t flags = 0;  // ChunkFlags
  // After an item that alone ran longer than this, the chunk hands back its unstarted items
  // (0: never).
  double heavy_item_seconds = 0;
};

// Items a worker hands back unstarted: the rest of a chunk after a heavy item
// (its result covers the items before; `whole` = 0), or a queued chunk it never began
// (`whole` = 1: no result will come for `seq`).
struct ReturnHeader {
  std::int64_t seq;
  std::int64_t first;
  std::int64_t count;
  std::int64_t whole;
};

struct ResultHeader {
  std::int64_t seq;
  std::int64_t first;
  std::int64_t count;
  double compute_seconds;  // wall time spent in the items
  double start_wtime;      // MPI_Wtime on the worker when the chunk began
  double end_wtime;        // ... and ended
  double cpu_seconds;      // CPU time of the process meanwhile (nested threads)
  std::int64_t results_bytes;
  std::int64_t failures;
  std::int32_t pressured;  // the node's memory is under pressure after this chunk
  std::int32_t measured;   // kMeasureItems: `count` item seconds and the resident-set growth
                           // (bytes) follow the failures, as doubles
  std::int64_t parts;      // a leader's batch: `parts` PartRecords follow the failures
  double memory_wtime;     // the node's clock when `pressured` was read (a later reading wins)
};

struct LeadHeader {
  std::int32_t workers;   // ranks the leader feeds
  std::int32_t inflight;  // chunks each of them holds at most
  double chunk_seconds;   // a chunk's planned duration (how long the leader may sleep)
};

// A batch: chunks for a leader's workers, contiguous in item order.
struct BatchHeader {
  std::int64_t seq;
  std::int64_t first;
  std::int64_t count;
  std::int64_t parts;
};

struct PartHeader {
  std::int64_t first;
  std::int64_t count;
  std::int64_t bytes;  // of its serialized items
};

// How one chunk of a batch went, for the log and the schedule.
struct PartRecord {
  std::int64_t first;
  std::int64_t count;
  std::int32_t rank;
  std::int32_t failures;
  double start_wtime;
  double end_wtime;
  double compute_seconds;
  std::int64_t results_bytes;
};

struct StatusHeader {
  std::int32_t pressured;
  std::int32_t reserved;
  double when;  // the node's clock when memory was read: a later reading wins
};

template <class T>
void put(std::vector<char>& out, const T& value) {
  const auto at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

class Reader {
 public:
  Reader(const char* data, std::size_t size) : p_(data), end_(data + size) {}
  template <class T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, p_, sizeof(T));
    p_ += sizeof(T);
    return value;
  }
  const char* take(std::size_t n) {
    need(n);
    const char* at = p_;
    p_ += n;
    return at;
  }
  const char* here() const { return p_; }
  std::size_t left() const { return std::size_t(end_ - p_); }

 private:
  void need(std::size_t n) const {
    if (std::size_t(end_ - p_) < n) throw error("amorsize: truncated protocol message");
  }
  const char* p_;
  const char* end_;
};

inline void put_failures(std::vector<char>& out, const std::vector<Failure>& failures) {
  for (const auto& f : failures) {
    put(out, f.index);
    put(out, std::uint32_t(f.message.size()));
    out.insert(out.end(), f.message.begin(), f.message.end());
  }
}

inline std::vector<Failure> get_failures(Reader& in, std::int64_t n) {
  std::vector<Failure> failures;
  for (std::int64_t i = 0; i < n; ++i) {
    Failure f;
    f.index = in.get<std::int64_t>();
    const auto len = in.get<std::uint32_t>();
    f.message.assign(in.take(len), len);
    failures.push_back(std::move(f));
  }
  return failures;
}

}  // namespace amorsize::detail::wire
