#!/usr/bin/env bash
# Runtime benchmark: `amorsize bench` (auto plan) against its own baseline schedules
# (fixed:1, static, gss) and the mpi4py.futures peer (chunksize 1 and the Amorsize seeds'
# rule), on synthetic busy-wait workloads. Prints a Markdown table of efficiencies
# (lower bound / makespan, lower bound = max(sum of item times / physical cores, longest
# item)) and writes every run as one JSON line to bench/results/runtime-YYYYmmdd-HHMMSS.jsonl.
#
#   bash bench/runtime_bench.sh                 # the full run (P = 2 3, six workloads, 3 means)
#   bash bench/runtime_bench.sh --quick         # exp and const, TOTAL_SECONDS=0.5
#   TOTAL_SECONDS=1 bash bench/runtime_bench.sh # each run's serial work (n = TOTAL / mean)
#
# Options:
#   --quick            only exp and const, P = 2 and 3, TOTAL_SECONDS=0.5
#   --amorsize PATH    the amorsize binary (default build/apps/amorsize)
#   --no-peers         skip the mpi4py peer
#   --sweep            also run mpi4py with chunksize 10, 100 and 1000, and compare amorsize
#                      with the best of every chunksize (the "mpi4py best" column)
#   --no-amorsize      skip amorsize (tests the peer and the table alone)
#   --ps "2 3"         rank counts        --workloads "exp const"    --means "20us 2ms"
#   --reps N           repetitions of amorsize auto, static, gss and mpi4py seeds (default 3;
#                      fixed:1 and mpi4py chunksize 1 run once: they are far behind). Each
#                      cell is the median; repetitions are interleaved (round after round of
#                      every case), so a noisy minute hits one repetition of many cases,
#                      not every repetition of one
#   --table FILE.jsonl only print the table of an earlier results file
# Environment: TOTAL_SECONDS (default 2), RUN_TIMEOUT_MIN (default 30: no run is killed
# before this many seconds; each run may take 6x its estimate), PYTHON (default
# /usr/bin/python3, which has mpi4py and numpy).
#
# A failing run (non-zero exit, no JSON, or a timeout) is an "ERR" cell; the script goes on.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
PEER="$ROOT/bench/peers/mpi4py_bench.py"
TOTAL_SECONDS=${TOTAL_SECONDS:-2}
RUN_TIMEOUT_MIN=${RUN_TIMEOUT_MIN:-30}
AMORSIZE="$ROOT/build/apps/amorsize"
PS="2 3"
WORKLOADS="const uniform exp bimodal pareto linear"
MEANS="20us 200us 2ms"
RUN_AMORSIZE=1
RUN_PEERS=1
SWEEP=0
REPS=3
TABLE_ONLY=""

