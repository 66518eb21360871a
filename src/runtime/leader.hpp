#pragma once
// A node leader: takes batches of chunks from the coordinator, feeds its node's worker ranks,
// and answers with one result per batch (results in item order, and how each chunk went).
// Its workers never hand items back: their chunks carry no heavy_item_seconds, and a batch is
// answered as a whole.
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "amorsize/run_types.hpp"
#include "memory_probe.hpp"
#include "mpi.hpp"

namespace amorsize::detail {

class Leader {
 public:
  Leader(Transport& transport, const RunOptions& options, const wire::Lead& lead);
  /// Until kStop and every batch answered; then stops the ranks it feeds.
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
  void take_batch(const wire::Batch& batch);
  void take_result(int rank, wire::Result result);
  void finish(Batch& batch);
  bool feed();

  Transport& transport_;
  MemoryWatch memory_;
  int inflight_ = 2;
  double chunk_seconds_ = 0;
  std::vector<Worker> workers_;
  std::deque<std::vector<char>> todo_;  // chunks not handed out yet
  std::map<std::int64_t, Batch> batches_;
  std::map<std::int64_t, std::pair<std::int64_t, std::size_t>> part_of_;  // part -> batch, index
  std::int64_t next_part_ = 0;
  bool stop_ = false;
  bool reported_pressure_ = false;
};

}  // namespace amorsize::detail
