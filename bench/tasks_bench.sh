#!/usr/bin/env bash
# Task-farm throughput: `amorsize run` against GNU parallel and xargs, in tasks per second,
# for many short commands on this machine's cores.
#
#   bash bench/tasks_bench.sh                # 5000 tasks per run, every run 3 times (~5 min)
#   bash bench/tasks_bench.sh --quick        # 1000 tasks, 1 repetition, every variant (~40 s)
#   bash bench/tasks_bench.sh --tasks 2000   # another task count
#   bash bench/tasks_bench.sh --full         # every variant for every task (~8.5 min)
#
# Options:
#   --quick            1000 tasks, 1 repetition, every variant (as --full)
#   --full             every tool variant for every task (see "The tools" below)
#   --tasks N          tasks per run (default 5000)
#   --reps R           repetitions of every run (default 3; the table shows the median)
#   --sleep            also time a third task, `sleep 0.005` (adds ~2 min at 5000 tasks)
#   --amorsize PATH    the amorsize binary (default build/apps/amorsize)
#   --no-wait          do not wait for a quiet machine before measuring
#   --keep             keep the temporary directory (task files, outputs, summaries)
#
# The tasks (each one command per task line):
#   true     `true N`: nothing but the cost of starting a process; measures each tool's
#            per-task overhead (spawn, bookkeeping, output handling).
#   spin5ms  `spin5ms N`: a tiny C program, compiled on the fly into the temporary directory,
#            that burns 5 ms of its own CPU time (CLOCK_PROCESS_CPUTIME_ID) and prints N.
#            CPU time rather than wall time on purpose: like a real task it needs a fixed amount
#            of CPU, so a tool that eats CPU on the same 2 cores (GNU parallel's Perl, a shell
#            per job, a busy coordinator) slows the tasks down, as it would in real use; a
#            wall-clock spin or a sleep would hide that. It prints one line per task, so the
#            outputs can be checked: N lines, and in task order for the ordered tools.
#   sleep5ms (--sleep) `sleep 0.005`: costs no CPU, so it measures latency rather than CPU
#            contention; coreutils' sleep also starts a little slower than the spin program.
#            It prints nothing.
#
# The tools, all with 2 tasks at a time (the machine has 2 cores):
#   amorsize np2 tmpl   mpirun -np 2 amorsize run --tasks ARGS --output OUT -- CMD {}
#                       (rank 0 coordinates and also runs tasks, rank 1 runs tasks)
#   amorsize np2 lines  mpirun -np 2 amorsize run --tasks LINES --output OUT
#                       (each line "CMD N" is a command; plain words, so posix_spawn, no shell)
#   amorsize np3 ...    the same at -np 3: the coordinator has its own rank, 2 worker ranks
#                       (--explain still prints "the coordinator also computes", but with
#                       2 worker ranks filling the plan's 2 workers it starts no thread)
#   parallel -j2        parallel --will-cite -j2 CMD {} < ARGS > OUT     (output as jobs finish)
#   parallel -j2 -k     the same with -k: output in input order, like amorsize's ordered output
#   xargs -P2           xargs -P 2 -n 1 CMD < ARGS > OUT
# By default, to stay near 5 minutes, two combinations that measure nothing new are left out
# (--full and --quick run them): `parallel -j2 -k` for `true` (it prints nothing, so there is
# nothing to keep in order: -k changes nothing) and amorsize's lines for spin5ms (the very same
# argv as the template, posix_spawn'ed the same way; only the 5 ms dominate). For spin5ms the
# GNU parallel run is `parallel -j2 -k`, the one whose output matches amorsize's ordered output;
# in --quick runs -k and no -k took the same time (5.62 s and 5.65 s for 1000 tasks).
# mpirun runs with --oversubscribe --bind-to none and the fast-start-up MCA variables
# (pml ob1, btl self,vader, no ofi/psm mtl); its start-up and shut-down are inside the time,
# since a user pays them.
#
# Method: every run is timed from spawn to exit (wall clock); the runs alternate (the list of
# runs is reversed on every other repetition) and the table shows the median wall time of each
# and tasks/s = N / median. Before measuring, the script waits (up to 60 s) for the machine to
# be quiet: other processes keeping < 0.3 CPUs busy, from /proc/stat over 1 s; the load
# average is shown too. During each run it compares the CPU the whole machine used
# (/proc/stat) with the CPU the run's own processes used (wait4's rusage), which gives the
# CPUs other processes took during the run ("other"); a run that lost more than half a CPU to
# others is run again once after the machine calms down (at most ~45 s of such re-runs; the
# less disturbed of the two counts), and cells still disturbed (> 0.25 CPUs in one of their
# runs) are marked with '*'. The "CPU ms/task" column is the CPU
# of the tool and its tasks together per task: for `true`, the per-task cost of the tool.
#
# Checks: every run must exit 0; spin5ms's output must have N lines, 1..N in order for
# amorsize and parallel -k, the same lines in any order for parallel and xargs; amorsize's
# --summary must say N done and 0 failed. A failing run is reported (with amorsize's own
# message and its summary's done/failed/abandoned) and run once more; if it fails again it is
# left out of the median, and the script exits 1 if any run failed twice.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AMORSIZE="$ROOT/build/apps/amorsize"
NTASKS=5000
REPS=3
WITH_SLEEP=0
FULL=0
WAIT_QUIET=1
KEEP=0
PYTHON=${PYTHON:-python3}

