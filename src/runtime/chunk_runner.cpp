#include "chunk_runner.hpp"

#include "amorsize/profile.hpp"
#include "clock.hpp"

namespace amorsize::detail {

wire::Result run_chunk(Codec& codec, const wire::Chunk& chunk, wire::Return* rest) {
  const wire::ChunkHeader& h = chunk.header;
  wire::Result r;
  r.measured = (h.flags & wire::kMeasureItems) != 0;
  const std::uint64_t memory_start = r.measured ? item_memory_start() : 0;
  const double cpu0 = process_cpu_seconds();
  const double t0 = node_clock_seconds();
  double item_start = t0;
  const std::function<bool()> go_on = [&] {
    const double t = node_clock_seconds();
    const bool heavy = t - item_start > h.heavy_item_seconds;
    item_start = t;
    return !heavy;
  };
  const bool may_stop = rest && h.heavy_item_seconds > 0 && !r.measured;
  std::size_t consumed = chunk.items.size;
  const std::int64_t ran =
      codec.execute(h.first, h.count, chunk.items.data, chunk.items.size, r.results, r.failures,
                    r.measured ? &r.item_seconds : nullptr, may_stop ? &go_on : nullptr, &consumed);
  if (ran < h.count) {
    rest->header = wire::ReturnHeader{h.seq, h.first + ran, h.count - ran, 0};
    rest->items = wire::ByteView(chunk.items.data + consumed, chunk.items.size - consumed);
  }
  r.header.seq = h.seq;
  r.header.first = h.first;
  r.header.count = ran;
  r.header.end_wtime = node_clock_seconds();
  r.header.start_wtime = t0;
  r.header.compute_seconds = r.header.end_wtime - t0;
  r.header.cpu_seconds = process_cpu_seconds() - cpu0;
  if (r.measured) {
    r.item_seconds.resize(std::size_t(h.count), 0.0);
    r.memory_growth_bytes = double(item_memory_since(memory_start));
  }
  return r;
}

}  // namespace amorsize::detail
