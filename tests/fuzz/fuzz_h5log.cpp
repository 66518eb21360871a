// The HDF5 log reader, fed damaged files: list the runs, read each, or refuse the file.
#include "amorsize/history.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  const TempFile file(input);
  if (!file.ok()) return;
  for (const auto& row : amorsize::list_runs(file.path())) {
    try {
      (void)amorsize::read_run(file.path(), row.run_id);
    } catch (const amorsize::error&) {
    }
  }
}