die() { echo "tasks_bench: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --quick) NTASKS=1000; REPS=1; FULL=1 ;;
    --full) FULL=1 ;;
    --tasks) (($# >= 2)) || die "--tasks needs a number"; NTASKS=$2; shift ;;
    --reps) (($# >= 2)) || die "--reps needs a number"; REPS=$2; shift ;;
    --sleep) WITH_SLEEP=1 ;;
    --amorsize) (($# >= 2)) || die "--amorsize needs a path"
                AMORSIZE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift ;;
    --no-wait) WAIT_QUIET=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
[[ $NTASKS =~ ^[1-9][0-9]*$ ]] || die "--tasks must be a positive integer"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"

[[ -x $AMORSIZE ]] || die "$AMORSIZE not found (build it: cmake --build build)"
for tool in mpirun parallel xargs cc "$PYTHON"; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'

TMP=$(mktemp -d /tmp/tasks_bench.XXXXXX)
if ((KEEP)); then
  echo "tasks_bench: keeping $TMP"
else
  trap 'rm -rf "$TMP"' EXIT
fi

# --- the 5 ms task: burns 5 ms of its own CPU time, prints its argument ---------------------
cat >"$TMP/spin5ms.c" <<'C'
#include <stdio.h>
#include <time.h>
static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
int main(int argc, char** argv) {
  const double end = cpu_seconds() + 0.005;
  volatile unsigned long sink = 0;
  while (cpu_seconds() < end)
    for (unsigned i = 0; i < 1000; ++i) sink += i;
  if (argc > 1) puts(argv[1]);
  return 0;
}
C
cc -O2 -o "$TMP/spin5ms" "$TMP/spin5ms.c" || die "cannot compile the 5 ms task"

# --- task files: ARGS (what {} becomes) and LINES (whole commands) --------------------------
seq 1 "$NTASKS" >"$TMP/args_num.txt"
awk '{ print "true " $0 }' "$TMP/args_num.txt" >"$TMP/lines_true.txt"
awk -v p="$TMP/spin5ms" '{ print p " " $0 }' "$TMP/args_num.txt" >"$TMP/lines_spin5ms.txt"
if ((WITH_SLEEP)); then
  awk '{ print "0.005" }' "$TMP/args_num.txt" >"$TMP/args_sleep.txt"
  awk '{ print "sleep 0.005" }' "$TMP/args_num.txt" >"$TMP/lines_sleep5ms.txt"
fi
: >"$TMP/empty.txt"

# --- a quiet machine ----------------------------------------------------------------------
# CPUs kept busy by other processes over 1 s (from /proc/stat; this script sleeps meanwhile).
busy_cpus() {
  "$PYTHON" "$ROOT/bench/busy_cpus.py"
}
CORES=$(nproc)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY=$(busy_cpus)
echo "tasks_bench: $CORES cores, load average $LOAD, other processes keep ~$BUSY CPUs busy"
# The load average lags by minutes (and counts this script's own earlier runs); /proc/stat
# over the last second is what decides whether to wait.
if awk -v l="${LOAD%% *}" -v c="$CORES" -v b="$BUSY" 'BEGIN { exit !(l > c / 2 || b > 0.3) }'; then
  echo "tasks_bench: WARNING: the load average (which lags ~1 min and also counts recent runs" \
       "of this script) or /proc/stat shows other work running (other agents share this" \
       "machine); timings may be slower and noisier" >&2
fi
if ((WAIT_QUIET)) && awk -v b="$BUSY" 'BEGIN { exit !(b > 0.3) }'; then
  echo "tasks_bench: waiting up to 60 s for the machine to calm down..." >&2
  for _ in $(seq 1 20); do
    sleep 2
    BUSY=$(busy_cpus)
    awk -v b="$BUSY" 'BEGIN { exit !(b > 0.3) }' || break
  done
  echo "tasks_bench: now ~$BUSY CPUs busy, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
       "measuring anyway" >&2
fi

# --- the runs, the checks and the table (Python: argv lists, wait4's rusage) ----------------
"$PYTHON" - "$TMP" "$AMORSIZE" "$NTASKS" "$REPS" "$WITH_SLEEP" "$CORES" "$BUSY" "$FULL" <<'PY'
import json, os, signal, statistics, subprocess, sys, time

tmp, amorsize, n, reps, with_sleep, cores, busy0, full = sys.argv[1:]
n, reps, with_sleep, cores = int(n), int(reps), with_sleep == "1", int(cores)
full = full == "1"
MPIRUN = ["mpirun", "--oversubscribe", "--bind-to", "none"]

# Each task: (name, command prefix, file of {} values, file of whole lines, prints N?)
TASKS = [("true", ["true"], "args_num.txt", "lines_true.txt", False),
         ("spin5ms", [os.path.join(tmp, "spin5ms")], "args_num.txt", "lines_spin5ms.txt", True)]
if with_sleep:
    TASKS.append(("sleep5ms", ["sleep"], "args_sleep.txt", "lines_sleep5ms.txt", False))

def variants(task):
    name, cmd, args, lines, prints = task
    A, L = os.path.join(tmp, args), os.path.join(tmp, lines)
    out = []
    for np_ in (2, 3):
        for mode in ("tmpl", "lines"):
            if mode == "lines" and prints and not full:
                continue  # the same argv as the template; see the header
            label = "amorsize np%d %s" % (np_, mode)
            def argv(outf, summ, np_=np_, mode=mode):
                base = MPIRUN + ["-np", str(np_), amorsize, "run", "--quiet", "--output", outf,
                                 "--summary", summ]
                if mode == "tmpl":
                    return base + ["--tasks", A, "--"] + cmd + ["{}"], None
                return base + ["--tasks", L], None
            out.append(dict(tool=label, kind="amorsize", ordered=True, argv=argv))
    for k in (False, True):
        if not full and k != prints:
            continue  # -k only for a task that prints; see the header
        def argv(outf, summ, k=k):
            return ["parallel", "--will-cite", "-j2"] + (["-k"] if k else []) + cmd + ["{}"], A
        out.append(dict(tool="parallel -j2" + (" -k" if k else ""), kind="parallel",
                        ordered=k, argv=argv))
    def argv(outf, summ):
        return ["xargs", "-P", "2", "-n", "1"] + cmd, A
    out.append(dict(tool="xargs -P2", kind="xargs", ordered=False, argv=argv))
    return out

def proc_stat():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(v[:8]) - v[3] - v[4]) / hz  # busy CPU-seconds, whole machine

def busy_now(seconds=1.0):
    def snap():
        v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        return sum(v[:8]), v[3] + v[4]
    t0, i0 = snap(); time.sleep(seconds); t1, i1 = snap()
    return (1 - (i1 - i0) / max(1, t1 - t0)) * cores

# A generous limit: 5 ms tasks on 2 cores need n * 2.5 ms; GNU parallel ~6 ms per task.
TIME_LIMIT = max(60.0, n * 0.03)

def run_once(task, var, tag):
    name, cmd, args, lines, prints = task
    outf = os.path.join(tmp, "out_%s.txt" % tag)
    errf = os.path.join(tmp, "err_%s.txt" % tag)
    summ = os.path.join(tmp, "summary_%s.json" % tag)
    for f in (outf, outf + ".journal", summ):
        if os.path.exists(f):
            os.unlink(f)
    argv, stdin_path = var["argv"](outf, summ)
    fin = open(stdin_path if stdin_path else os.devnull, "rb")
    fout = open(outf if var["kind"] != "amorsize" else os.devnull, "wb")
    ferr = open(errf, "wb")
    busy_before = proc_stat()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, start_new_session=True)
    deadline = t0 + TIME_LIMIT
    timed_out = False
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            timed_out = True
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    busy_after = proc_stat()
    p.returncode = os.waitstatus_to_exitcode(status)
    for f in (fin, fout, ferr):
        f.close()
    ours = ru.ru_utime + ru.ru_stime
    other = max(0.0, (busy_after - busy_before) - ours) / wall
    r = dict(task=name, tool=var["tool"], wall=wall, cpu=ours, other=other, rc=p.returncode,
             ok=True, why="")
    # --- checks
    if timed_out:
        r["ok"], r["why"] = False, "timed out after %.0f s" % TIME_LIMIT
    elif p.returncode != 0:
        err = open(errf, errors="replace").read()
        ours_ = [l for l in err.splitlines() if l.startswith("amorsize")]
        r["ok"], r["why"] = False, "exit %d: %s" % (p.returncode,
                                                   " / ".join(ours_) or err[-300:].strip())
        if var["kind"] == "amorsize" and os.path.exists(summ):
            s = json.load(open(summ))
            r["why"] += " (summary: done %s, failed %s, abandoned %s, resumable %s)" % (
                s.get("done"), s.get("failed"), s.get("abandoned"), s.get("resumable"))
    else:
        data = open(outf, "rb").read() if os.path.exists(outf) else b""
        got = data.split(b"\n")[:-1] if data else []
        r["lines"] = len(got)
        if prints:
            want = [str(i).encode() for i in range(1, n + 1)]
            if len(got) != n:
                r["ok"], r["why"] = False, "%d output lines, want %d" % (len(got), n)
            elif var["ordered"] and got != want:
                r["ok"], r["why"] = False, "output not in task order"
            elif sorted(got, key=int) != want:
                r["ok"], r["why"] = False, "output lines are not 1..%d" % n
        elif got:
            r["ok"], r["why"] = False, "unexpected output (%d lines)" % len(got)
        if var["kind"] == "amorsize":
            try:
                s = json.load(open(summ))
            except Exception as e:
                s = {}
                r["ok"], r["why"] = False, "no summary: %s" % e
            if s and (s.get("done") != n or s.get("failed") != 0):
                r["ok"], r["why"] = False, "summary: done %s failed %s" % (s.get("done"),
                                                                        s.get("failed"))
            for k in ("makespan_s", "workers", "chunks"):
                r[k] = s.get(k)
    return r