die() { echo "runtime_bench: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --quick) WORKLOADS="exp const"; PS="2 3"; TOTAL_SECONDS=0.5 ;;
    --amorsize) (($# >= 2)) || die "--amorsize needs a path"
                AMORSIZE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
    --no-peers) RUN_PEERS=0 ;;
    --sweep) SWEEP=1 ;;
    --no-amorsize) RUN_AMORSIZE=0 ;;
    --ps) (($# >= 2)) || die "--ps needs a list"; PS=$2; shift ;;
    --workloads) (($# >= 2)) || die "--workloads needs a list"; WORKLOADS=$2; shift ;;
    --means) (($# >= 2)) || die "--means needs a list"; MEANS=$2; shift ;;
    --table) (($# >= 2)) || die "--table needs a file"; TABLE_ONLY=$2; shift ;;
    --reps) (($# >= 2)) && [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--reps needs a positive count"
            REPS=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

"$PYTHON" -c 'import json' 2>/dev/null || die "$PYTHON not found (set PYTHON=...)"

# ---------------------------------------------------------------------------------------
# The table, from a results file: one row per (P, workload, mean).
render_table() {
  "$PYTHON" - "$1" <<'PY'
import json, statistics, sys

COLUMNS = [("amorsize", "auto"), ("amorsize", "fixed:1"), ("amorsize", "static"),
           ("amorsize", "gss"), ("mpi4py", "1"), ("mpi4py", "seeds")]
HEAD = ["amorsize eff", "fixed:1", "static", "gss", "mpi4py cs=1", "mpi4py seeds"]
SWEPT = [("mpi4py", "10"), ("mpi4py", "100"), ("mpi4py", "1000")]
TARGET = {"20us": 0.85}  # 0.95 elsewhere

meta, rows, order = {}, {}, []
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("kind") in ("meta", "meta_end"):
            meta.update(r)
            continue
        key = (r["P"], r["workload"], r["mean"])
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key].setdefault((r["runner"], r["variant"]), []).append(r)

ran = {k for row in rows.values() for k in row}
if any(k in ran for k in SWEPT):
    COLUMNS += SWEPT
    HEAD += ["mpi4py cs=10", "mpi4py cs=100", "mpi4py cs=1000"]
peers_ran = any(k[0] == "mpi4py" for k in ran)
amorsize_ran = any(k[0] == "amorsize" for k in ran)

def ok(r):
    return r is not None and r.get("ok") and isinstance(r.get("result"), dict)

def effs(runs):
    """Efficiencies of the runs of one cell that finished."""
    out = []
    for r in runs or []:
        # amorsize: against the drawn item times, as the peer's figure is taken (older
        # files and the peer have only "efficiency", taken that way)
        e = r["result"].get("drawn_efficiency", r["result"].get("efficiency")) if ok(r) else None
        if isinstance(e, (int, float)):
            out.append(e)
    return out

def med(runs):
    e = effs(runs)
    return statistics.median(e) if e else None

def cell(key, row):
    if key not in ran:
        return "–"
    runs = row.get(key)
    if not runs:
        return "–"
    m = med(runs)
    return "%.2f" % m if m is not None else "ERR"

def spread(runs):
    e = effs(runs)
    if len(e) < 2:
        return "–"
    return "%.2f-%.2f" % (min(e), max(e))

reps = max((len(v) for row in rows.values() for v in row.values()), default=1)
swept = any(k in ran for k in SWEPT)
print("| P | workload | mean | " + HEAD[0] + " | amorsize range | " + " | ".join(HEAD[1:]) +
      " | best baseline ratio |" + (" vs mpi4py best |" if swept else "") + " exactly_once |")
print("|---|---|---|---:|---:|" + "---:|" * (len(HEAD) - 1) + "---:|" + ("---:|" if swept else "") + "---|")
met = beats = clear_wins = clear_losses = cases = errors = 0
level = compared = 0
for key in order:
    P, wl, mean = key
    row = rows[key]
    cells = [cell(c, row) for c in COLUMNS]
    cells.insert(1, spread(row.get(("amorsize", "auto"))))
    auto_runs = row.get(("amorsize", "auto"))
    auto = med(auto_runs)
    others = [(med(row.get(c)), effs(row.get(c))) for c in COLUMNS[1:] if row.get(c)]
    others = [(m, e) for m, e in others if m is not None]
    ratio = "–"
    if auto is not None and others and max(m for m, _ in others) > 0:
        ratio = "%.2f" % (auto / max(m for m, _ in others))
    # exactly_once over every run of the row that finished (and amorsize's own checks).
    problems = []
    for (runner, variant), runs in sorted(row.items()):
      for r in runs:
        if not ok(r):
            continue
        res = r["result"]
        name = variant if runner == "amorsize" else "mpi4py " + variant
        if res.get("exactly_once") is not True:
            problems.append(name)
        if runner == "amorsize" and res.get("failed") not in (0, None):
            problems.append(name + " failed=%s" % res.get("failed"))
        if runner == "amorsize" and res.get("order_ok") is False:
            problems.append(name + " order")
    finished = sum(ok(r) for runs in row.values() for r in runs)
    once = "–" if not finished else ("yes" if not problems else "NO: " + ", ".join(sorted(set(problems))))
    peer = [med(row.get(c)) for c in COLUMNS if c[0] == "mpi4py" and row.get(c)]
    peer = [m for m in peer if m is not None]
    versus = ""
    if swept:
        versus = " – |"
        if auto is not None and peer and max(peer) > 0:
            versus = " %.3f |" % (auto / max(peer))
            compared += 1
            level += auto >= max(peer)
    print("| %s | %s | %s | %s | %s |%s %s |" % (P, wl, mean, " | ".join(cells), ratio, versus, once))
    if amorsize_ran:
        cases += 1
        if auto is None:
            errors += 1
        elif auto >= TARGET.get(mean, 0.95):
            met += 1
        if auto is not None and others and all(auto > m for m, _ in others):
            beats += 1
        a = effs(auto_runs)
        if a and others and all(min(a) > max(e) for _, e in others):
            clear_wins += 1
        if a and others and any(max(a) < min(e) for _, e in others):
            clear_losses += 1
print()
if amorsize_ran:
    against = "every baseline and peer" if peers_ran else "every baseline (no peers run)"
    print("Target (median eff >= 0.95 at 200us and 2ms, >= 0.85 at 20us): met in %d of %d "
          "cases%s. amorsize's median beats %s in %d of %d cases; its worst run beats their "
          "best in %d; its best run is below some other's worst in %d (%d runs per cell at "
          "most)." % (met, cases, " (%d ERR)" % errors if errors else "", against, beats, cases,
                      clear_wins, clear_losses, reps))
else:
    print("amorsize not run: no target or comparison summary.")
if swept:
    print("Against mpi4py at its best chunksize (1, 10, 100, 1000 or the seeds' rule), per case: "
          "amorsize's median is at least level in %d of %d cases." % (level, compared))
if peers_ran:
    print("mpi4py runs P-1 workers (rank 0 only dispatches): 1 worker at P=2. "
          "Efficiencies use the machine's physical cores (%s)." % meta.get("cores", "?"))
busy = max(meta.get("busy_cpus_before") or 0, meta.get("busy_cpus_after") or 0)
if busy > 0.25:
    print("WARNING: other processes kept ~%.1f CPUs busy (before: %s, after: %s): "
          "these efficiencies understate both programs." %
          (busy, meta.get("busy_cpus_before"), meta.get("busy_cpus_after")))
failed = [(k, r) for k in order for runs in rows[k].values() for r in runs if not ok(r)]
if failed:
    print()
    print("ERR runs:")
    for (P, wl, mean), r in failed:
        print("  P=%s %s %s %s %s: %s" % (P, wl, mean, r["runner"], r["variant"],
                                          r.get("error", "?")))
PY
}

if [[ -n $TABLE_ONLY ]]; then
  render_table "$TABLE_ONLY"
  exit 0
fi

# ---------------------------------------------------------------------------------------
# Checks before spending minutes.
if ((RUN_AMORSIZE)); then
  [[ -x $AMORSIZE ]] || die "no amorsize binary at $AMORSIZE (build it, pass --amorsize PATH, or --no-amorsize)"
  if ! "$AMORSIZE" --help 2>/dev/null | grep -Eq '^[[:space:]]+bench([[:space:]]|$)'; then
    die "$AMORSIZE has no 'bench' subcommand yet (rebuild, or run with --no-amorsize)"
  fi
fi
if ((RUN_PEERS)); then
  "$PYTHON" -c 'import mpi4py.futures, numpy' 2>/dev/null ||
    die "$PYTHON lacks mpi4py or numpy (apt-get install python3-mpi4py python3-numpy, or --no-peers)"
fi
command -v mpirun >/dev/null || die "mpirun not found"
((RUN_AMORSIZE || RUN_PEERS)) || die "nothing to run (--no-amorsize and --no-peers)"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'
MPIRUN=(mpirun --oversubscribe --bind-to none)

mean_seconds() {
  case $1 in
    *ns) awk -v v="${1%ns}" 'BEGIN { print v * 1e-9 }' ;;
    *us) awk -v v="${1%us}" 'BEGIN { print v * 1e-6 }' ;;
    *ms) awk -v v="${1%ms}" 'BEGIN { print v * 1e-3 }' ;;
    *s) awk -v v="${1%s}" 'BEGIN { print v }' ;;
    *) awk -v v="$1" 'BEGIN { print v }' ;;
  esac
}

