#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer for a bounded time: the workload SPEC grammar, the JSON
# readers (profile, plan, topology), task files and command templates, the journal, the HDF5
# log reader, and the runtime's wire decoders. Builds the `fuzz` preset (clang, AddressSanitizer
# + UBSan) in build-fuzz/.
#
#   bash tests/fuzz/run.sh                # every target, 60 s each
#   bash tests/fuzz/run.sh 10 json tasks  # 10 s each, two targets
#
# New inputs that reach new code are merged into tests/fuzz/corpus/TARGET (commit them). A
# crash stops the script with exit 1 and leaves its input in tests/fuzz/crashes/TARGET/: fix
# the bug, keep the file, and the ctest `fuzz.TARGET.corpus` replays it from then on.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(workload json tasks journal h5log wire)
[[ $SECONDS_EACH =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: seconds must be a positive integer, not '$SECONDS_EACH'" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "run.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

cd "$ROOT"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

status=0
for t in "${TARGETS[@]}"; do
  bin=build-fuzz/tests/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "run.sh: no target '$t'" >&2; exit 2; }
  corpus=tests/fuzz/corpus/$t
  crashes=tests/fuzz/crashes/$t
  work=$(mktemp -d)
  mkdir -p "$crashes"
  echo "== $t: ${SECONDS_EACH}s"
  # New inputs go to $work; the repo corpus is read. Leaks are not errors here (HDF5 and
  # Open MPI keep global state).
  if ! ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 "$work" "$corpus" \
      2>"$work.log"; then
    grep -E "ERROR|SUMMARY|uncaught|==[0-9]+==" "$work.log" | head -20
    echo "run.sh: $t crashed; the input is in $crashes/" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$work.log" | tr '\n' ' '
    echo
    # Keep what reached new code, minimized.
    "$bin" -merge=1 "$corpus" "$work" >/dev/null 2>&1 || true
  fi
  rmdir "$crashes" 2>/dev/null || true
  rm -rf "$work" "$work.log"
done
exit $status
