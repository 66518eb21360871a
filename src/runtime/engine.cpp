// The protocol: one coordinator (rank 0) and workers (the other ranks, plus threads of rank 0
// when its node has cores to spare). Plain MPI C API, one thread making MPI calls per rank.
#include "amorsize/detail/engine.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "amorsize/profile.hpp"
#include "amorsize/schedule.hpp"
#include "amorsize/topology.hpp"
#include "memory_probe.hpp"
#include "polite_wait.hpp"
#include "wire.hpp"

namespace amorsize::detail {

double node_clock_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw error(std::string("amorsize: ") + what + " failed: " + std::string(text, len));
  }
}

// Receives the message announced by `status` into `buffer`.
void receive(MPI_Comm comm, const MPI_Status& status, std::vector<char>& buffer) {
  int bytes = 0;
  check(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
  buffer.resize(std::size_t(bytes));
  check(MPI_Recv(buffer.data(), bytes, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm,
                 MPI_STATUS_IGNORE),
        "MPI_Recv");
}

// Sends without blocking and keeps each buffer alive until its send completes.
class Sender {
 public:
  explicit Sender(MPI_Comm comm) : comm_(comm) {}
  ~Sender() { finish(); }
  void send(int dest, int tag, std::vector<char> data) {
    ++sent_;
    reap();
    pending_.push_back({MPI_REQUEST_NULL, std::move(data)});
    auto& p = pending_.back();
    check(MPI_Isend(p.data.data(), int(p.data.size()), MPI_BYTE, dest, tag, comm_, &p.request),
          "MPI_Isend");
  }
  void reap() {
    while (!pending_.empty()) {
      int done = 0;
      check(MPI_Test(&pending_.front().request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (!done) break;
      pending_.pop_front();
    }
  }
  std::int64_t sent() const { return sent_; }
  void finish() {
    PoliteWait wait(PoliteWait::kWorker);
    while (!pending_.empty()) {
      reap();
      if (!pending_.empty()) wait.idle();
    }
  }

 private:
  std::int64_t sent_ = 0;
  struct Pending {
    MPI_Request request;
    std::vector<char> data;
  };
  MPI_Comm comm_;
  std::deque<Pending> pending_;
};

// Runs one chunk and builds its result message. A sampling probe also sends back each item's
// time and how much the resident set grew. A chunk with a heavy_item_seconds stops after an
// item that alone ran longer: its result covers the items run, and `handed_back` gets a
// kReturn message with the rest (left empty otherwise).
std::vector<char> run_chunk(Codec& codec, const wire::ChunkHeader& h, const char* items,
                            std::size_t size, std::vector<char>* handed_back = nullptr) {
  std::vector<char> results;
  std::vector<Failure> failures;
  std::vector<double> item_seconds;
  const bool measure = (h.flags & wire::kMeasureItems) != 0;
  const std::uint64_t memory_start = measure ? detail::item_memory_start() : 0;
  const double cpu0 = detail::process_cpu_seconds();
  const double t0 = node_clock_seconds();
  double item_start = t0;
  const std::function<bool()> go_on = [&] {
    const double t = node_clock_seconds();
    const bool heavy = t - item_start > h.heavy_item_seconds;
    item_start = t;
    return !heavy;
  };
  const bool may_stop = handed_back && h.heavy_item_seconds > 0 && !measure;
  std::size_t consumed = size;
  const std::int64_t ran =
      codec.execute(h.first, h.count, items, size, results, failures,
                    measure ? &item_seconds : nullptr, may_stop ? &go_on : nullptr, &consumed);
  if (ran < h.count) {
    wire::put(*handed_back, wire::ReturnHeader{h.seq, h.first + ran, h.count - ran, 0});
    handed_back->insert(handed_back->end(), items + consumed, items + size);
  }
  wire::ResultHeader r{};
  r.seq = h.seq;
  r.first = h.first;
  r.count = ran;
  r.end_wtime = node_clock_seconds();
  r.start_wtime = t0;
  r.compute_seconds = r.end_wtime - t0;
  r.cpu_seconds = detail::process_cpu_seconds() - cpu0;
  r.results_bytes = std::int64_t(results.size());
  r.failures = std::int64_t(failures.size());
  r.measured = measure ? 1 : 0;
  std::vector<char> out;
  out.reserve(sizeof r + results.size() + 32 * failures.size() +
              sizeof(double) * (item_seconds.size() + 1));
  wire::put(out, r);
  out.insert(out.end(), results.begin(), results.end());
  wire::put_failures(out, failures);
  if (measure) {
    item_seconds.resize(std::size_t(h.count), 0.0);
    for (double t : item_seconds) wire::put(out, t);
    wire::put(out, double(detail::item_memory_since(memory_start)));
  }
  return out;
}

// Tells `dest` (the coordinator, or a node's leader) that this node's memory pressure cleared.
// `when` is the node clock at the reading that found it cleared.
void send_pressure_cleared(Sender& sender, int dest, double when) {
  std::vector<char> msg;
  wire::put(msg, wire::StatusHeader{0, 0, when});
  sender.send(dest, wire::kStatus, std::move(msg));
}

// ---------------------------------------------------------------------------------------------
// Node leader: takes batches of chunks from the coordinator, feeds its node's worker ranks,
// and answers with one message per batch (results in item order, and how each chunk went).

class Leader {
 public:
  Leader(MPI_Comm comm, const RunOptions& options, int rank, const std::vector<char>& lead)
      : comm_(comm), memory_(options, rank), sender_(comm) {
    wire::Reader in(lead.data(), lead.size());
    const auto h = in.get<wire::LeadHeader>();
    inflight_ = std::max(1, h.inflight);
    chunk_seconds_ = h.chunk_seconds;
    for (int i = 0; i < h.workers; ++i) workers_.push_back({in.get<std::int32_t>(), 0});
  }

  void run() {
    std::vector<char> buffer;
    PoliteWait wait(PoliteWait::kCoordinator, chunk_seconds_);
    bool stop = false;
    while (true) {
      bool progress = false;
      for (int flag = 1; flag;) {
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &status), "MPI_Iprobe");
        if (!flag) break;
        receive(comm_, status, buffer);
        progress = true;
        if (status.MPI_TAG == wire::kStop) stop = true;
        if (status.MPI_TAG == wire::kBatch) take_batch(buffer);
        if (status.MPI_TAG == wire::kResult) take_result(status.MPI_SOURCE, buffer);
        // kStatus from a worker: the leader watches the node's memory itself.
      }
      if (feed()) progress = true;
      sender_.reap();
      if (stop && batches_.empty()) break;
      if (!progress) {
        // Idle: tell the coordinator when the node's memory pressure has cleared.
        const auto memory = memory_.read();
        if (reported_pressure_ && !memory.pressured) {
          send_pressure_cleared(sender_, 0, memory.when);
          reported_pressure_ = false;
        }
        wait.idle();
      } else {
        wait.reset();
      }
    }
    for (const auto& w : workers_) sender_.send(w.rank, wire::kStop, {});
    sender_.finish();
  }

 private:
  struct Done {
    wire::PartRecord record{};
    std::vector<char> results;
    std::vector<Failure> failures;
    double cpu_seconds = 0;
    MemoryWatch::Reading memory;  // the worker's, as its chunk ended
  };
  struct Batch {
    wire::BatchHeader header{};
    std::vector<Done> parts;
    std::int64_t left = 0;
  };
  struct Worker {
    int rank;
    int outstanding;
  };

  void take_batch(const std::vector<char>& msg) {
    wire::Reader in(msg.data(), msg.size());
    Batch batch;
    batch.header = in.get<wire::BatchHeader>();
    std::vector<wire::PartHeader> parts(std::size_t(batch.header.parts));
    for (auto& p : parts) p = in.get<wire::PartHeader>();
    batch.parts.resize(parts.size());
    batch.left = std::int64_t(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      std::vector<char> chunk;  // a chunk message, as the coordinator would send it
      wire::put(chunk, wire::ChunkHeader{next_part_, parts[i].first, parts[i].count, 0});
      const char* items = in.take(std::size_t(parts[i].bytes));
      chunk.insert(chunk.end(), items, items + parts[i].bytes);
      part_of_.emplace(next_part_++, std::make_pair(batch.header.seq, i));
      todo_.push_back(std::move(chunk));
    }
    batches_.emplace(batch.header.seq, std::move(batch));
  }

  void take_result(int rank, const std::vector<char>& msg) {
    wire::Reader in(msg.data(), msg.size());
    const auto r = in.get<wire::ResultHeader>();
    const auto where = part_of_.at(r.seq);
    part_of_.erase(r.seq);
    for (auto& w : workers_)
      if (w.rank == rank) --w.outstanding;
    Batch& batch = batches_.at(where.first);
    Done& done = batch.parts[where.second];
    const char* results = in.take(std::size_t(r.results_bytes));
    done.results.assign(results, results + r.results_bytes);
    done.failures = wire::get_failures(in, r.failures);
    done.record = {
        r.first,     r.count,           rank,           std::int32_t(r.failures), r.start_wtime,
        r.end_wtime, r.compute_seconds, r.results_bytes};
    done.cpu_seconds = r.cpu_seconds;
    done.memory = {r.pressured != 0, r.memory_wtime};
    if (--batch.left == 0) {
      finish(batch);
      batches_.erase(where.first);
    }
  }

  // All of a batch's chunks are back: one result message, laid out like a worker's.
  void finish(const Batch& batch) {
    wire::ResultHeader r{};
    r.seq = batch.header.seq;
    r.first = batch.header.first;
    r.count = batch.header.count;
    r.start_wtime = 1e300;
    r.end_wtime = -1e300;
    // The node's latest memory reading, the leader's own or a worker's.
    MemoryWatch::Reading memory = memory_.read();
    for (const auto& d : batch.parts) {
      r.compute_seconds += d.record.compute_seconds;
      r.cpu_seconds += d.cpu_seconds;
      r.start_wtime = std::min(r.start_wtime, d.record.start_wtime);
      r.end_wtime = std::max(r.end_wtime, d.record.end_wtime);
      r.results_bytes += std::int64_t(d.results.size());
      r.failures += std::int64_t(d.failures.size());
      if (d.memory.when > memory.when) memory = d.memory;
    }
    r.pressured = memory.pressured ? 1 : 0;
    r.memory_wtime = memory.when;
    r.parts = std::int64_t(batch.parts.size());
    std::vector<char> out;
    out.reserve(sizeof r + std::size_t(r.results_bytes) +
                sizeof(wire::PartRecord) * batch.parts.size());
    wire::put(out, r);
    for (const auto& d : batch.parts) out.insert(out.end(), d.results.begin(), d.results.end());
    for (const auto& d : batch.parts) wire::put_failures(out, d.failures);
    for (const auto& d : batch.parts) wire::put(out, d.record);
    sender_.send(0, wire::kResult, std::move(out));
    reported_pressure_ = memory.pressured;
  }

  // Hands queued chunks to workers, round by round; under memory pressure no prefetch.
  bool feed() {
    bool any = false;
    const int limit = reported_pressure_ ? 1 : inflight_;
    for (bool more = true; more && !todo_.empty();) {
      more = false;
      for (auto& w : workers_) {
        if (todo_.empty()) break;
        if (w.outstanding >= limit) continue;
        sender_.send(w.rank, wire::kChunk, std::move(todo_.front()));
        todo_.pop_front();
        ++w.outstanding;
        more = any = true;
      }
    }
    return any;
  }

  MPI_Comm comm_;
  MemoryWatch memory_;
  Sender sender_;
  int inflight_ = 2;
  double chunk_seconds_ = 0;
  std::vector<Worker> workers_;
  std::deque<std::vector<char>> todo_;  // chunks not handed out yet
  std::map<std::int64_t, Batch> batches_;
  std::map<std::int64_t, std::pair<std::int64_t, std::size_t>> part_of_;  // part -> batch, index
  std::int64_t next_part_ = 0;
  bool reported_pressure_ = false;
};

// ---------------------------------------------------------------------------------------------
// Worker rank: receives chunks, runs them, sends results, until told to stop. Chunks come from
// the coordinator or from the node's leader; results go back to whoever sent the chunk. A
// kLead message makes this rank its node's leader.

void worker_loop(MPI_Comm comm, Codec& codec, const RunOptions& options, int rank) {
  MemoryWatch memory(options, rank);
  Sender sender(comm);
  std::deque<std::pair<int, std::vector<char>>> chunks;  // source, chunk
  std::vector<char> buffer;
  PoliteWait wait(PoliteWait::kWorker);
  bool stop = false;
  bool reported_pressure = false;
  int boss = 0;  // who sent the last chunk
  bool lead = false;
  // Takes every message waiting; a kLead leaves `buffer` holding it.
  const auto take_messages = [&] {
    int flag = 1;
    while (flag && !lead) {
      MPI_Status status;
      check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &status), "MPI_Iprobe");
      if (!flag) break;
      receive(comm, status, buffer);
      if (status.MPI_TAG == wire::kStop) stop = true;
      if (status.MPI_TAG == wire::kChunk) chunks.emplace_back(status.MPI_SOURCE, std::move(buffer));
      if (status.MPI_TAG == wire::kLead) lead = true;
      if (!lead) buffer = {};
    }
  };
  while (true) {
    take_messages();
    if (lead) {
      sender.finish();
      Leader(comm, options, rank, buffer).run();
      return;
    }
    if (!chunks.empty()) {
      auto [source, chunk] = std::move(chunks.front());
      chunks.pop_front();
      boss = source;
      wire::Reader in(chunk.data(), chunk.size());
      const auto h = in.get<wire::ChunkHeader>();
      std::vector<char> handed_back;
      std::vector<char> result = run_chunk(codec, h, in.here(), in.left(), &handed_back);
      // Memory as the chunk leaves it, with the time it was read (cached readings are older).
      const auto reading = memory.read();
      auto* header = reinterpret_cast<wire::ResultHeader*>(result.data());
      header->pressured = reading.pressured ? 1 : 0;
      header->memory_wtime = reading.when;
      // The chunk ran long (a heavy item): its unstarted rest goes back before the result, so
      // the coordinator never sees the chunk done while items of it are still on their way.
      const bool ran_long = !handed_back.empty();
      if (ran_long) sender.send(source, wire::kReturn, std::move(handed_back));
      sender.send(source, wire::kResult, std::move(result));
      reported_pressure = reading.pressured;
      if (ran_long) {
        // ... and so does every chunk queued behind it (they stay out until their kReturn),
        // for workers that are free now.
        take_messages();
        for (auto it = chunks.begin(); it != chunks.end();) {
          if (it->first != 0) {  // a leader's: it answers for its batch as a whole
            ++it;
            continue;
          }
          wire::Reader queued(it->second.data(), it->second.size());
          const auto q = queued.get<wire::ChunkHeader>();
          std::vector<char> back;
          wire::put(back, wire::ReturnHeader{q.seq, q.first, q.count, 1});
          back.insert(back.end(), queued.here(), queued.here() + queued.left());
          sender.send(it->first, wire::kReturn, std::move(back));
          it = chunks.erase(it);
        }
      }
      wait.reset();
      continue;
    }
    if (stop) break;
    // Idle: if this node was reported under pressure, say so when it clears.
    const auto reading = memory.read();
    if (reported_pressure && !reading.pressured) {
      send_pressure_cleared(sender, boss, reading.when);
      reported_pressure = false;
    }
    wait.idle();
  }
  sender.finish();
}