def show(r, i, total):
    extra = ""
    if "makespan_s" in r and r.get("makespan_s") is not None:
        extra = "  makespan %.2f s, %s workers, %s chunks" % (r["makespan_s"], r["workers"],
                                                            r["chunks"])
    status = "ok" if r["ok"] else "ERR " + r["why"]
    print("  [%2d/%d] %-8s %-20s %7.2f s  %7.0f tasks/s  cpu %6.2f s  other %.2f CPUs  %s%s"
          % (i, total, r["task"], r["tool"], r["wall"], n / r["wall"], r["cpu"], r["other"],
             status, extra), flush=True)

# --- fixed cost: amorsize with no tasks (mpirun start-up, MPI init, plan, shut-down) --------
fixed = {}
for np_ in (2, 3):
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(MPIRUN + ["-np", str(np_), amorsize, "run", "--quiet", "--tasks",
                                 os.path.join(tmp, "empty.txt"), "--output",
                                 os.path.join(tmp, "out_empty.txt")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - t0)
    fixed[np_] = statistics.median(walls)

runs = [(t, v) for t in TASKS for v in variants(t)]
est = 0.0
for t, v in runs:
    per = {"true": {"amorsize": 0.00045, "parallel": 0.0025, "xargs": 0.0005},
           "spin5ms": {"amorsize": 0.0029, "parallel": 0.0057, "xargs": 0.003},
           "sleep5ms": {"amorsize": 0.0033, "parallel": 0.004, "xargs": 0.0033}}[t[0]][v["kind"]]
    est += (0.15 if v["kind"] == "amorsize" else 0.05) + n * per
est *= reps
total = len(runs) * reps
print("tasks_bench: %d tasks per run, %d runs x %d repetitions; rough estimate %.0f s "
      "(~%.1f min)" % (n, len(runs), reps, est, est / 60), flush=True)
print("tasks_bench: amorsize with no tasks (start-up + shut-down): -np 2 %.2f s, -np 3 %.2f s"
      % (fixed[2], fixed[3]), flush=True)

results = {}  # (task, tool) -> [runs]
redo_budget = 45.0  # seconds of re-runs at most, to stay near 5 minutes
i = 0
started = time.perf_counter()
failed_runs = []  # every failed run, even if its retry passed
for rep in range(reps):
    order = runs if rep % 2 == 0 else list(reversed(runs))
    for t, v in order:
        i += 1
        tag = "%s_%s_%d" % (t[0], v["tool"].replace(" ", "_"), rep + 1)
        r = run_once(t, v, tag)
        if not r["ok"]:
            # Run it once more (another agent's test may have signalled our processes), but
            # keep the failure for the report.
            show(r, i, total)
            failed_runs.append(r)
            print("         failed: running it once more", flush=True)
            r = run_once(t, v, tag + "_retry")
        elif r["other"] > 0.5 and redo_budget >= 0.7 * r["wall"]:
            show(r, i, total)
            print("         other processes took %.2f CPUs: waiting for quiet, then again"
                  % r["other"], flush=True)
            w0 = time.perf_counter()
            for _ in range(15):
                if busy_now(1.0) < 0.3:
                    break
            r2 = run_once(t, v, tag + "_redo")
            redo_budget -= time.perf_counter() - w0
            r2["redone"] = True
            if r2["ok"] and r2["other"] < r["other"]:  # keep the less disturbed of the two
                r = r2
            else:
                show(r2, i, total)
                print("         kept the first run (less disturbed)", flush=True)
        show(r, i, total)
        results.setdefault((t[0], v["tool"]), []).append(r)
elapsed = time.perf_counter() - started

# --- the table ------------------------------------------------------------------------------
def med(key):
    ok = [r for r in results.get(key, []) if r["ok"]]
    if not ok:
        return None
    return dict(wall=statistics.median(r["wall"] for r in ok),
                lo=min(r["wall"] for r in ok), hi=max(r["wall"] for r in ok),
                cpu=statistics.median(r["cpu"] for r in ok),
                other=max(r["other"] for r in ok), runs=len(ok),
                errs=len(results.get(key, [])) - len(ok),
                makespan=statistics.median(r["makespan_s"] for r in ok)
                if ok[0].get("makespan_s") is not None else None,
                chunks=ok[0].get("chunks"), workers=ok[0].get("workers"))

print()
print("%d tasks per run, median of %d; %d cores; started with ~%s CPUs busy elsewhere; "
      "measuring took %.0f s" % (n, reps, cores, busy0, elapsed))
print()
print("| task | tool | tasks/s | ratio vs GNU parallel | ratio vs xargs | median s (min–max) "
      "| CPU ms/task |")
print("|---|---|---:|---:|---:|---:|---:|")
verdict = {}
for t in TASKS:
    name = t[0]
    tools = [v["tool"] for v in variants(t)]
    m = {tool: med((name, tool)) for tool in tools}
    rate = {tool: (n / m[tool]["wall"] if m[tool] else None) for tool in tools}
    par = max([rate[x] for x in ("parallel -j2", "parallel -j2 -k") if rate.get(x)],
              default=None)
    xa = rate.get("xargs -P2")
    amo = [x for x in tools if x.startswith("amorsize") and rate[x]]
    best = max(amo, key=lambda x: rate[x]) if amo else None
    for tool in tools:
        if not m[tool]:
            print("| %s | %s | ERR | | | | |" % (name, tool))
            continue
        mark = "*" if m[tool]["other"] > 0.25 else ""
        label = tool + (" **(best amorsize)**" if tool == best else "")
        print("| %s | %s | %.0f%s | %s | %s | %.2f (%.2f–%.2f) | %.2f |" % (
            name, label, rate[tool], mark,
            "%.2f" % (rate[tool] / par) if par else "–",
            "%.2f" % (rate[tool] / xa) if xa else "–",
            m[tool]["wall"], m[tool]["lo"], m[tool]["hi"], 1000 * m[tool]["cpu"] / n))
    verdict[name] = (best, rate[best] if best else None, par, rate)

print()
print("GNU parallel's ratio is against the faster of `parallel -j2` and `parallel -j2 -k` "
      "(whichever ran for that task). "
      "'*' = other processes took > 0.25 CPUs during one of the runs. CPU ms/task = CPU of "
      "the tool and its tasks together (rusage), per task.")
print()
print("Where amorsize's time goes (medians): wall = mpirun start-up + run (makespan, from "
      "--summary) + shut-down; amorsize with no tasks takes -np 2 %.2f s, -np 3 %.2f s."
      % (fixed[2], fixed[3]))
print()
print("| task | tool | wall s | makespan s | wall − makespan s | workers | chunks "
      "| makespan × workers / task (ms) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for t in TASKS:
    for v in variants(t):
        if v["kind"] != "amorsize":
            continue
        m = med((t[0], v["tool"]))
        if not m or m["makespan"] is None:
            continue
        print("| %s | %s | %.2f | %.2f | %.2f | %s | %s | %.3f |" % (
            t[0], v["tool"], m["wall"], m["makespan"], m["wall"] - m["makespan"],
            m["workers"], m["chunks"], 1000 * m["makespan"] * m["workers"] / n))

print()
def target(name, factor, words):
    if name not in verdict:
        return
    best, b, par, rate = verdict[name]
    if b is None or par is None:
        print("Target (%s): cannot tell, a run failed." % words)
        return
    per_np = []
    for np_ in (2, 3):
        r = max([rate[x] for x in rate if x.startswith("amorsize np%d" % np_) and rate[x]],
                default=None)
        if r:
            per_np.append("-np %d %.2fx" % (np_, r / par))
    print("Target: amorsize %s GNU parallel for `%s`: %s — best amorsize (%s) %.0f tasks/s vs "
          "GNU parallel %.0f tasks/s = %.2fx (needs >= %.1fx; %s)." % (
              words, name, "HOLDS" if b >= factor * par else "MISSED", best, b, par, b / par,
              factor, ", ".join(per_np)))
target("spin5ms", 1.0, "at least as fast as")
target("true", 2.0, "twice as fast as")
errs = [r for rs in results.values() for r in rs if not r["ok"]]
for r in failed_runs:
    print("FAILED RUN (then run once more) %s %s: %s" % (r["task"], r["tool"], r["why"]))
for r in errs:
    print("ERR (failed twice, left out) %s %s: %s" % (r["task"], r["tool"], r["why"]))
busy1 = busy_now(1.0)
if busy1 > 0.3 or float(busy0) > 0.3:
    print("WARNING: other processes kept ~%.2f CPUs busy before and ~%.2f after the runs"
          % (float(busy0), busy1))
sys.exit(1 if errs else 0)
PY
