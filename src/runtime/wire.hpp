#pragma once
// The protocol's messages. Every message is one MPI_BYTE buffer: a fixed header, then payload.
// One message per chunk each way; a result doubles as the request for more work. Each message
// has one encode and one decode function; a decoder checks every count and size against the
// buffer and throws protocol_error, so no message is ever patched or read past its end.
#include <cstdint>
#include <string>
#include <vector>

#include "amorsize/error.hpp"
#include "amorsize/run_types.hpp"

namespace amorsize::detail {

/// A message that breaks the protocol: truncated, inconsistent, or unexpected where it came.
class protocol_error : public error {
 public:
  using error::error;
};

}  // namespace amorsize::detail

namespace amorsize::detail::wire {

enum class Tag : int {
  kPing = 99,      // start-up: rank 0 <-> a node's lowest rank, one double each way (clocks)
  kChunk = 101,    // coordinator or leader -> worker: Chunk
  kResult = 102,   // worker -> whoever sent the chunk; leader -> coordinator: Result
  kStatus = 103,   // worker or leader -> its boss: Status (memory pressure cleared while idle)
  kStop = 104,     // coordinator or leader -> worker: no more work (empty)
  kLead = 105,     // coordinator -> a node's lowest rank: Lead (become the node's leader)
  kBatch = 106,    // coordinator -> leader: Batch
  kReturn = 107,   // worker -> coordinator: Return (items it will not run)
  kAbort = 108,    // a failed rank -> rank 0, then rank 0 -> every rank: Abort (the run ends)
  kDone = 109,     // every rank -> rank 0 (and a led worker -> its leader): the last message
  kVerdict = 110,  // rank 0 -> every rank, last of all: Verdict (how the run ended)
  kShare = 111,    // coordinator -> a worker rank, before its first chunk: Share (threads)
  kEnd = 112,      // coordinator, then each rank to its children in the ending tree: the run is
                   // complete (empty); kDone then goes up the tree with a count (ending.hpp)
  // Loops on a Context (loop.cpp): every rank computes; rank 0 hands out the ranges.
  kLoopRange = 120,    // rank 0 -> a rank: LoopRange (a range of the loop, or no more)
  kLoopRequest = 121,  // a rank -> rank 0: LoopRequest (its next range, please)
  kLoopEnd = 122,      // a rank -> rank 0, after its last range: LoopEnd (how its ranges went)
};

/// The tag's name, for error messages ("kResult").
const char* name(Tag tag);
/// The Tag of an MPI tag; protocol_error for a tag the protocol does not use.
Tag tag_from_int(int tag);

/// Bytes inside a message (not owned).
struct ByteView {
  const char* data = nullptr;
  std::size_t size = 0;
  ByteView() = default;
  ByteView(const char* d, std::size_t n) : data(d), size(n) {}
  ByteView(const std::vector<char>& v) : data(v.data()), size(v.size()) {}  // NOLINT
};

enum ChunkFlags : std::int64_t {
  kMeasureItems = 1,  // a sampling probe: send back each item's time and the memory growth
  kTimeItems = 2,     // send back each item's time (RunOptions::record_items)
};

struct ChunkHeader {
  std::int64_t seq = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::int64_t flags = 0;  // ChunkFlags
  // After an item that alone ran longer than this, the chunk hands back its unstarted items
  // (0: never).
  double heavy_item_seconds = 0;
};

/// kChunk: `count` serialized items, first..first+count-1.
struct Chunk {
  ChunkHeader header;
  ByteView items;
};
std::vector<char> encode(const ChunkHeader& header, ByteView items);
Chunk decode_chunk(ByteView message);

// Items a worker hands back unstarted: the rest of a chunk after a heavy item
// (its result covers the items before; `whole` = 0), or a queued chunk it never began
// (`whole` = 1: no result will come for `seq`).
struct ReturnHeader {
  std::int64_t seq = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::int64_t whole = 0;
};

/// kReturn.
struct Return {
  ReturnHeader header;
  ByteView items;
};
std::vector<char> encode(const ReturnHeader& header, ByteView items);
Return decode_return(ByteView message);

struct ResultHeader {
  std::int64_t seq = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  double compute_seconds = 0;  // wall time spent in the items
  double start_wtime = 0;      // the worker's node clock when the chunk began
  double end_wtime = 0;        // ... and ended
  double cpu_seconds = 0;      // CPU time of the process meanwhile (nested threads)
  std::int64_t results_bytes = 0;
  std::int64_t failures = 0;
  std::int32_t pressured = 0;  // the node's memory is under pressure after this chunk
  std::int32_t measured = 0;   // 1 (kMeasureItems): `count` item seconds and the resident-set
                               // growth (bytes) follow the failures, as doubles; 2 (kTimeItems):
                               // `count` item seconds
  std::int64_t parts = 0;      // a leader's batch: `parts` PartRecords follow the failures
  double memory_wtime = 0;     // the node's clock when `pressured` was read (a later reading wins)
  double work_seconds = 0;     // the items' CPU time: their thread's, plus what they noted
  double longest_item_seconds = 0;  // the longest item, deflated by the chunk's CPU share
  double memory_used = 0;           // the fraction of the node's memory in use at that reading
};

// How one chunk of a batch went, for the log and the schedule.
struct PartRecord {
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::int32_t rank = 0;
  std::int32_t failures = 0;
  double start_wtime = 0;
  double end_wtime = 0;
  double compute_seconds = 0;
  std::int64_t results_bytes = 0;
};

/// kResult: the results of the items that succeeded, in item order, and the failures.
/// On encode, the header's results_bytes, failures, measured and parts are taken from the
/// fields below, so they cannot disagree.
struct Result {
  ResultHeader header;
  std::vector<char> results;
  std::vector<Failure> failures;
  bool measured = false;
  bool timed = false;                // kTimeItems (when not measured): item_seconds only
  std::vector<double> item_seconds;  // measured or timed: one per item
  double memory_growth_bytes = 0;    // measured: the resident set's growth over the chunk
  std::vector<PartRecord> parts;     // a leader's batch: how each of its chunks went
};
std::vector<char> encode(const Result& result);
Result decode_result(ByteView message);

/// kLead: the ranks the new leader feeds, and how.
struct Lead {
  std::int32_t inflight = 1;  // chunks each of them holds at most
  double chunk_seconds = 0;   // a chunk's planned duration (how long the leader may sleep)
  std::vector<std::int32_t> workers;
  std::int64_t chunk_flags = 0;  // ChunkFlags for the chunks it hands on (kTimeItems)
};
std::vector<char> encode(const Lead& lead);
Lead decode_lead(ByteView message);

// A batch: chunks for a leader's workers, contiguous in item order.
struct BatchHeader {
  std::int64_t seq = 0;
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::int64_t parts = 0;
};

struct PartHeader {
  std::int64_t first = 0;
  std::int64_t count = 0;
  std::int64_t bytes = 0;  // of its serialized items
};

/// kBatch: the parts' items follow one another in `items`.
struct Batch {
  BatchHeader header;
  std::vector<PartHeader> parts;
  ByteView items;
};
std::vector<char> encode(const BatchHeader& header, const std::vector<PartHeader>& parts,
                         ByteView items);
Batch decode_batch(ByteView message);

/// kStatus.
struct Status {
  std::int32_t pressured = 0;
  std::int32_t reserved = 0;
  double when = 0;  // the node's clock when memory was read: a later reading wins
  double used = 0;  // the fraction of the node's memory in use
};
std::vector<char> encode(const Status& status);
Status decode_status(ByteView message);

/// kShare: the worker rank's share of its node's workers, run as threads (more than one).
struct Share {
  std::int32_t threads = 1;
  /// The CPUs each of its workers is bound to, in the order it runs them (the first is the
  /// rank's own thread when threads == 1); empty: not bound.
  std::vector<std::vector<std::int32_t>> cpus;
};
std::vector<char> encode(const Share& share);
Share decode_share(ByteView message);

/// kLoopRange: [lo, hi) of call `call`; done: no more ranges for this rank in this call.
struct LoopRange {
  std::int64_t call = 0;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  std::int32_t done = 0;
  std::int32_t reserved = 0;
};
std::vector<char> encode(const LoopRange& range);
LoopRange decode_loop_range(ByteView message);

/// kLoopRequest.
struct LoopRequest {
  std::int64_t call = 0;
};
std::vector<char> encode(const LoopRequest& request);
LoopRequest decode_loop_request(ByteView message);

/// A range a rank ran, and how long the caller took over it.
struct LoopPiece {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  double seconds = 0;
  double start = 0;  // the rank's node clock when the caller got it
};
/// kLoopEnd: the rank's ranges of call `call`, and how long it waited for ranges.
struct LoopEnd {
  std::int64_t call = 0;
  double wait_seconds = 0;
  std::vector<LoopPiece> pieces;
};
std::vector<char> encode(const LoopEnd& end);
LoopEnd decode_loop_end(ByteView message);

/// kStop, kEnd and kDone carry nothing; but a kDone up the ending tree carries how many
/// messages (kDone aside) the sender and the ranks below it sent to rank 0 in the run.
std::vector<char> encode_empty();
void decode_empty(ByteView message, Tag tag);
std::vector<char> encode_done(std::int64_t sent_to_root);
std::int64_t decode_done(ByteView message);

/// kAbort: why the run ends. From rank 0 it also names the leader that feeds the receiving
/// rank (-1: none), whose kStop the rank waits for before it is done.
struct Abort {
  std::int32_t leader = -1;
  std::string message;
};
std::vector<char> encode(const Abort& abort);
Abort decode_abort(ByteView message);

/// kVerdict: -1 when the run succeeded, else the rank whose failure ended it, and the reason.
struct Verdict {
  std::int32_t failed_rank = -1;
  std::string message;
};
std::vector<char> encode(const Verdict& verdict);
Verdict decode_verdict(ByteView message);

}  // namespace amorsize::detail::wire