CORES=$("$PYTHON" -c "
import os
s, p, c = set(), None, None
for line in open('/proc/cpuinfo'):
    k, _, v = line.partition(':'); k = k.strip()
    if k == 'physical id': p = v.strip()
    elif k == 'core id': c = v.strip()
    elif not line.strip():
        if c is not None: s.add((p, c))
        p = c = None
if c is not None: s.add((p, c))
print(len(s) or os.cpu_count() or 1)" 2>/dev/null || nproc)

# Estimated seconds of one run (start-up included), from measurements on the 2-core CI
# machine: mpirun start-up ~0.4 s (python + numpy + drawing the items ~1 s); amorsize at
# ~0.9 efficiency (fixed:1 at ~0.5 below 100 us; static ~0.7); mpi4py chunksize 1 costs
# ~0.35 ms of dispatch per item, and rank 0 only dispatches.
estimate_run() {  # runner variant P mean_s n
  awk -v runner="$1" -v variant="$2" -v P="$3" -v m="$4" -v n="$5" -v cores="$CORES" '
    function min(a, b) { return a < b ? a : b }
    function max(a, b) { return a > b ? a : b }
    BEGIN {
      work = m * n
      if (runner == "amorsize") {
        w = min(P, cores); e = 0.9
        if (variant == "fixed:1" && m < 1e-4) e = 0.5
        if (variant == "static") e = 0.7
        t = 0.4 + work / w / e
      } else {
        w = max(1, min(P - 1, cores))
        if (variant == "1") t = 1.0 + max(n * (m + 3.5e-4) / w, work / w)
        else t = 1.0 + 1.2 * work / w + 0.2
      }
      printf "%.1f", t
    }'
}

# ---------------------------------------------------------------------------------------
# The cases.
CASES=()  # "P workload mean n"
for P in $PS; do
  for wl in $WORKLOADS; do
    for mean in $MEANS; do
      m=$(mean_seconds "$mean")
      n=$(awk -v t="$TOTAL_SECONDS" -v m="$m" 'BEGIN { n = int(t / m + 0.5); print (n < 1 ? 1 : n) }')
      CASES+=("$P $wl $mean $n")
    done
  done
done

VARIANTS=()  # "runner variant"
if ((RUN_AMORSIZE)); then VARIANTS+=("amorsize auto" "amorsize fixed:1" "amorsize static" "amorsize gss"); fi
if ((RUN_PEERS)); then VARIANTS+=("mpi4py 1" "mpi4py seeds"); fi
if ((RUN_PEERS && SWEEP)); then VARIANTS+=("mpi4py 10" "mpi4py 100" "mpi4py 1000"); fi

total_estimate=0
for c in "${CASES[@]}"; do
  read -r P wl mean n <<<"$c"
  m=$(mean_seconds "$mean")
  for v in "${VARIANTS[@]}"; do
    read -r runner variant <<<"$v"
    k=$REPS
    [[ $v == "amorsize fixed:1" || $v == "mpi4py 1" ]] && k=1
    total_estimate=$(awk -v a="$total_estimate" -v k="$k" -v b="$(estimate_run "$runner" "$variant" "$P" "$m" "$n")" 'BEGIN { print a + k * b }')
  done
done

mkdir -p "$ROOT/bench/results"
[[ -f $ROOT/bench/results/.gitignore ]] || printf '*.jsonl\n' >"$ROOT/bench/results/.gitignore"
OUT="$ROOT/bench/results/runtime-$(date +%Y%m%d-%H%M%S).jsonl"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# CPUs kept busy by other processes (over 1 s, from /proc/stat): on a 2-core machine one
# busy background job halves every efficiency, so say so.
busy_cpus() {
  "$PYTHON" "$ROOT/bench/busy_cpus.py" 2>/dev/null || echo 0
}
BUSY=$(busy_cpus)
if awk -v b="$BUSY" 'BEGIN { exit !(b > 0.25) }'; then
  echo "runtime_bench: WARNING: other processes keep ~$BUSY CPUs busy; efficiencies will be low" >&2
fi
"$PYTHON" - "$OUT" "$TOTAL_SECONDS" "$CORES" "$COMMIT" "$AMORSIZE" "$RUN_AMORSIZE" "$RUN_PEERS" "$BUSY" <<'PY'
import json, os, platform, sys, time
out, total, cores, commit, amorsize, run_a, run_p, busy = sys.argv[1:]
with open(out, "w") as f:
    f.write(json.dumps({"kind": "meta", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "host": platform.node(), "total_seconds": float(total),
                        "cores": int(cores), "cpus": os.cpu_count(), "commit": commit,
                        "amorsize": amorsize if run_a == "1" else None,
                        "peers": run_p == "1", "busy_cpus_before": float(busy)}) + "\n")
PY

printf 'runtime_bench: %d cases x %d variants (%d repetitions), TOTAL_SECONDS=%s, %s physical cores; estimated %.0f s (~%.1f min)\n' \
  "${#CASES[@]}" "${#VARIANTS[@]}" "$REPS" "$TOTAL_SECONDS" "$CORES" "$total_estimate" \
  "$(awk -v t="$total_estimate" 'BEGIN { print t / 60 }')" >&2
printf 'runtime_bench: raw results in %s\n' "$OUT" >&2

# Runs one (case, variant); appends one JSON line to $OUT. Never fails the script.
run_one() {  # P wl mean n runner variant
  local P=$1 wl=$2 mean=$3 n=$4 runner=$5 variant=$6
  local spec="$wl:mean=$mean,n=$n" cmd=() rc=0 t0 t1 est limit
  if [[ $runner == amorsize ]]; then
    cmd=("${MPIRUN[@]}" -np "$P" "$AMORSIZE" bench --workload "$spec" --json)
    [[ $variant == auto ]] || cmd+=(--schedule "$variant")
  else
    cmd=("${MPIRUN[@]}" -np "$P" "$PYTHON" -m mpi4py.futures "$PEER" --workload "$spec" --chunksize "$variant")
  fi
  est=$(estimate_run "$runner" "$variant" "$P" "$(mean_seconds "$mean")" "$n")
  limit=$(awk -v e="$est" -v lo="$RUN_TIMEOUT_MIN" 'BEGIN { t = 6 * e; printf "%d", (t > lo ? t : lo) }')
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "${cmd[@]}" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
  t1=$(date +%s.%N)
  "$PYTHON" - "$OUT" "$P" "$wl" "$mean" "$n" "$runner" "$variant" "$rc" "$t0" "$t1" "$limit" \
    "$TMP/out" "$TMP/err" "${cmd[*]}" <<'PY' || echo "runtime_bench: could not record a run" >&2
import json, sys
out, P, wl, mean, n, runner, variant, rc, t0, t1, limit, fo, fe, cmd = sys.argv[1:]
rc = int(rc)
result, error = None, None
lines = [l for l in open(fo, errors="replace").read().splitlines() if l.lstrip().startswith("{")]
for line in reversed(lines):
    try:
        result = json.loads(line)
        break
    except ValueError:
        continue
# The line of stderr that names the cause: the program's own message, an uncaught
# exception, the signal from Open MPI's handler; not Open MPI's banners or backtraces.
BOILERPLATE = ("---", "Primary job", "a non-zero exit code", "Per user-direction",
               "mpirun detected", "Process name", "Exit code", "mpirun noticed", "[")
err_lines = [l.strip() for l in open(fe, errors="replace").read().splitlines() if l.strip()]
def pick(pred, k=2):
    return [l for l in err_lines if pred(l)][:k]
err_tail = (pick(lambda l: l.startswith(("amorsize", "mpi4py_bench", "terminate called"))
                 or "what()" in l or "Error:" in l)
            or pick(lambda l: "] Signal: " in l, 1)
            or pick(lambda l: not l.startswith(BOILERPLATE))
            or pick(lambda l: "mpirun noticed" in l, 1)
            or err_lines[-2:])
if rc == 124 or rc == 137:
    error = "timed out after %s s" % limit
elif rc != 0:
    error = "exit %d: %s" % (rc, " / ".join(err_tail)[:300] or "no message")
elif not isinstance(result, dict):
    error = "no JSON on stdout"
elif not isinstance(result.get("efficiency"), (int, float)):
    error = "no efficiency in the JSON"
rec = {"kind": "run", "P": int(P), "workload": wl, "mean": mean, "n": int(n),
       "runner": runner, "variant": variant, "spec": "%s:mean=%s,n=%s" % (wl, mean, n),
       "command": cmd, "rc": rc, "wall_s": round(float(t1) - float(t0), 3),
       "ok": error is None, "result": result}
if error:
    rec["error"] = error
    rec["stderr_tail"] = err_lines[-12:]
with open(out, "a") as f:
    f.write(json.dumps(rec) + "\n")
eff = result.get("drawn_efficiency", result.get("efficiency")) if isinstance(result, dict) else None
print("  P=%s %-7s %-5s %-8s %-7s %s (%.1f s)" % (P, wl, mean, runner, variant,
      "eff %.2f" % eff if error is None else "ERR: " + error, float(t1) - float(t0)),
      file=sys.stderr)
PY
}

once() { [[ $1 == "amorsize fixed:1" || $1 == "mpi4py 1" ]]; }  # far behind: one run decides

start=$(date +%s)
for ((rep = 1; rep <= REPS; rep++)); do
  ((REPS == 1)) || echo "runtime_bench: repetition $rep of $REPS" >&2
  for c in "${CASES[@]}"; do
    read -r P wl mean n <<<"$c"
    for v in "${VARIANTS[@]}"; do
      ((rep == 1)) || ! once "$v" || continue
      read -r runner variant <<<"$v"
      run_one "$P" "$wl" "$mean" "$n" "$runner" "$variant"
    done
  done
done
printf 'runtime_bench: done in %d s (estimated %.0f s)\n\n' "$(($(date +%s) - start))" "$total_estimate" >&2
BUSY_AFTER=$(busy_cpus)
printf '{"kind": "meta_end", "busy_cpus_after": %s}\n' "$BUSY_AFTER" >>"$OUT"

render_table "$OUT"
echo
echo "Raw results: ${OUT#"$ROOT"/}"
