#include "chunk_runner.hpp"

#include <algorithm>

#include "amorsize/profile.hpp"
#include "clock.hpp"

namespace amorsize::detail {

wire::Result run_chunk(Codec& codec, const wire::Chunk& chunk, wire::Return* rest) {
  const wire::ChunkHeader& h = chunk.header;
  wire::Result r;
  r.measured = (h.flags & wire::kMeasureItems) != 0;
  r.timed = !r.measured && (h.flags & wire::kTimeItems) != 0;
  ExecuteIn in;
  in.first = h.first;
  in.count = h.count;
  in.items = chunk.items.data;
  in.size = chunk.items.size;
  in.time_each_item = r.measured || r.timed;
  if (rest && !r.measured) in.stop_after_item_seconds = h.heavy_item_seconds;
  ExecuteOut out;
  const std::uint64_t memory_start = r.measured ? item_memory_start() : 0;
  take_noted_item_cpu();
  const double cpu0 = process_cpu_seconds();
  const double thread0 = thread_cpu_seconds();
  const double t0 = node_clock_seconds();
  codec.execute(in, out);
  auto& rh = r.header;
  rh.end_wtime = node_clock_seconds();
  rh.start_wtime = t0;
  rh.compute_seconds = rh.end_wtime - t0;
  rh.cpu_seconds = process_cpu_seconds() - cpu0;
  rh.work_seconds = thread_cpu_seconds() - thread0 + take_noted_item_cpu();
  // An item's wall time counts a core it shared with others; the chunk's CPU share takes
  // that back out (a task that sleeps has little work, and so a short longest item).
  const double share = rh.compute_seconds > 0 ? rh.work_seconds / rh.compute_seconds : 1;
  rh.longest_item_seconds = out.longest_item_seconds * std::min(1.0, share);
  rh.seq = h.seq;
  rh.first = h.first;
  rh.count = out.ran;
  if (out.ran < h.count) {
    rest->header = wire::ReturnHeader{h.seq, h.first + out.ran, h.count - out.ran, 0};
    rest->items = wire::ByteView(chunk.items.data + out.consumed, chunk.items.size - out.consumed);
  }
  r.results = std::move(out.results);
  r.failures = std::move(out.failures);
  if (r.measured) {
    r.item_seconds = std::move(out.item_seconds);
    r.item_seconds.resize(std::size_t(h.count), 0.0);
    r.memory_growth_bytes = double(item_memory_since(memory_start));
  } else if (r.timed) {
    r.item_seconds = std::move(out.item_seconds);
    r.item_seconds.resize(std::size_t(out.ran), 0.0);
  }
  return r;
}

}  // namespace amorsize::detail