// ---------------------------------------------------------------------------------------------
// Threads on the coordinator's rank: a local queue instead of messages.

class LocalWorkers {
 public:
  LocalWorkers(Codec& codec, int threads) : codec_(codec) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~LocalWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return int(threads_.size()); }
  void push(std::vector<char> chunk) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      todo_.push_back(std::move(chunk));
    }
    ready_.notify_one();
  }
  bool pop_result(std::vector<char>& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (done_.empty()) return false;
    out = std::move(done_.front());
    done_.pop_front();
    return true;
  }

 private:
  void loop() {
    while (true) {
      std::vector<char> chunk;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return closing_ || !todo_.empty(); });
        if (todo_.empty()) return;
        chunk = std::move(todo_.front());
        todo_.pop_front();
      }
      wire::Reader in(chunk.data(), chunk.size());
      const auto h = in.get<wire::ChunkHeader>();
      auto result = run_chunk(codec_, h, in.here(), in.left());
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(std::move(result));
    }
  }

  Codec& codec_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::vector<char>> todo_, done_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------
// Start-up on every rank: which node each rank is on, and each node's topology.

struct Layout {
  int leader = 0;                 // every rank: the lowest rank on its node
  std::vector<int> node_of_rank;  // rank 0: world rank -> node index (rank 0's node is 0)
  std::vector<int> node_leader;   // rank 0: node -> its lowest rank
  std::vector<NodeTopology> nodes;
  std::vector<int> ranks_on_node;
};

