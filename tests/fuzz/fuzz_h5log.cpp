// The HDF5 log reader, fed damaged files: list the runs, read each, or refuse the file.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "amorsize/history.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  char path[] = "/tmp/amorsize-fuzz-log-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return;
  const ssize_t written = write(fd, input.data(), input.size());
  close(fd);
  struct Remove {
    const char* p;
    ~Remove() { std::remove(p); }
  } remove{path};
  if (written != ssize_t(input.size())) return;
  for (const auto& row : amorsize::list_runs(path)) {
    try {
      (void)amorsize::read_run(path, row.run_id);
    } catch (const amorsize::error&) {
    }
  }
}
