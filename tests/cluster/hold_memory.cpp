// hold_memory MIB SECONDS: takes MIB mebibytes of real memory (every page written, so it is
// resident), holds it for SECONDS, then frees it and exits 0. The memory drills use it as a
// deterministic filler (a fixed amount for a fixed time) and as a task whose memory grows.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  char* end = nullptr;
  const double mib = argc == 3 ? std::strtod(argv[1], &end) : -1;
  const bool mib_ok = argc == 3 && end != argv[1] && *end == '\0' && mib >= 0;
  const double seconds = argc == 3 ? std::strtod(argv[2], &end) : -1;
  if (!mib_ok || end == argv[2] || *end != '\0' || seconds < 0) {
    std::fprintf(stderr, "usage: hold_memory MIB SECONDS\n");
    return 2;
  }
  std::vector<char> held(std::size_t(mib * 1024 * 1024));
  std::memset(held.data(), 1, held.size());  // resident, not just reserved
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return held.empty() || held.back() == 1 ? 0 : 1;
}
