#pragma once
// Waiting without burning a core. Open MPI's blocking calls busy-poll, so the protocol polls
// with MPI_Iprobe and backs off: a few quick retries, then yields, then sleeps that double up to
// a cap. The coordinator's cap follows the chunk duration so a result never waits long relative
// to the work it carries.
#include <sched.h>
#include <time.h>

#include <algorithm>

namespace amorsize::detail {

class PoliteWait {
 public:
  /// kEnding: a run's last messages, which all ranks exchange within milliseconds (20 us cap).
  enum Role { kCoordinator, kWorker, kEnding };
  static constexpr int kSpins = 64;             // retries before yielding
  static constexpr int kYields = 32;            // yields before sleeping
  static constexpr double kFirstSleep = 10e-6;  // seconds
  static constexpr double kMinCap = 20e-6;
  static constexpr double kMaxCap = 1e-3;  // 1000 wake-ups/s: < 1% of a core

  explicit PoliteWait(Role role, double chunk_seconds = 0) : role_(role) {
    set_chunk(chunk_seconds);
  }

  /// The coordinator sleeps at most a quarter of a chunk's duration.
  void set_chunk(double chunk_seconds) {
    cap_ = role_ == kWorker   ? 200e-6
           : role_ == kEnding ? kMinCap
                              : std::clamp(chunk_seconds / 4, kMinCap, kMaxCap);
  }
  void reset() {
    calls_ = 0;
    sleep_ = kFirstSleep;
  }
  void idle() {
    ++calls_;
    if (calls_ <= kSpins) return;
    if (calls_ <= kSpins + kYields) {
      sched_yield();
      return;
    }
    timespec ts{0, long(sleep_ * 1e9)};
    nanosleep(&ts, nullptr);
    sleep_ = std::min(sleep_ * 2, cap_);
  }

 private:
  Role role_;
  double cap_ = kMaxCap;
  double sleep_ = kFirstSleep;
  int calls_ = 0;
};

}  // namespace amorsize::detail
