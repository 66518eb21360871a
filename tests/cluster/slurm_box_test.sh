#!/usr/bin/env bash
# Slurm across nodes: a multi-node Slurm in a cluster in a box (two nodes of 2 CPUs, one
# slurmd each, inside its node), running slurm/amorsize.sbatch one rank per node:
#  (a) with mpirun inside the job: every task once, byte-identical output, tasks on both nodes;
#  (b) with srun --mpi=pmix under a one-minute time limit with --signal: the run drains (exit 3),
#      the job requeues itself and the next allocation resumes to byte-identical output;
#  (c) slurm/array.sbatch: a 2-element array, each element its own slice and output.
#   slurm_box_test.sh AMORSIZE
# Exits 77 (skipped) where the box cannot run. About 90 s, most of it waiting for Slurm's
# time-limit warning in (b).
set -uo pipefail
amorsize=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
export AMORSIZE_BOX=$(mktemp -d /tmp/amorsize-box-slurm.XXXXXX)
work=$(mktemp -d /tmp/amorsize-slurm-box-work.XXXXXX)
t0=$(date +%s)
note() { echo "[$(( $(date +%s) - t0 ))s] $*"; }
fail() { echo "FAIL: $*"; tail -n 20 "$AMORSIZE_BOX"/slurm/log/slurm*.log 2>/dev/null; exit 1; }
# shellcheck source=../slurm/wait_for_job.sh
. "$src/tests/slurm/wait_for_job.sh"
cleanup() {
  "$here/box.sh" stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
"$here/box.sh" check || exit 77
command -v slurmd >/dev/null || { echo "SKIPPED: no slurmd (slurm-wlm)"; exit 77; }
"$here/box.sh" start nodeA:0-1 nodeB:0-1 >/dev/null || fail "box start"
port=7837
while ss -ltn 2>/dev/null | grep -q ":$port "; do port=$((port + 10)); done
SLURM_CONF=$(AMORSIZE_SLURM_PORT=$port "$here/box.sh" slurm 2>/dev/null) ||
  fail "the Slurm cluster did not start"
export SLURM_CONF
# Open MPI between the box's nodes: TCP on loopback.
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo \
       OMPI_MCA_oob_tcp_if_include=lo OMPI_MCA_mtl='^ofi,psm,psm2' OMPI_ALLOW_RUN_AS_ROOT=1 \
       OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export AMORSIZE=$amorsize
script=$src/slurm/amorsize.sbatch

# ---- (a) sbatch, mpirun inside, one rank per node ----------------------------------------------
seq 1 200 > "$work/a.tasks"
seq 1 200 | sed 's/^/task /' > "$work/a.expected"
note "(a) sbatch --wait --nodes=2: 200 tasks, mpirun inside"
TASKS=$work/a.tasks OUTPUT=$work/a.results COMMAND="/bin/echo task {}" \
  AMORSIZE_ARGS="--log $work/a.h5" MPIRUN=mpirun MPIRUN_ARGS="--bind-to none" \
  sbatch --wait --quiet --chdir="$work" --nodes=2 --time=2 --output="$work/a.log" "$script"
rc=$?
cat "$work/a.log"
[ $rc -eq 0 ] || fail "(a) sbatch --wait exited $rc"
cmp "$work/a.expected" "$work/a.results" || fail "(a) output differs"
nodes=$(/usr/bin/python3 -c '
import h5py, sys
with h5py.File(sys.argv[1], "r") as f:
    runs = f["runs"]
    c = runs[sorted(runs.keys())[-1]]["chunks"][:]
print(len(set(int(n) for n in c["node"])))' "$work/a.h5")
[ "$nodes" = 2 ] || fail "(a) chunks ran on $nodes node(s), not 2"
note "(a) passed: byte-identical, chunks on both nodes"

# ---- (b) srun --mpi=pmix, time limit mid-run: drain, requeue, resume ---------------------------
cat > "$work/slow_task.sh" <<'SH'
#!/bin/sh
[ "${SLURM_RESTART_COUNT:-0}" -gt 0 ] || sleep 1
echo "result $1"
SH
chmod +x "$work/slow_task.sh"
seq 1 300 > "$work/b.tasks"
seq 1 300 | sed 's/^/result /' > "$work/b.expected"
note "(b) srun --mpi=pmix on 2 nodes, --time=1 --signal=B:USR1@20"
tb=$(date +%s)
job=$(TASKS=$work/b.tasks OUTPUT=$work/b.results COMMAND="$work/slow_task.sh {}" \
      MPIRUN=srun MPIRUN_ARGS="--mpi=pmix" \
      sbatch --parsable --chdir="$work" --nodes=2 --time=1 --signal=B:USR1@20 \
      --output="$work/b.log" "$script")
job=${job%%;*}
wait_for_job "$job" "$work/b.log" 170
expect_drained_and_resumed "$job" "$work/b.log" "$work/b.expected" "$work/b.results"
note "(b) passed in $(( $(date +%s) - tb )) s: drained, $runs runs (Restarts=$restarts), byte-identical"

# ---- (c) slurm/array.sbatch: two elements, each on a node of its own -----------------------------
seq 1 100 | sed 's/^/c /' > "$work/c.all"
(cd "$work" && split -n l/2 -d -a 1 --additional-suffix=.txt c.all c.tasks.)
note "(c) job array of 2 elements"
TASKS_PATTERN=$work/c.tasks.%a.txt OUTPUT_PATTERN=$work/c.results.%a.txt COMMAND="/bin/echo {}" MPIRUN=mpirun \
  MPIRUN_ARGS="--bind-to none" AMORSIZE_SBATCH=$script \
  sbatch --wait --quiet --chdir="$work" --array=0-1 --time=2 --output="$work/c.%a.log" \
  "$src/slurm/array.sbatch"
rc=$?
[ $rc -eq 0 ] || { cat "$work"/c.*.log; fail "(c) the array exited $rc"; }
cat "$work/c.results.0.txt" "$work/c.results.1.txt" | cmp - "$work/c.all" || fail "(c) output differs"
hosts=$(cat "$work"/c.*.log | sed -n 's/.*: start on \([^ ]*\) .*/\1/p' | sort -u | tr '\n' ' ')
note "(c) passed: each element its own slice and output (ran on: $hosts)"
echo PASS
