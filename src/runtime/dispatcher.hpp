#pragma once
// Which worker gets the next chunk, and how large: the coordinator's slots (a worker rank, a
// node leader, or rank 0's thread pool), each with room for a few chunks in flight, filled
// round by round from the items handed back and then from the source, as the schedule sizes
// them, while the reorder window and the nodes' memory allow (a node under pressure gets one
// chunk at a time). No MPI: it sends through an Outbox.
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "amorsize/plan.hpp"
#include "amorsize/schedule.hpp"
#include "discovery.hpp"
#include "handback.hpp"
#include "mpi.hpp"
#include "pressure.hpp"
#include "reorder.hpp"
#include "source_cursor.hpp"

namespace amorsize::detail {

/// Which ranks work, as the plan has it. A node's planned workers are split over the ranks
/// launched there, as evenly as they go; a rank whose share is above one runs the rest as
/// threads. Rank 0 takes a share only when it computes, after the other ranks of its node.
/// On a node with a leader, its lowest rank leads and feeds as many of the next ranks as the
/// node has workers (one item at a time each).
struct Assignment {
  struct Direct {
    int rank;
    int node;
    int threads;  // the rank's share of its node's workers
  };
  std::vector<Direct> direct;                  // ranks the coordinator feeds
  std::vector<std::vector<std::int32_t>> led;  // per node: the ranks its leader feeds
  int threads = 0;                             // rank 0's pool (0: none)
};
Assignment assign_workers(const Plan& plan, const Layout& layout, int size,
                          bool threads_may_compute);

class Dispatcher {
 public:
  /// What the coordinator knew of a chunk (or a leader's batch) when its result arrives.
  struct Completed {
    int rank = 0;  // 0: rank 0's pool
    int node = 0;
    double dispatch_seconds = 0;
    std::int64_t bytes_in = 0;
    std::int64_t chunks = 1;  // a leader's batch holds several
  };

  /// `now` gives the coordinator's clock (seconds since the run began).
  Dispatcher(const Plan& plan, SourceCursor& source, ReorderBuffer& reorder, HandBackPool& returned,
             const NodePressure& pressure, Outbox& outbox, std::function<double()> now);

  /// A worker rank the coordinator feeds, running `threads` items at once.
  void add_worker(int rank, int node, int threads = 1);
  /// A leader that feeds `width` ranks of `node`, a batch (a chunk for each) at a time.
  void add_leader(int rank, int node, int width);
  /// Rank 0's pool of `threads` (its chunks go to the outbox as rank 0).
  void add_local(int threads);

  /// Flags every chunk carries (wire::kTimeItems for RunOptions::record_items).
  void set_chunk_flags(std::int64_t flags) { chunk_flags_ = flags; }
  bool empty() const { return slots_.empty(); }
  /// Workers behind all slots.
  std::int64_t width() const { return width_; }
  /// A leader holds this many batches: with one more batch than a worker holds chunks, the
  /// leader has chunks queued while a finished batch travels to the coordinator.
  int batches_per_leader() const { return plan_.inflight_per_worker + 1; }

  /// Sends chunks round by round, one per worker and round, so that the first chunks (the
  /// largest, and with the static schedule the only ones) are spread over all workers. Stops
  /// when nothing is left, the window is full, or every slot is full or on a held node (under
  /// memory pressure) that has a chunk out: a held node gets one chunk at a time. In the
  /// last round (last_round()) a worker gets a chunk only when its threads have none.
  void fill();
  /// What is left to send, the source's rest and the items handed back, would take under
  /// four chunks per worker (a source of known size only). A chunk queued behind a running one
  /// then ends late while other workers go idle with nothing left: at 1,024 simulated ranks,
  /// the last results came up to 17 ms after the source ran out, when half the ranks had
  /// been idle since it did.
  bool last_round() const;

  /// The result of chunk `seq` arrived: it is no longer out. protocol_error if it was not.
  Completed complete(std::int64_t seq);
  /// Items a worker handed back unstarted (a chunk's rest, or a whole chunk it never began).
  void take_return(const wire::Return& r);

  /// Nothing is out.
  bool idle() const { return out_.empty(); }
  /// Nothing is out and nothing will be sent (the source and the hand-backs are empty).
  bool done() const { return idle() && source_.exhausted() && returned_.empty(); }
  /// Expected duration of the last chunk sent (the coordinator's wait follows it).
  double chunk_seconds() const { return chunk_seconds_; }
  ChunkSchedule& schedule() { return schedule_; }
  /// Items handed back so far.
  std::int64_t returned_items() const { return returned_total_; }

  // An item shorter than this never makes a chunk hand back (a message is not worth less).
  static constexpr double kMinHeavyItemSeconds = 1e-3;

 private:
  struct Slot {
    int rank;  // 0 = the local thread pool
    int node;
    int capacity;   // chunks (a leader: batches) it may hold
    int width = 1;  // workers behind it (threads of the local pool, a leader's ranks)
    int outstanding = 0;
    bool leader = false;
  };
  struct Out {
    std::size_t slot;
    double dispatch_seconds;
    std::int64_t bytes_in;
    std::int64_t chunks;
  };

  bool dispatch(std::size_t s, bool held);
  bool dispatch_returned(std::size_t s);
  bool dispatch_batch(std::size_t s, std::optional<std::int64_t> remaining, int chunks_wanted);
  void send_chunk(std::size_t s, std::int64_t first, std::int64_t count,
                  const std::vector<char>& items, bool handed_back_before);
  double weight(std::size_t s) const { return plan_.nodes[slots_[s].node].chunk_weight; }

  const Plan& plan_;
  SourceCursor& source_;
  ReorderBuffer& reorder_;
  HandBackPool& returned_;
  const NodePressure& pressure_;
  Outbox& outbox_;
  std::function<double()> now_;
  ChunkSchedule schedule_;
  std::vector<Slot> slots_;
  std::int64_t width_ = 0;
  std::vector<int> node_out_;        // per node: chunks and batches out
  std::map<std::int64_t, Out> out_;  // seq -> chunk or batch in flight
  std::int64_t seq_ = 0;
  std::int64_t returned_total_ = 0;
  double chunk_seconds_ = 0;
  std::int64_t chunk_flags_ = 0;
};

}  // namespace amorsize::detail
