#pragma once
// Runs one chunk's items through the codec and describes how it went.
#include "amorsize/detail/engine.hpp"
#include "wire.hpp"

namespace amorsize::detail {

/// Runs `chunk`. A sampling probe (kMeasureItems) also returns each item's time and how much
/// the resident set grew. When `rest` is given and the chunk has a heavy_item_seconds, the
/// chunk stops after an item that alone ran longer: the result covers the items run, and
/// `rest` gets the unstarted ones (its count stays 0 otherwise). The result's memory fields are
/// left for the caller.
wire::Result run_chunk(Codec& codec, const wire::Chunk& chunk, wire::Return* rest = nullptr);

}  // namespace amorsize::detail
