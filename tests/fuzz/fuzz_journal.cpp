// A damaged journal: `--resume` must read it or refuse it with a clear error, never crash.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "amorsize/tasks.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  char path[] = "/tmp/amorsize-fuzz-journal-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return;
  const ssize_t written = write(fd, input.data(), input.size());
  close(fd);
  struct Remove {
    const char* p;
    ~Remove() { std::remove(p); }
  } remove{path};
  if (written != ssize_t(input.size())) return;
  // The fingerprint the seed journals in the corpus were written with.
  amorsize::Journal journal(path, "fuzz", true);
  for (std::int64_t t = 0; t < 64; ++t) (void)journal.done(t);
  (void)journal.output_bytes();
}
