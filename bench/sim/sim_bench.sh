#!/usr/bin/env bash
# Simulates `amorsize bench` on clusters of 64 to 4,096 ranks with SimGrid's SMPI and prints a
# Markdown table: efficiency, chunks, coordinator message rate, predicted against simulated
# makespan, and the wall time each simulation took. See bench/sim/README.md.
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: bench/sim/sim_bench.sh [OPTIONS]

Runs `amorsize bench --workload DIST:mean=MEAN,n=N --json` under smpirun for every combination
of size, workload, mean and hierarchy mode, one simulation after another, and prints one
Markdown table row per run as it finishes, then the wall time of each size. A run that fails
or times out is an ERR row with the reason; the others still run.

Sizes are ranks = nodes x cores per node: rank 0 (the coordinator) shares node 0 with the
first workers, each rank has a core of its own (bench/sim/make_platform.py). N is chosen so
each rank gets about --seconds-per-worker of simulated work: N = seconds x ranks / mean.

Options:
  --workers "64 256 1024 4096"  sizes in ranks; each must be a multiple of --cores
  --cores C                     cores (= ranks) per node (default 32: 2, 8, 32, 128 nodes)
  --workloads "exp pareto"      distributions (amorsize plan's DIST names)
  --means "1ms 10ms"            mean item times (ns, us, ms or s)
  --modes "auto flat leaders"   --hierarchy values to compare; by default auto, flat, and
                                leaders when `amorsize bench --help` offers them. When the
                                binary has no --hierarchy option, only its default runs.
  --seconds-per-worker S        simulated work per rank (default 1)
  --items-per-worker K          N = K x ranks instead (overrides --seconds-per-worker)
  --latency L, --bandwidth B    each node's link (make_platform.py; default 1us, 12.5GBps)
  --timeout S                   wall-time limit of one simulation (default 1800)
  --build-dir DIR               the SMPI build (default build-smpi at the repository root);
                                configured if missing, rebuilt when stale
  --no-build                    use the build as it is
  --out FILE                    JSON lines, one per run (default
                                bench/results/sim-YYYYmmdd-HHMMSS.jsonl)
  --dry-run                     print the smpirun commands instead of running them
  -h, --help                    this text

Examples:
  bench/sim/sim_bench.sh --workers 64 --workloads exp --means 1ms      # one quick row
  bench/sim/sim_bench.sh --workers "64 1024" --modes "auto flat"
  bench/sim/sim_bench.sh                                               # the full study

Every JSON line holds "sim" (size, workload, mode, wall_s, exit, error) and "result" (the
bench JSON: efficiency, makespan_s, lower_bound_s, chunks, messages, plan, ...).
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

sizes="64 256 1024 4096"
cores=32
workloads="exp pareto"
means="1ms 10ms"
modes=""
seconds_per_worker=1
items_per_worker=""
latency=1us
bandwidth=12.5GBps
limit=1800
build_dir="$root/build-smpi"
build=1
out=""
dry_run=0

die() {
  echo "sim_bench.sh: $*" >&2
  exit 2
}
need_value() { [ $# -ge 2 ] || die "$1 needs a value (see --help)"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --workers) need_value "$@"; sizes="$2"; shift 2 ;;
    --cores) need_value "$@"; cores="$2"; shift 2 ;;
    --workloads) need_value "$@"; workloads="$2"; shift 2 ;;
    --means) need_value "$@"; means="$2"; shift 2 ;;
    --modes) need_value "$@"; modes="$2"; shift 2 ;;
    --seconds-per-worker) need_value "$@"; seconds_per_worker="$2"; items_per_worker=""; shift 2 ;;
    --items-per-worker) need_value "$@"; items_per_worker="$2"; shift 2 ;;
    --latency) need_value "$@"; latency="$2"; shift 2 ;;
    --bandwidth) need_value "$@"; bandwidth="$2"; shift 2 ;;
    --timeout) need_value "$@"; limit="$2"; shift 2 ;;
    --build-dir) need_value "$@"; build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) need_value "$@"; out="$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option \"$1\" (see --help)" ;;
  esac
done

is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
is_count "$cores" || die "--cores \"$cores\": expected a positive integer"
is_count "$limit" || die "--timeout \"$limit\": expected a positive number of seconds"
for w in $sizes; do
  is_count "$w" || die "--workers: \"$w\" is not a positive integer"
  [ $((w % cores)) -eq 0 ] || die "--workers: $w ranks is not a multiple of --cores $cores"
done
[ -z "$items_per_worker" ] || is_count "$items_per_worker" ||
  die "--items-per-worker \"$items_per_worker\": expected a positive integer"
[[ "$seconds_per_worker" =~ ^[0-9]*\.?[0-9]+$ ]] ||
  die "--seconds-per-worker \"$seconds_per_worker\": expected a number of seconds"

# 1ms -> 0.001
to_seconds() {
  awk -v t="$1" 'BEGIN {
    if (!match(t, /(ns|us|ms|s)$/)) exit 1
    unit = substr(t, RSTART); value = substr(t, 1, RSTART - 1)
    if (value !~ /^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/) exit 1
    f = unit == "ns" ? 1e-9 : unit == "us" ? 1e-6 : unit == "ms" ? 1e-3 : 1
    printf "%.9g\n", value * f }'
}
for m in $means; do
  to_seconds "$m" >/dev/null || die "--means: \"$m\" is not a duration such as 1ms or 200us"
done

command -v smpirun >/dev/null || die "smpirun not found: install libsimgrid-dev (scripts/install-deps)"
command -v python3 >/dev/null || die "python3 not found (make_platform.py and record.py need it)"

