// The workload SPEC grammar (`exp:mean=200us,n=50000`), and drawing items from what it accepts.
#include <cmath>
#include <cstdlib>

#include "amorsize/workload.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  const amorsize::WorkloadSpec spec = amorsize::parse_workload(input);
  for (std::int64_t i = 0; i < 16; ++i) {
    const double t = spec.item_seconds(i);
    if (!std::isfinite(t) || t < 0) std::abort();  // an accepted spec draws real durations
  }
  (void)amorsize::parse_duration(input);
}
