#pragma once
// Rank 0: samples the workload (or takes a known profile), plans, then runs the items, serially
// while parallel does not pay, else by streaming chunks to the workers on demand, and delivers
// every result to the sink once, in order when the plan asks.
#include <exception>
#include <memory>
#include <optional>

#include "amorsize/detail/engine.hpp"
#include "amorsize/plan.hpp"
#include "binding.hpp"
#include "discovery.hpp"
#include "dispatcher.hpp"
#include "handback.hpp"
#include "local_pool.hpp"
#include "memory_probe.hpp"
#include "mpi.hpp"
#include "polite_wait.hpp"
#include "pressure.hpp"
#include "reorder.hpp"
#include "sampler.hpp"
#include "source_cursor.hpp"
#include "speed.hpp"

namespace amorsize::detail {

class Coordinator {
 public:
  /// `start`: the node clock when the run began (every rank left the start barrier).
  Coordinator(Transport& transport, Codec& codec, const RunOptions& options, Layout layout,
              Clocks clocks, double start);
  RunReport run();

 private:
  enum class Phase { kSampling, kSerial, kParallel };
  // Chunks for rank 0 go to its pool; the others to their ranks.
  class Route final : public Outbox {
   public:
    Route(Transport& transport, std::unique_ptr<LocalPool>& local)
        : transport_(transport), local_(local) {}
    void send(int rank, wire::Tag tag, std::vector<char> message) override;

   private:
    Transport& transport_;
    std::unique_ptr<LocalPool>& local_;
  };

  double now() const;
  void work();
  void fail(std::exception_ptr failure);
  void end();
  void end_by_tree();
  void sample();
  std::vector<int> bind_for_sampling();
  std::int64_t spread_sample();
  void count_time_so_far();
  void make_plan();
  void start_heavy_items_first();
  void to_source(std::int64_t& first, std::vector<Failure>& failures) const;
  std::int64_t chunk_flags() const;
  void run_serially();
  void run_parallel();
  void place_workers();
  void start_workers();

  // The one receive loop: every message waiting, and every result of rank 0's pool.
  bool pump();
  void on_message(Message& m);
  void on_probe(int rank, wire::Result result);
  void on_result(wire::Result result, std::optional<double> serial_dispatch);
  void record_items(std::int64_t first, std::int64_t count, const std::vector<double>& seconds,
                    const std::vector<Failure>& failures);
  void account(int node, const wire::ResultHeader& h, const std::vector<Failure>& failures);
  void set_pressure(int node, bool pressured, double when, double used);
  bool attend_pressure();
  void warn(std::string message);
  void deliver(std::int64_t first, std::int64_t count, const std::vector<char>& results,
               const std::vector<Failure>& failures);
  void observe_speed(int node, std::int64_t items, double seconds);
  void check_drain();
  void finish_report();

  Transport& transport_;
  Codec& codec_;
  const RunOptions& options_;
  int size_;
  Layout layout_;
  Clocks clocks_;
  double start_;
  double cpu_start_;
  std::int64_t
      messages_before_;  // the transport's count when this run began (a context's lives on)
  const std::int64_t received_at_start_;  // the same, messages received but kDone
  Phase phase_ = Phase::kSampling;
  WorkloadProfile profile_;
  Plan plan_;
  RunReport report_;
  SourceCursor source_;
  ReorderBuffer reorder_;
  HandBackPool returned_;
  NodePressure pressure_;
  MemoryWatch memory_;  // rank 0's node, which no other rank may watch
  std::unique_ptr<LocalPool> local_;
  Route route_;
  std::optional<Sampler> sampler_;
  std::unique_ptr<Dispatcher> dispatcher_;
  Assignment assignment_;       // which ranks run the plan's workers (place_workers)
  Bindings bindings_;           // ... and the CPUs each of their workers is bound to
  std::vector<int> own_cpus_;   // rank 0's thread, while it runs sampled or serial items
  std::vector<int> leader_of_;  // per rank: the node leader that feeds it, or -1
  std::exception_ptr failure_;  // what ended the run early: rank 0's own, or a remote_failure
  wire::Verdict verdict_;
  std::vector<double> busy_;
  NodeSpeeds speeds_;
  double weighed_at_ = 0;  // when chunk weights last followed the measured speeds
  bool stopped_ = false;
  bool sink_closed_ = false;
  bool first_items_chosen_ = false;
  double progress_at_ = 0;  // when on_progress is next due
};

}  // namespace amorsize::detail