binary="$build_dir/bench/sim/amorsize"
if [ "$build" = 1 ] && [ "$dry_run" = 0 ]; then
  echo "building $binary ..." >&2
  binary="$(smpi_build "$root" "$build_dir")" || die "the SMPI build failed (see above)"
fi
[ -f "$binary" ] || [ "$dry_run" = 1 ] || die "$binary is missing (drop --no-build to build it)"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/amorsize-sim.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# Does this amorsize offer --hierarchy (and leaders)? Ask `amorsize bench -h` on one rank
# (-h: SimGrid takes --help for itself and prints its own options).
hierarchy=0
if [ "$dry_run" = 0 ]; then
  python3 "$here/make_platform.py" --nodes 1 --cores 1 --out "$scratch/one" 2>/dev/null
  smpi_run 1 "$scratch/one" "$scratch/help" 60 "$binary" bench -h
  if grep -q -- "--hierarchy" "$scratch/help.out" "$scratch/help.err"; then hierarchy=1; fi
  if [ -z "$modes" ] && [ "$hierarchy" = 1 ]; then
    modes="auto flat"
    if grep -q "leaders" "$scratch/help.out" "$scratch/help.err"; then modes="auto flat leaders"; fi
  fi
elif [ -n "$modes" ]; then
  hierarchy=1  # a dry run trusts --modes
fi
if [ "$hierarchy" = 0 ]; then
  [ -z "$modes" ] || echo "note: this amorsize has no --hierarchy option; running its default only" >&2
  modes="default"
fi

if [ -z "$out" ]; then
  mkdir -p "$root/bench/results"
  out="$root/bench/results/sim-$(date -u +%Y%m%d-%H%M%S).jsonl"
fi

if [ "$dry_run" = 0 ]; then
  echo "# amorsize bench under SimGrid SMPI"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ' (modified)'), $(smpirun -version 2>/dev/null | head -1), on $(nproc) cores of $(hostname)."
  echo "Platform: $cores cores per node, links $latency / $bandwidth, full-bisection switch."
  echo "SMPI flags: ${AMORSIZE_SMPI_FLAGS[*]}"
  if [ -n "$items_per_worker" ]; then
    echo "Work: $items_per_worker items per rank."
  else
    echo "Work: about $seconds_per_worker s of simulated work per rank."
  fi
  echo "Raw results: ${out#"$root"/}"
  echo
  python3 "$here/record.py" --header
fi

declare -A size_wall size_longest size_runs size_failed
for ranks in $sizes; do
  nodes=$((ranks / cores))
  platform="$scratch/plat-$ranks"
  platform_args=(--nodes "$nodes" --cores "$cores" --latency "$latency" --bandwidth "$bandwidth")
  if [ "$dry_run" = 1 ]; then
    platform="${TMPDIR:-/tmp}/amorsize-plat-$ranks"
    echo "bench/sim/make_platform.py ${platform_args[*]} --out $platform"
  else
    python3 "$here/make_platform.py" "${platform_args[@]}" --out "$platform" 2>/dev/null ||
      die "make_platform.py failed"
  fi
  size_wall[$ranks]=0
  size_longest[$ranks]=0
  size_runs[$ranks]=0
  size_failed[$ranks]=0
  for workload in $workloads; do
    for mean in $means; do
      if [ -n "$items_per_worker" ]; then
        items=$((items_per_worker * ranks))
      else
        items="$(awk -v s="$seconds_per_worker" -v r="$ranks" -v m="$(to_seconds "$mean")" \
          'BEGIN { n = s * r / m; printf "%d\n", (n == int(n) ? n : int(n) + 1) }')"
      fi
      spec="$workload:mean=$mean,n=$items"
      for mode in $modes; do
        args=(bench --workload "$spec" --json)
        [ "$mode" = default ] || args+=(--hierarchy "$mode")
        if [ "$dry_run" = 1 ]; then
          echo "smpirun -np $ranks -platform $platform.xml -hostfile $platform.hosts ${AMORSIZE_SMPI_FLAGS[*]} $binary ${args[*]}"
          continue
        fi
        run="$scratch/run"
        start=$(date +%s.%N)
        smpi_run "$ranks" "$platform" "$run" "$limit" "$binary" "${args[@]}"
        rc=$?
        wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
        python3 "$here/record.py" --jsonl "$out" --stdout "$run.out" --stderr "$run.err" \
          --rc "$rc" --wall "$wall" --ranks "$ranks" --nodes "$nodes" --cores-per-node "$cores" \
          --workload "$workload" --mean "$mean" --mode "$mode" --items "$items" --limit "$limit"
        size_runs[$ranks]=$((size_runs[$ranks] + 1))
        tail -1 "$out" | grep -q '"error": null' || size_failed[$ranks]=$((size_failed[$ranks] + 1))
        size_wall[$ranks]=$(awk -v a="${size_wall[$ranks]}" -v b="$wall" 'BEGIN { print a + b }')
        size_longest[$ranks]=$(awk -v a="${size_longest[$ranks]}" -v b="$wall" \
          'BEGIN { print (b > a ? b : a) }')
      done
    done
  done
done
[ "$dry_run" = 1 ] && exit 0

echo
echo "Wall time of the simulations, per size:"
echo
echo "| ranks | nodes | runs | failed | total wall s | longest run s |"
echo "|---|---|---|---|---|---|"
for ranks in $sizes; do
  printf '| %s | %s | %s | %s | %.1f | %.1f |\n' "$ranks" "$((ranks / cores))" "${size_runs[$ranks]}" \
    "${size_failed[$ranks]}" "${size_wall[$ranks]}" "${size_longest[$ranks]}"
done