#ifdef AMORSIZE_SMPI
// SimGrid's SMPI: a node is a simulated host. Its MPI_Comm_split_type does not synchronize
// (ranks that call it late see a smaller node), so ranks compare host names instead, and a
// node's cores are the ranks placed on it (the platform decides). hwloc would describe the
// real machine, not the simulated one.
constexpr bool kSimulated = true;
constexpr std::uint64_t kSimulatedNodeMemory = std::uint64_t(256) << 30;

int node_leader(MPI_Comm comm, int rank, int size) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  std::vector<char> names(rank == 0 ? std::size_t(size) * MPI_MAX_PROCESSOR_NAME : 0);
  check(MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names.data(), MPI_MAX_PROCESSOR_NAME,
                   MPI_CHAR, 0, comm),
        "MPI_Gather");
  std::vector<int> leaders(rank == 0 ? std::size_t(size) : 0);
  if (rank == 0) {
    std::map<std::string, int> first;
    for (int r = 0; r < size; ++r)
      leaders[r] = first.emplace(std::string(&names[std::size_t(r) * MPI_MAX_PROCESSOR_NAME]), r)
                       .first->second;
  }
  int leader = 0;
  check(MPI_Scatter(leaders.data(), 1, MPI_INT, &leader, 1, MPI_INT, 0, comm), "MPI_Scatter");
  return leader;
}

NodeTopology node_description() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  NodeTopology node;
  node.name = name;
  node.cores = node.pus = 1;  // rank 0 counts the ranks on the node
  node.memory_total_bytes = node.memory_available_bytes = kSimulatedNodeMemory;
  return node;
}
#else
constexpr bool kSimulated = false;

int node_leader(MPI_Comm comm, int rank, int /*size*/) {
  MPI_Comm shared;
  check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shared),
        "MPI_Comm_split_type");
  int leader = 0;
  check(MPI_Allreduce(&rank, &leader, 1, MPI_INT, MPI_MIN, shared), "MPI_Allreduce");
  MPI_Comm_free(&shared);
  return leader;
}

NodeTopology node_description() {
  return local_topology();
}
#endif

Layout discover(MPI_Comm comm, const RunOptions& options, int rank, int size) {
  Layout layout;
  if (options.simulated_nodes > 0) {
    const int n = std::min(options.simulated_nodes, size);
    const int node = int(std::int64_t(rank) * n / size);
    layout.leader = int((std::int64_t(node) * size + n - 1) / n);
  } else {
    layout.leader = node_leader(comm, rank, size);
  }
  const int leader = layout.leader;
  std::string json;
  if (leader == rank) json = to_json(node_description());
  std::vector<int> leaders(rank == 0 ? size : 0), lengths(rank == 0 ? size : 0);
  const int length = int(json.size());
  check(MPI_Gather(&leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, 0, comm), "MPI_Gather");
  check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, comm), "MPI_Gather");
  std::vector<int> offsets(rank == 0 ? size : 0);
  std::vector<char> all;
  if (rank == 0) {
    int total = 0;
    for (int i = 0; i < size; ++i) {
      offsets[i] = total;
      total += lengths[i];
    }
    all.resize(std::size_t(total));
  }
  check(MPI_Gatherv(json.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                    MPI_CHAR, 0, comm),
        "MPI_Gatherv");
  if (rank != 0) return layout;
  std::map<int, int> node_index;  // leader rank -> node
  layout.node_of_rank.resize(std::size_t(size));
  for (int r = 0; r < size; ++r) {
    auto it = node_index.find(leaders[r]);
    if (it == node_index.end()) {
      it = node_index.emplace(leaders[r], int(layout.nodes.size())).first;
      const int l = leaders[r];
      layout.nodes.push_back(
          node_topology_from_json(std::string(all.data() + offsets[l], std::size_t(lengths[l]))));
      layout.node_leader.push_back(l);
      layout.ranks_on_node.push_back(0);
    }
    layout.node_of_rank[r] = it->second;
    layout.ranks_on_node[it->second] += 1;
  }
  if (options.simulated_nodes > 0) {
    // Simulated nodes share one machine; each has a core per rank placed on it, as a job
    // launched with one rank per core would (the ranks share the real cores).
    for (std::size_t n = 0; n < layout.nodes.size(); ++n) {
      auto& node = layout.nodes[n];
      node.cores = node.pus = layout.ranks_on_node[n];
      node.name += "/sim" + std::to_string(n);
    }
  } else if (kSimulated) {
    for (std::size_t n = 0; n < layout.nodes.size(); ++n)
      layout.nodes[n].cores = layout.nodes[n].pus = layout.ranks_on_node[n];
  }
  return layout;
}

// Clocks: each node's ranks read one clock (CLOCK_MONOTONIC), which differs between nodes.
// Rank 0 pings each node's lowest rank a few times; the round trip with the smallest time
// gives that node's offset (its clock minus rank 0's, at the midpoint) and the one-way latency
// (half the best round trip of all). One node costs a few round trips, whatever its ranks.
struct Clocks {
  std::vector<double> offset;  // rank 0: per rank, seconds to subtract from its clock
  double latency = Cluster::kDefaultLatencySeconds;
};

