// A damaged journal: `--resume` must read it or refuse it with a clear error, never crash.
#include "amorsize/tasks.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  const TempFile file(input);
  if (!file.ok()) return;
  // The fingerprint the seed journals in the corpus were written with.
  amorsize::Journal journal(file.path(), "fuzz", true);
  for (std::int64_t t = 0; t < 64; ++t) (void)journal.done(t);
  (void)journal.output_bytes();
}
