#include "clock.hpp"

#include <time.h>

namespace amorsize::detail {

namespace {
double seconds_of(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}
}  // namespace

double node_clock_seconds() {
  return seconds_of(CLOCK_MONOTONIC);
}

double thread_cpu_seconds() {
  return seconds_of(CLOCK_THREAD_CPUTIME_ID);
}

}  // namespace amorsize::detail
