#pragma once
// A node leader: takes batches of chunks from the coordinator, feeds its node's worker ranks,
// and answers with one result per batch (results in item order, and how each chunk went).
// Its workers never hand items back: their chunks carry no heavy_item_seconds, and a batch is
// answered as a whole.
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <vector>

#include "amorsize/run_types.hpp"
#include "memory_probe.hpp"
#include "mpi.hpp"

namespace amorsize::detail {

class Leader {
 public:
  /// `failure`: this rank failed before it could lead (it only ends the run for its ranks).
  Leader(Transport& transport, const RunOptions& options, const wire::Lead& lead,
         std::exception_ptr failure = nullptr);
  /// Until kStop and every batch answered (or the run is aborted); then ends the run for the
  /// ranks it feeds and for itself (throws if the run failed).
  void run();

 private:
  struct Done {
    wire::Result result;          // the worker's
    int rank = 0;                 // the worker that ran it
    MemoryWatch::Reading memory;  // the worker's, as its chunk ended
  };
  struct Batch {
    wire::BatchHeader header;
    std::vector<Done> parts;
    std::int64_t left = 0;
  };
  struct Worker {
    int rank;
    int outstanding;
  };

  void on_message(Message& m);
  void finish();
  void say_when_pressure_clears();
  void take_batch(const wire::Batch& batch);
  void take_result(int rank, wire::Result result);
  void finish(Batch& batch);
  bool feed();

  Transport& transport_;
  OnError policy_;
  MemoryWatch memory_;
  int inflight_ = 2;
  double chunk_seconds_ = 0;
  std::int64_t chunk_flags_ = 0;  // wire::kTimeItems: the workers time each item
  std::vector<Worker> workers_;
  std::deque<std::vector<char>> todo_;  // chunks not handed out yet
  std::map<std::int64_t, Batch> batches_;
  std::map<std::int64_t, std::pair<std::int64_t, std::size_t>> part_of_;  // part -> batch, index
  std::int64_t next_part_ = 0;
  std::exception_ptr failure_;
  bool stopped_ = false;  // rank 0's kStop came
  bool aborted_ = false;  // rank 0's kAbort came
};

}  // namespace amorsize::detail