Clocks measure_clocks(MPI_Comm comm, int rank, int size, const Layout& layout, bool one_machine) {
  constexpr int kRoundTrips = 4;
  constexpr int kTag = 99;
  Clocks clocks;
  // Rank 0 pings the lowest rank of every other node, or rank 1 when there is one node.
  int nodes = rank == 0 ? int(layout.nodes.size()) : 0;
  check(MPI_Bcast(&nodes, 1, MPI_INT, 0, comm), "MPI_Bcast");
  if (rank == 0) {
    std::vector<double> node_offset(layout.nodes.size(), 0.0);
    double best_overall = 1e9;
    for (std::size_t n = 1; n < layout.nodes.size(); ++n) {
      const int r = layout.node_leader[n];
      double best = 1e9;
      for (int i = 0; i < kRoundTrips; ++i) {
        double remote = 0;
        const double t0 = node_clock_seconds();
        check(MPI_Send(&t0, 1, MPI_DOUBLE, r, kTag, comm), "MPI_Send");
        check(MPI_Recv(&remote, 1, MPI_DOUBLE, r, kTag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
        const double t1 = node_clock_seconds();
        if (t1 - t0 < best) {
          best = t1 - t0;
          // Simulated nodes share one machine, and so one clock.
          node_offset[n] = one_machine ? 0.0 : remote - (t0 + t1) / 2;
        }
      }
      best_overall = std::min(best_overall, best);
    }
    // One node: the latency between its ranks (shared memory), from rank 1.
    if (layout.nodes.size() == 1 && size > 1) {
      for (int i = 0; i < kRoundTrips; ++i) {
        double remote = 0;
        const double t0 = node_clock_seconds();
        check(MPI_Send(&t0, 1, MPI_DOUBLE, 1, kTag, comm), "MPI_Send");
        check(MPI_Recv(&remote, 1, MPI_DOUBLE, 1, kTag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
        best_overall = std::min(best_overall, node_clock_seconds() - t0);
      }
    }
    if (size > 1) clocks.latency = best_overall / 2;
    clocks.offset.resize(std::size_t(size));
    for (int r = 0; r < size; ++r) clocks.offset[r] = node_offset[layout.node_of_rank[r]];
  } else if (nodes == 1 ? rank == 1 : rank == layout.leader) {
    for (int i = 0; i < kRoundTrips; ++i) {
      double t = 0;
      check(MPI_Recv(&t, 1, MPI_DOUBLE, 0, kTag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
      t = node_clock_seconds();
      check(MPI_Send(&t, 1, MPI_DOUBLE, 0, kTag, comm), "MPI_Send");
    }
  }
  return clocks;
}

// ---------------------------------------------------------------------------------------------
// The coordinator.

class Coordinator {
 public:
  Coordinator(MPI_Comm comm, Codec& codec, const RunOptions& options, int size, Layout layout,
              Clocks clocks, double start)
      : comm_(comm),
        codec_(codec),
        options_(options),
        size_(size),
        layout_(std::move(layout)),
        clocks_(std::move(clocks)),
        start_(start),
        sender_(comm) {}

  RunReport run() {
    if (options_.profile) {
      profile_ = *options_.profile;
      profile_.items = codec_.size();
      longest_item_ = profile_.item_seconds_max;
    } else {
      sample();
    }
    make_plan();
    report_.plan_seconds = now();
    for (const auto& n : layout_.nodes) report_.cores += n.cores;
    if (!done_sampling_only() && plan_.serial && options_.allow_serial) run_serially();
    if (!done_sampling_only() && !(plan_.serial && options_.allow_serial)) run_parallel();
    for (int r = 1; r < size_; ++r)
      if (led_.empty() || !led_[r]) sender_.send(r, wire::kStop, {});
    sender_.finish();
    finish_report();
    return report_;
  }

 private:
  double now() const { return node_clock_seconds() - start_; }

  // Sampling. Rank 0 runs the first items itself (unless worker ranks already fill its node's
  // cores) while every worker rank runs probe chunks that send back each item's time: one item,
  // then twice as many each time. So no core waits for the plan, and the sample grows with the
  // allocation. Items of unknown memory run one per node at first (plus rank 0's own there);
  // the other ranks of a node join once measured items show that as many fit in its memory.
  // Every sampled result goes to the sink in item order.
  void sample() {
    SampleTotals totals;
    const bool local = size_ == 1 || layout_.ranks_on_node[0] - 1 < layout_.nodes[0].cores;
    std::vector<int> place(std::size_t(size_), 0);  // a worker rank's place on its node
    std::vector<int> seen(layout_.nodes.size(), 0);
    for (int r = 1; r < size_; ++r) place[r] = seen[layout_.node_of_rank[r]]++;
    std::vector<int> open(layout_.nodes.size(), 1);  // ranks per node that may run probes
    std::vector<std::int64_t> probe_items(std::size_t(size_), 0);  // items out, per rank
    std::vector<std::int64_t> probe_bytes(std::size_t(size_), 0);
    std::vector<std::int64_t> next_count(std::size_t(size_), 1);
    int probes_out = 0;
    const double t_begin = now();
    const auto done = [&] { return std::int64_t(totals.seconds.size()); };
    int probed = 0;  // worker ranks sent a probe so far (their next_count is above 1)
    // Enough: the budget is spent and every worker rank has had a probe (until then the
    // sample costs nothing: every core runs a real item), or the sample is full. Stopping as
    // soon as a few results are back would keep the sample to the quickest items of the first
    // ranks (found at 256 simulated ranks: 11 items of 10 ms read as 4.9 ms).
    const auto enough = [&] {
      return done() >= options_.sample_max_items ||
             (done() >= options_.sample_min_items &&
              now() - t_begin >= options_.sample_budget_seconds && probed == size_ - 1);
    };
    const auto send_probe = [&](int r) {
      if (probe_items[r] > 0 || exhausted_ || stopped_ || enough()) return;
      const int node = layout_.node_of_rank[r];
      if (place[r] >= open[node] || pressured_[node]) return;
      std::int64_t want = next_count[r];
      if (done() > 0) {  // a probe should take at most half the budget
        const double mean = totals.wall_seconds / double(done());
        want = std::min(want, std::max<std::int64_t>(
                                  1, std::int64_t(options_.sample_budget_seconds / 2 / mean)));
      }
      std::vector<char> msg;
      wire::put(msg, wire::ChunkHeader{-1, next_index_, 0, wire::kMeasureItems});
      const std::int64_t count = codec_.pull(want, msg);
      if (count < want) exhausted_ = true;
      if (count == 0) return;
      reinterpret_cast<wire::ChunkHeader*>(msg.data())->count = count;
      if (next_count[r] == 1) ++probed;
      probe_items[r] = count;
      probe_bytes[r] = std::int64_t(msg.size() - sizeof(wire::ChunkHeader));
      next_count[r] = 2 * count;
      next_index_ += count;
      ++probes_out;
      sender_.send(r, wire::kChunk, std::move(msg));
    };
    // Ranks per node that may run sampled items at once, from the memory they were seen to take.
    const auto open_nodes = [&] {
      for (std::size_t n = 0; n < layout_.nodes.size(); ++n) {
        const int ranks = layout_.ranks_on_node[n] - (n == 0 ? 1 : 0);
        const double usable = double(layout_.nodes[n].usable_memory_bytes());
        int fit = ranks;
        if (totals.mem_peak_bytes > 0 && usable > 0)
          fit = int(std::min(double(ranks), std::floor(0.5 * usable / totals.mem_peak_bytes)));
        open[n] = std::max(1, fit);
      }
    };
    const auto add_item = [&](std::int64_t index, int node, double seconds, double in, double out,
                              double memory) {
      totals.seconds.push_back(seconds);
      totals.bytes_in += in;
      totals.bytes_out += out;
      totals.mem_peak_bytes = std::max(totals.mem_peak_bytes, memory);
      if (options_.recorder) options_.recorder->on_sample({index, node, seconds, in, out, memory});
    };
    std::vector<char> buffer;
    PoliteWait wait(PoliteWait::kCoordinator, options_.sample_budget_seconds);
    const auto poll = [&] {
      bool any = false;
      for (int flag = 1; flag;) {
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &status), "MPI_Iprobe");
        if (!flag) break;
        receive(comm_, status, buffer);
        ++received_;
        any = true;
        const int r = status.MPI_SOURCE;
        const int node = layout_.node_of_rank[r];
        wire::Reader in(buffer.data(), buffer.size());
        if (status.MPI_TAG == wire::kStatus) {
          take_status(node, in);
          continue;
        }
        const auto h = in.get<wire::ResultHeader>();
        const char* results = in.take(std::size_t(h.results_bytes));
        std::vector<Failure> failures = wire::get_failures(in, h.failures);
        const double bytes_in = double(probe_bytes[r]) / double(h.count);
        const double bytes_out = double(h.results_bytes) / double(h.count);
        std::vector<double> seconds(std::size_t(h.count));
        for (auto& t : seconds) t = in.get<double>();
        const double memory = in.get<double>();
        for (std::int64_t i = 0; i < h.count; ++i)
          add_item(h.first + i, node, seconds[std::size_t(i)], bytes_in, bytes_out, memory);
        totals.cpu_seconds += h.cpu_seconds;
        totals.wall_seconds += h.compute_seconds;
        report_.compute_seconds += h.compute_seconds;
        busy_[std::size_t(node)] += h.compute_seconds;
        report_.items += h.count;
        probe_items[r] = 0;
        --probes_out;
        set_pressure(node, h.pressured != 0, h.memory_wtime);
        record_failures(failures);
        deliver_in_order(h.first, h.count, results, std::size_t(h.results_bytes),
                         std::move(failures));
        open_nodes();
        send_probe(r);
      }
      if (any) {
        for (int r = 1; r < size_; ++r) send_probe(r);  // ranks the measured memory lets in
        wait.set_chunk(totals.wall_seconds / double(std::max<std::int64_t>(1, done())));
      }
      return any;
    };

    for (int r = 1; r < size_; ++r) send_probe(r);
    std::vector<char> item;
    while (!enough()) {
      check_drain();
      if (stopped_ || (exhausted_ && probes_out == 0)) break;
      const bool progress = poll();
      if (enough()) break;
      if (!local || exhausted_) {
        progress ? wait.reset() : wait.idle();
        continue;
      }
      item.clear();
      if (codec_.pull(1, item) == 0) {
        exhausted_ = true;
        continue;
      }
      std::vector<char> result;
      std::vector<Failure> failures;
      std::vector<double> t;
      const std::uint64_t memory_start = detail::item_memory_start();
      const double cpu0 = detail::process_cpu_seconds();
      codec_.execute(next_index_, 1, item.data(), item.size(), result, failures, &t);
      totals.cpu_seconds += detail::process_cpu_seconds() - cpu0;
      totals.wall_seconds += t.front();
      add_item(next_index_, 0, t.front(), double(item.size()), double(result.size()),
               double(detail::item_memory_since(memory_start)));
      report_.compute_seconds += t.front();
      busy_[0] += t.front();
      ++report_.items;
      record_failures(failures);
      deliver_in_order(next_index_, 1, result.data(), result.size(), std::move(failures));
      ++next_index_;
      open_nodes();
    }
    while (probes_out > 0) poll() ? wait.reset() : wait.idle();  // the probes still out

    report_.sampled = done();
    // CPU time per wall time counts an item's threads, but only over enough wall time: CPU
    // clocks tick coarsely (gVisor: milliseconds), and a few short items would read as many.
    constexpr double kMinWallForThreads = 0.02;
    totals.fill(profile_, kMinWallForThreads);
    profile_.item_seconds_mean = std::max(profile_.item_seconds_mean, 1e-9);
    longest_item_ = profile_.item_seconds_max;
    profile_.items = left_in_source();
  }

  bool done_sampling_only() const { return exhausted_ || stopped_; }

  void make_plan() {
    Cluster cluster;
    cluster.nodes = layout_.nodes;
    cluster.latency_seconds = options_.latency_seconds.value_or(clocks_.latency);
    if (options_.bandwidth_bytes_per_second)
      cluster.bandwidth_bytes_per_second = *options_.bandwidth_bytes_per_second;
    if (options_.recorder) options_.recorder->on_nodes(layout_.nodes);
    // Other nodes have only the ranks launched there; the coordinator's node can add threads.
    PlanOptions plan_options = options_.plan;
    plan_options.max_workers_per_node.assign(layout_.nodes.size(), 0);
    for (std::size_t n = 1; n < layout_.nodes.size(); ++n)
      plan_options.max_workers_per_node[n] = layout_.ranks_on_node[n];
    // Under SMPI a thread must not call into the simulator: rank 0 runs no worker threads.
    if (kSimulated)
      plan_options.max_workers_per_node[0] = std::max(1, layout_.ranks_on_node[0] - 1);
    plan_ = amorsize::plan(profile_, cluster, plan_options);
    const int worker_ranks_here = layout_.ranks_on_node[0] - 1;
    if (plan_.coordinator_computes && size_ > 1 && worker_ranks_here >= plan_.nodes[0].workers) {
      plan_.coordinator_computes = false;
      plan_.reasons.front() =
          "the coordinator's rank only coordinates: " +
          std::string(worker_ranks_here == 1 ? "the other rank" : "the ") +
          (worker_ranks_here == 1 ? "" : std::to_string(worker_ranks_here) + " other ranks") +
          " on its node keep" + (worker_ranks_here == 1 ? "s" : "") + " its cores busy";
    }
    if (!options_.profile_reason.empty())
      plan_.reasons.insert(plan_.reasons.begin() + 1, options_.profile_reason);
    // Workers per node cannot exceed the ranks there (plus threads on the coordinator's rank).
    if (options_.recorder) options_.recorder->on_plan(plan_);
  }

  // Runs chunks on rank 0 while the plan says parallel does not pay. That plan rests on a few
  // first items, which may not be typical (a workload whose items grow with the index), so it
  // is made again every kReplanSeconds from all the items measured so far, and the run goes
  // parallel as soon as that pays.
  void run_serially() {
    constexpr double kReplanSeconds = 0.01;
    std::vector<char> items;
    double measured = profile_.item_seconds_mean * profile_.sample_count;
    std::int64_t measured_items = profile_.sample_count;
    double next_check = now() + kReplanSeconds;
    while (!stopped_ && !exhausted_) {
      check_drain();
      if (stopped_) break;
      items.clear();
      const auto per_check =
          std::int64_t(kReplanSeconds / std::max(profile_.item_seconds_mean, 1e-9)) + 1;
      const std::int64_t want = std::min(std::max<std::int64_t>(plan_.max_chunk, 1), per_check);
      const std::int64_t count = codec_.pull(want, items);
      if (count < want) exhausted_ = true;
      if (count == 0) break;
      wire::ChunkHeader h{report_.chunks, next_index_, count};
      next_index_ += count;
      const double t0 = now();
      auto msg = run_chunk(codec_, h, items.data(), items.size());
      measured += reinterpret_cast<const wire::ResultHeader*>(msg.data())->compute_seconds;
      measured_items += count;
      handle_result(msg.data(), msg.size(), 0, t0);
      if (size_ > 1 && !exhausted_ && now() >= next_check) {
        next_check = now() + kReplanSeconds;
        profile_.item_seconds_mean = std::max(measured / double(measured_items), 1e-9);
        profile_.items = left_in_source();
        make_plan();
        if (!plan_.serial) return;
      }
    }
  }

  struct Slot {
    int rank;  // 0 = the local thread pool
    int node;
    int capacity;   // chunks (a leader: batches) it may hold
    int width = 1;  // workers behind it (threads of the local pool, a leader's ranks)
    int outstanding = 0;
    bool leader = false;
  };

  struct Outstanding {
    std::size_t slot;
    double dispatch;
    std::int64_t bytes_in;
    std::int64_t chunks = 1;  // a leader's batch holds several
  };

  // A batch holds a chunk per worker of the leader; with one more batch than a worker holds
  // chunks, the leader has chunks queued while a finished batch travels to the coordinator.
  int batches_per_leader() const { return plan_.inflight_per_worker + 1; }

  void run_parallel() {
    // Which ranks work: per node, as many as the plan's workers (the coordinator's threads
    // fill what its node has left).
    // A led node: its lowest rank leads, the next `workers` ranks are fed by it.
    std::vector<int> used(layout_.nodes.size(), 0);
    std::vector<std::vector<std::int32_t>> led(layout_.nodes.size());
    led_.assign(std::size_t(size_), false);
    for (int r = 1; r < size_; ++r) {
      const int node = layout_.node_of_rank[r];
      const bool leads = plan_.nodes[node].leader;
      if (leads && r == layout_.node_leader[node]) continue;
      if (used[node] >= plan_.nodes[node].workers) continue;
      ++used[node];
      if (leads) {
        led[node].push_back(r);
        led_[r] = true;
      } else {
        slots_.push_back({r, node, plan_.inflight_per_worker});
      }
    }
    const double planned_chunk = double(plan_.chunk_size) * plan_.item_seconds_mean;
    for (std::size_t n = 0; n < layout_.nodes.size(); ++n) {
      if (led[n].empty()) continue;
      const int leader = layout_.node_leader[n];
      std::vector<char> msg;
      wire::put(msg, wire::LeadHeader{std::int32_t(led[n].size()), plan_.inflight_per_worker,
                                      planned_chunk});
      for (auto r : led[n]) wire::put(msg, r);
      sender_.send(leader, wire::kLead, std::move(msg));
      slots_.push_back({leader, int(n), batches_per_leader(), int(led[n].size()), 0, true});
    }
    int threads = 0;
    if ((plan_.coordinator_computes || size_ == 1) && !kSimulated)
      threads = std::max(0, plan_.nodes[0].workers - used[0]);
    if (threads > 0) {
      local_ = std::make_unique<LocalWorkers>(codec_, threads);
      slots_.push_back({0, 0, threads * plan_.inflight_per_worker, threads});
    }
    if (slots_.empty()) {  // nothing to run on: the coordinator computes after all
      local_ = std::make_unique<LocalWorkers>(codec_, 1);
      slots_.push_back({0, 0, plan_.inflight_per_worker});
    }
    schedule_ = std::make_unique<ChunkSchedule>(plan_);
    // The plan's window (in chunks), but never so small that a worker would go without one.
    std::int64_t width = 0;
    for (const auto& slot : slots_) width += slot.width;
    window_ = std::max<std::int64_t>(plan_.reorder_window, width + 1);

    const double chunk_seconds = double(plan_.chunk_size) * plan_.item_seconds_mean;
    PoliteWait wait(PoliteWait::kCoordinator, chunk_seconds);
    wait_ = &wait;
    std::vector<char> buffer;
    fill_all();
    while (!(outstanding_.empty() && (stopped_ || (exhausted_ && returned_.empty())))) {
      check_drain();
      bool progress = false;
      int flag = 1;
      while (flag) {
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &status), "MPI_Iprobe");
        if (!flag) break;
        receive(comm_, status, buffer);
        ++received_;
        progress = true;
        const int node = layout_.node_of_rank[status.MPI_SOURCE];
        if (status.MPI_TAG == wire::kResult) {
          handle_result(buffer.data(), buffer.size(), node, -1);
        } else if (status.MPI_TAG == wire::kStatus) {
          wire::Reader in(buffer.data(), buffer.size());
          take_status(node, in);
        } else if (status.MPI_TAG == wire::kReturn) {
          take_return(buffer);
        }
      }
      if (local_) {
        while (local_->pop_result(buffer)) {
          progress = true;
          handle_result(buffer.data(), buffer.size(), 0, -1);
        }
      }
      if (progress) {
        fill_all();
        sender_.reap();
        wait.reset();
      } else {
        wait.idle();
      }
    }
    wait_ = nullptr;
    local_.reset();
  }

  void check_drain() {
    if (!report_.drained && options_.stop_requested && options_.stop_requested()) {
      report_.drained = true;
      stopped_ = true;
    }
  }

  bool window_full() const { return plan_.ordered && window_used_ >= window_; }

  // Round by round, one chunk per worker and round, so that the first chunks (the largest,
  // and with the static schedule the only ones) are spread over all workers.
  void fill_all() {
    for (bool any = true; any;) {
      any = false;
      for (std::size_t s = 0; s < slots_.size(); ++s) {
        if (pressured_[slots_[s].node]) continue;  // that node waits; the others go on
        const int per_round = slots_[s].leader ? 1 : slots_[s].width;  // a batch feeds all
        for (int i = 0; i < per_round && slots_[s].outstanding < slots_[s].capacity; ++i) {
          if (!dispatch(s)) return;  // nothing left to send, or the reorder window is full
          any = true;
        }
      }
    }
  }

  bool dispatch(std::size_t s) {
    if (stopped_ || pressured_[slots_[s].node]) return false;
    // Items handed back come first: they are the earliest in item order, and what an ordered
    // run waits for (so the reorder window does not hold them back).
    if (!returned_.empty() && !slots_[s].leader) return dispatch_returned(s);
    if (exhausted_ || window_full()) return false;
    const std::optional<std::int64_t> remaining = left_in_source();
    if (remaining && *remaining == 0) {
      exhausted_ = true;
      return false;
    }
    if (slots_[s].leader) return dispatch_batch(s, remaining);
    const std::int64_t want = schedule_->next(remaining, plan_.nodes[slots_[s].node].chunk_weight);
    std::vector<char> msg;
    wire::put(msg, wire::ChunkHeader{seq_, next_index_, 0});
    const std::int64_t count = codec_.pull(want, msg);
    if (count < want) exhausted_ = true;
    if (count == 0) return false;
    next_index_ += count;
    send_chunk(s, std::move(msg), count);
    return true;
  }

  // Items the source has not handed out yet, when it knows its size.
  std::optional<std::int64_t> left_in_source() const {
    if (auto n = codec_.size()) return std::max<std::int64_t>(0, *n - next_index_);
    return std::nullopt;
  }

  // The first piece handed back, or as much of it as the schedule gives a chunk now.
  bool dispatch_returned(std::size_t s) {
    auto it = returned_.begin();
    std::optional<std::int64_t> remaining = left_in_source();
    if (remaining) *remaining += returned_items_;
    const std::int64_t want = std::min(
        it->second.count, schedule_->next(remaining, plan_.nodes[slots_[s].node].chunk_weight));
    auto& items = it->second.items;
    const std::size_t bytes = want == it->second.count
                                  ? items.size()
                                  : codec_.item_bytes(items.data(), items.size(), want);
    std::vector<char> msg;
    wire::put(msg, wire::ChunkHeader{seq_, it->first, want});
    msg.insert(msg.end(), items.begin(), items.begin() + std::ptrdiff_t(bytes));
    returned_items_ -= want;
    if (want == it->second.count) {
      returned_.erase(it);
    } else {
      auto piece = returned_.extract(it);
      piece.key() += want;
      piece.mapped().count -= want;
      piece.mapped().items.erase(items.begin(), items.begin() + std::ptrdiff_t(bytes));
      returned_.insert(std::move(piece));
    }
    send_chunk(s, std::move(msg), want, /*handed_back_before=*/true);
    return true;
  }

  // Sends (or queues locally) a chunk message whose header has everything but the count and
  // heavy_item_seconds.
  void send_chunk(std::size_t s, std::vector<char> msg, std::int64_t count,
                  bool handed_back_before = false) {
    auto* h = reinterpret_cast<wire::ChunkHeader*>(msg.data());
    h->count = count;
    const double expected = double(count) * schedule_->item_seconds();
    // Worker ranks hand back what they have not started after an item that alone took longer than
    // the whole chunk should: the items queued behind a heavy item then run elsewhere. Only for the
    // adaptive schedule (the baselines keep their classic form), only on worker ranks, and only
    // once (a piece handed back is never stopped midway again; unstarted, it may still go back
    // whole from behind another heavy item), so items that merely run
    // longer than the estimate (a trend the schedule is still learning) do not bounce.
    if (slots_[s].rank != 0 && plan_.schedule == Schedule::adaptive && !handed_back_before)
      h->heavy_item_seconds = std::max(expected, kMinHeavyItemSeconds);
    outstanding_.emplace(seq_, Outstanding{s, now(), std::int64_t(msg.size())});
    if (wait_) wait_->set_chunk(expected);
    ++seq_;
    ++window_used_;
    ++slots_[s].outstanding;
    if (slots_[s].rank == 0)
      local_->push(std::move(msg));
    else
      sender_.send(slots_[s].rank, wire::kChunk, std::move(msg));
  }

  // Items a worker handed back unstarted: they wait in returned_ for the next free worker.
  void take_return(const std::vector<char>& msg) {
    wire::Reader in(msg.data(), msg.size());
    const auto h = in.get<wire::ReturnHeader>();
    if (h.whole) {  // a chunk that never began: it is no longer out
      auto it = outstanding_.find(h.seq);
      if (it == outstanding_.end()) throw error("amorsize: a chunk handed back that is not out");
      --slots_[it->second.slot].outstanding;
      window_used_ -= it->second.chunks;
      outstanding_.erase(it);
    }
    returned_items_ += h.count;
    report_.returned_items += h.count;
    returned_.emplace(h.first,
                      Returned{h.count, std::vector<char>(in.here(), in.here() + in.left())});
  }

  // A leader's batch: one chunk per worker it feeds, each sized by the schedule as if sent to
  // that worker, in one message.
  bool dispatch_batch(std::size_t s, std::optional<std::int64_t> remaining) {
    const Slot& slot = slots_[s];
    const double weight = plan_.nodes[slot.node].chunk_weight;
    std::vector<wire::PartHeader> parts;
    std::vector<char> items;
    std::int64_t count = 0;
    for (int i = 0; i < slot.width && !exhausted_; ++i) {
      if (remaining && *remaining - count <= 0) {
        exhausted_ = true;
        break;
      }
      std::optional<std::int64_t> left;
      if (remaining) left = *remaining - count;
      const std::int64_t want = schedule_->next(left, weight);
      const std::size_t before = items.size();
      const std::int64_t got = codec_.pull(want, items);
      if (got < want) exhausted_ = true;
      if (got == 0) break;
      parts.push_back({next_index_ + count, got, std::int64_t(items.size() - before)});
      count += got;
    }
    if (parts.empty()) return false;
    std::vector<char> msg;
    msg.reserve(sizeof(wire::BatchHeader) + parts.size() * sizeof(wire::PartHeader) + items.size());
    wire::put(msg, wire::BatchHeader{seq_, next_index_, count, std::int64_t(parts.size())});
    for (const auto& p : parts) wire::put(msg, p);
    msg.insert(msg.end(), items.begin(), items.end());
    outstanding_.emplace(
        seq_, Outstanding{s, now(), std::int64_t(msg.size()), std::int64_t(parts.size())});
    if (wait_)
      wait_->set_chunk(double(count / std::int64_t(parts.size())) * schedule_->item_seconds());
    ++seq_;
    window_used_ += std::int64_t(parts.size());
    next_index_ += count;
    ++slots_[s].outstanding;
    sender_.send(slot.rank, wire::kBatch, std::move(msg));
    return true;
  }

  // A kStatus message: a rank of `node` says its memory pressure changed while it was idle.
  void take_status(int node, wire::Reader& in) {
    const auto st = in.get<wire::StatusHeader>();
    set_pressure(node, st.pressured != 0, st.when);
  }

  // A node's memory as one of its ranks read it at `when` (the node's clock, the same for all
  // its ranks). Readings can arrive out of order: a result sent before another rank's "cleared"
  // may land after it, and must not put the node back under pressure.
  void set_pressure(int node, bool pressured, double when) {
    if (when < pressure_read_at_[std::size_t(node)]) return;
    pressure_read_at_[std::size_t(node)] = when;
    if (pressured_.empty() || pressured_[node] == pressured) return;
    pressured_[node] = pressured;
    if (pressured) ++report_.pressure_events;
    if (options_.recorder) options_.recorder->on_pressure(node, now(), pressured);
  }

  void record_failures(const std::vector<Failure>& failures) {
    for (const auto& f : failures) report_.failures.push_back(f);
    if (!failures.empty() && options_.fail_fast) stopped_ = true;
  }

  // A result arrived (from a rank, a local thread, or the serial loop when dispatch >= 0).
  void handle_result(const char* data, std::size_t size, int node, double dispatch) {
    wire::Reader in(data, size);
    const auto r = in.get<wire::ResultHeader>();
    const char* results = in.take(std::size_t(r.results_bytes));
    std::vector<Failure> failures = wire::get_failures(in, r.failures);
    std::vector<wire::PartRecord> parts(std::size_t(r.parts));
    for (auto& part : parts) part = in.get<wire::PartRecord>();

    ChunkRecord rec;
    rec.seq = r.seq;
    rec.first = r.first;
    rec.count = r.count;
    rec.node = node;
    rec.receive_seconds = now();
    rec.compute_seconds = r.compute_seconds;
    rec.start_seconds = r.start_wtime - start_;
    rec.end_seconds = r.end_wtime - start_;
    rec.bytes_out = r.results_bytes;
    rec.failed = r.failures;
    std::int64_t chunks = 0;  // against the reorder window: none for the serial loop's
    double offset = 0;
    if (dispatch >= 0) {
      rec.dispatch_seconds = dispatch;
    } else {
      auto it = outstanding_.find(r.seq);
      if (it == outstanding_.end()) throw error("amorsize: result for an unknown chunk");
      const Slot& slot = slots_[it->second.slot];
      rec.rank = slot.rank;
      rec.node = slot.node;
      rec.dispatch_seconds = it->second.dispatch;
      rec.bytes_in = it->second.bytes_in;
      chunks = it->second.chunks;
      if (slot.rank != 0) offset = clocks_.offset[std::size_t(slot.rank)];
      rec.start_seconds -= offset;
      rec.end_seconds -= offset;
      --slots_[it->second.slot].outstanding;
      outstanding_.erase(it);
      if (slot.rank != 0) set_pressure(slot.node, r.pressured != 0, r.memory_wtime);
      if (parts.empty()) schedule_->observe(r.count, r.compute_seconds);
    }
    if (parts.empty()) {
      ++report_.chunks;
      if (options_.recorder) options_.recorder->on_chunk(rec);
    }
    for (const auto& part : parts) {  // a leader's batch: each chunk as it ran
      ChunkRecord c = rec;
      c.first = part.first;
      c.count = part.count;
      c.rank = part.rank;
      c.compute_seconds = part.compute_seconds;
      c.start_seconds = part.start_wtime - start_ - offset;
      c.end_seconds = part.end_wtime - start_ - offset;
      c.bytes_in = rec.bytes_in * part.count / std::max<std::int64_t>(r.count, 1);
      c.bytes_out = part.results_bytes;
      c.failed = part.failures;
      schedule_->observe(part.count, part.compute_seconds);
      ++report_.chunks;
      if (options_.recorder) options_.recorder->on_chunk(c);
    }
    report_.items += r.count;
    report_.compute_seconds += r.compute_seconds;
    if (std::size_t(rec.node) < busy_.size()) busy_[rec.node] += r.compute_seconds;
    record_failures(failures);

    if (!plan_.ordered || dispatch >= 0) {
      deliver(r.first, r.count, results, std::size_t(r.results_bytes), failures, chunks);
      return;
    }
    deliver_in_order(r.first, r.count, results, std::size_t(r.results_bytes), std::move(failures),
                     chunks);
  }

  // Delivers these results now if they are next in item order, else holds them until they are.
  // `chunks` is what they count against the reorder window (0 for sampled items).
  void deliver_in_order(std::int64_t first, std::int64_t count, const char* data, std::size_t size,
                        std::vector<Failure> failures, std::int64_t chunks = 0) {
    if (first == next_delivery_ && reorder_.empty()) {
      deliver(first, count, data, size, failures, chunks);
      return;
    }
    reorder_.emplace(
        first, Pending{count, std::vector<char>(data, data + size), std::move(failures), chunks});
    while (!reorder_.empty() && reorder_.begin()->first == next_delivery_) {
      auto it = reorder_.begin();
      deliver(it->first, it->second.count, it->second.data.data(), it->second.data.size(),
              it->second.failures, it->second.chunks);
      reorder_.erase(it);
    }
  }

  void deliver(std::int64_t first, std::int64_t count, const char* data, std::size_t size,
               const std::vector<Failure>& failures, std::int64_t chunks) {
    next_delivery_ = first + count;
    window_used_ -= chunks;
    if (stopped_ && sink_closed_) return;
    if (!codec_.deliver(first, count, data, size, failures)) {
      stopped_ = true;
      sink_closed_ = true;
    }
    report_.delivered += count - std::int64_t(failures.size());
  }

  void finish_report() {
    report_.plan = plan_;
    report_.ranks = size_;
    report_.makespan_seconds = now();
    report_.node_busy_seconds = busy_;
    report_.stopped = stopped_;
    report_.coordinator_cpu_seconds = thread_cpu_seconds() - cpu_start_;
    report_.messages = sender_.sent() + received_;
    if (report_.cores > 0)
      report_.lower_bound_seconds =
          std::max(report_.compute_seconds / report_.cores, longest_item_);
    report_.efficiency =
        report_.makespan_seconds > 0 ? report_.lower_bound_seconds / report_.makespan_seconds : 0;
  }

  struct Pending {
    std::int64_t count;
    std::vector<char> data;
    std::vector<Failure> failures;
    std::int64_t chunks;
  };
  struct Returned {
    std::int64_t count;
    std::vector<char> items;  // serialized
  };
  // An item shorter than this never makes a chunk hand back (a message is not worth less).
  static constexpr double kMinHeavyItemSeconds = 1e-3;

  MPI_Comm comm_;
  Codec& codec_;
  const RunOptions& options_;
  int size_;
  Layout layout_;
  Clocks clocks_;
  double start_;
  double cpu_start_ = thread_cpu_seconds();
  Sender sender_;
  WorkloadProfile profile_;
  Plan plan_;
  RunReport report_;
  std::unique_ptr<ChunkSchedule> schedule_;
  std::unique_ptr<LocalWorkers> local_;
  PoliteWait* wait_ = nullptr;
  std::vector<Slot> slots_;
  std::map<std::int64_t, Outstanding> outstanding_;
  std::map<std::int64_t, Pending> reorder_;
  std::map<std::int64_t, Returned> returned_;  // first item -> items handed back, not yet resent
  std::int64_t returned_items_ = 0;
  std::vector<bool> pressured_ = std::vector<bool>(layout_.nodes.size(), false);
  std::vector<double> pressure_read_at_ = std::vector<double>(layout_.nodes.size(), -1e300);
  std::vector<double> busy_ = std::vector<double>(layout_.nodes.size(), 0.0);
  std::int64_t window_ = 0;
  std::int64_t window_used_ = 0;  // chunks out or waiting in the reorder buffer
  std::vector<bool> led_;         // ranks fed by a node leader (the leader stops them)
  std::int64_t next_index_ = 0;
  std::int64_t next_delivery_ = 0;
  std::int64_t seq_ = 0;
  std::int64_t received_ = 0;
  double longest_item_ = 0;
  bool exhausted_ = false;
  bool stopped_ = false;
  bool sink_closed_ = false;
};

}  // namespace

RunReport run_engine(MPI_Comm comm, Codec& codec, const RunOptions& options) {
  options.plan.validate();
  int rank = 0, size = 1;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  check(MPI_Barrier(comm), "MPI_Barrier");
  const double start = node_clock_seconds();
  Layout layout = discover(comm, options, rank, size);
  Clocks clocks = measure_clocks(comm, rank, size, layout, options.simulated_nodes > 0);
  RunReport report;
  if (rank == 0) {
    Coordinator coordinator(comm, codec, options, size, std::move(layout), std::move(clocks),
                            start);
    report = coordinator.run();
  } else {
    worker_loop(comm, codec, options, rank);
  }
  return report;
}

}  // namespace amorsize::detail
