#!/usr/bin/env bash
# slurm/amorsize.sbatch on a real single-node Slurm cluster started for this test:
#  (a) a 200-task job submitted with `sbatch --wait` writes exactly the expected output;
#  (b) a job whose 1-minute time limit comes mid-run gets SIGUSR1 from Slurm, amorsize stops
#      and exits 3, the job requeues itself and the next allocation resumes: the output is
#      exactly the expected one (no task lost or run twice) and the job really restarted;
#  (c) slurm/array.sbatch: a 2-element job array, each element its own slice and output.
#
#   tests/slurm/slurm_roundtrip.sh BUILD_DIR
#
# Runs `BUILD_DIR/apps/amorsize` (or $AMORSIZE) under $MPIRUN (default mpirun). Needs root (the
# cluster's daemons run as root); exits 77 (skipped) otherwise. Takes about 40-50 s, most of
# it in (b) waiting for Slurm's time-limit warning: --time=1 (one minute, the shortest limit
# Slurm has) with --signal=B:USR1@20. slurmctld checks limits on a 30-s timer and sends the
# warning at the first check that finds the job within offset + 30 s of its end, so it comes
# 10-40 s into the job (never before amorsize is up), and the hard kill, should the stop fail,
# at the first check past the end, 60-90 s into it.
# Relies on these settings of slurm/start-local-cluster.sh: AuthInfo cred_expire=5 and
# SchedulerParameters=sched_interval=2 (a requeued job starts again ~6 s later instead of
# ~150 s), batch_sched_delay=0, MinJobAge=4 (sbatch --wait polls every 2 s), CPUs=4 with
# SlurmdParameters=config_overrides (3 ranks on a 2-core machine), KillWait=5.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
amorsize=${AMORSIZE:-$build/apps/amorsize}
mpirun=${MPIRUN:-mpirun}
t0=$(date +%s)

note() { echo "[$(( $(date +%s) - t0 ))s] $*"; }
# shellcheck source=wait_for_job.sh
. "$(dirname "$0")/wait_for_job.sh"
fail() { echo "FAIL: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root for the test Slurm cluster"; exit 77; fi
[ -x "$amorsize" ] || fail "no amorsize binary at $amorsize"

# A private cluster: its own directory and ports, so a cluster started by hand keeps running.
port_busy() {
  local hex
  hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}'
}
port=${AMORSIZE_SLURM_PORT:-6837}
while port_busy "$port" || port_busy $((port + 1)); do port=$((port + 10)); done
export AMORSIZE_SLURM_PORT=$port
cluster=$(mktemp -d /tmp/amorsize-slurm-test.XXXXXX)
work=$build/tests/slurm/roundtrip
rm -rf "$work"
mkdir -p "$work"

passed=0
cleanup() {
  local rc=$?
  if [ "$passed" = 1 ]; then
    "$src/slurm/stop-local-cluster.sh" "$cluster" --purge 2>/dev/null || true
  else
    echo "--- slurmctld log (tail) ---"; tail -n 30 "$cluster/log/slurmctld.log" 2>/dev/null || true
    echo "--- slurmd log (tail) ---"; tail -n 30 "$cluster/log/slurmd.log" 2>/dev/null || true
    "$src/slurm/stop-local-cluster.sh" "$cluster" || true
    echo "cluster logs kept in $cluster, job files in $work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP   # so that cleanup also runs when the test is interrupted

# Settings from an enclosing Slurm job (when the tests themselves run under Slurm) must not leak.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^SLURM_' || true)

note "starting the test cluster in $cluster (port $port)"
"$src/slurm/start-local-cluster.sh" "$cluster"
export SLURM_CONF=$cluster/etc/slurm.conf

# Open MPI as root, more ranks than cores, quick start-up on one node.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader OMPI_MCA_mtl=^ofi,psm,psm2
export OMPI_MCA_rmaps_base_oversubscribe=1
export AMORSIZE=$amorsize MPIRUN=$mpirun MPIRUN_ARGS="--bind-to none"
sbatch_script=$src/slurm/amorsize.sbatch

# ---- (a) a plain job, sbatch --wait ------------------------------------------------------------
{
  echo "# 200 tasks, with a comment and a blank line to skip"
  seq 1 100
  echo
  seq 101 200
} > "$work/a.tasks"
seq 1 200 | sed 's/^/task /' > "$work/a.expected"
note "(a) sbatch --wait: 200 tasks"
ta=$(date +%s)
set +e
TASKS=$work/a.tasks OUTPUT=$work/a.results COMMAND="/bin/echo task {}" \
  sbatch --wait --quiet --chdir="$work" --ntasks-per-node=3 --time=2 --output="$work/a.log" \
  "$sbatch_script"
rc=$?
set -e
cat "$work/a.log"
[ "$rc" -eq 0 ] || fail "(a) sbatch --wait exited $rc"
cmp "$work/a.expected" "$work/a.results" || fail "(a) output differs from the expected one"
note "(a) passed in $(( $(date +%s) - ta )) s"

# ---- (b) the time limit comes mid-run: SIGUSR1, exit 3, requeue, resume --------------------------
# 300 tasks of 1 s each in the first allocation (far more than its minute, whatever the number
# of workers) and of no time once the job has restarted, so the test stays short.
cat > "$work/slow_task.sh" <<'EOF'
#!/bin/sh
[ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] || sleep 1
echo "result $1"
EOF
chmod +x "$work/slow_task.sh"
seq 1 300 > "$work/b.tasks"
seq 1 300 | sed 's/^/result /' > "$work/b.expected"
note "(b) 300 tasks, --time=1 --signal=B:USR1@20"
tb=$(date +%s)
job=$(TASKS=$work/b.tasks OUTPUT=$work/b.results COMMAND="$work/slow_task.sh {}" \
      sbatch --parsable --chdir="$work" --ntasks-per-node=3 --time=1 --signal=B:USR1@20 \
      --output="$work/b.log" "$sbatch_script")
job=${job%%;*}
wait_for_job "$job" "$work/b.log" 170
expect_drained_and_resumed "$job" "$work/b.log" "$work/b.expected" "$work/b.results"
note "(b) passed in $(( $(date +%s) - tb )) s: $runs runs, Restarts=$restarts"

# ---- (c) slurm/array.sbatch: two elements, each with its own slice and output ------------------
seq 1 50 | sed 's/^/item-/' > "$work/c.all"
(cd "$work" && split -n l/2 -d -a 1 --additional-suffix=.txt c.all c.tasks.)
note "(c) job array of 2 elements"
tc=$(date +%s)
set +e
TASKS_PATTERN=$work/c.tasks.%a.txt OUTPUT_PATTERN=$work/c.results.%a.txt \
  AMORSIZE_SBATCH=$sbatch_script COMMAND="/bin/echo {#} {}" \
  sbatch --wait --quiet --chdir="$work" --array=0-1 --ntasks-per-node=2 --time=2 \
  --output="$work/c.%a.log" "$src/slurm/array.sbatch"
rc=$?
set -e
cat "$work/c.0.log" "$work/c.1.log"
[ "$rc" -eq 0 ] || fail "(c) sbatch --wait exited $rc"
for i in 0 1; do
  awk '{print NR " " $0}' "$work/c.tasks.$i.txt" > "$work/c.expected.$i"
  cmp "$work/c.expected.$i" "$work/c.results.$i.txt" || fail "(c) element $i: wrong output"
done
note "(c) passed in $(( $(date +%s) - tc )) s"

passed=1
note "total $(( $(date +%s) - t0 )) s"
echo PASS
