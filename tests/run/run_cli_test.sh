#!/usr/bin/env bash
# End-to-end tests of `amorsize run` under mpirun: one case per argument.
#   run_cli_test.sh AMORSIZE CASE
set -uo pipefail
amorsize=$1 case=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 \
       OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'
mpi=(mpirun -np 3 --oversubscribe --bind-to none)
fail() { echo "FAIL: $*"; exit 1; }

# memory_cgroup NAME BYTES: a cgroup v1 memory cgroup under this one, limited to BYTES, in $cg
# (removed at exit); skipped (77) where none can be made.
memory_cgroup() {
  local base
  base=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
  cg=$base/amorsize-$1-$$
  if ! mkdir "$cg" 2>/dev/null; then
    echo "SKIPPED: no writable cgroup v1 memory controller here (needs root)"; exit 77
  fi
  trap 'rm -rf "$work"; rmdir "$cg" 2>/dev/null' EXIT
  echo "$2" > "$cg/memory.limit_in_bytes" || fail "cannot set the cgroup limit"
}
# in_cgroup COMMAND...: runs COMMAND inside $cg.
in_cgroup() { sh -c 'cg=$1; shift; echo $$ > "$cg/cgroup.procs" && exec "$@"' sh "$cg" "$@"; }

case $case in
history_longest_first)
  # 60 short sleeps in shuffled order, then one of 0.6 s last. Run 2 plans from run 1's tasks
  # and starts the long one first; the output is the same, each task once, in order (and all
  # of them, unordered).
  /usr/bin/python3 -c "
import random; r = random.Random(5); t = ['%.4f' % (0.010 + 0.0005 * i) for i in range(60)]
r.shuffle(t); print('\n'.join(t + ['0.6']))" > tasks.txt
  cmd=(-- sh -c 'sleep $1; echo $1' sh {})
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out1.txt --log log.h5 --explain \
    "${cmd[@]}" 2> err1.txt || fail "run 1: $(cat err1.txt)"
  grep -q "started first" err1.txt && fail "run 1 has no history, yet started tasks first"
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out2.txt --log log.h5 --explain \
    "${cmd[@]}" 2> err2.txt || fail "run 2: $(cat err2.txt)"
  grep -q "planned per task from history" err2.txt || fail "run 2 not planned per task: $(cat err2.txt)"
  grep -q "started first.*item 60 (6" err2.txt || fail "the long task did not start first: $(cat err2.txt)"
  cmp tasks.txt out2.txt || fail "run 2's output is not every task once, in order"
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out3.txt --history log.h5 \
    --order unordered "${cmd[@]}" || fail "run 3"
  [ "$(sort out3.txt | md5sum)" = "$(sort tasks.txt | md5sum)" ] || fail "unordered: not every task once"
  ;;
progress_terminal)
  # In a pseudo-terminal (script), as a person runs mpirun: a live bar, redrawn, before the
  # closing line, although each rank's stderr is a pipe to mpirun.
  command -v script > /dev/null || { echo "SKIPPED: no script (util-linux) here"; exit 77; }
  for i in $(seq 1 50); do echo "sleep 0.2"; done > tasks.txt
  script -q -e -c "mpirun -np 2 --oversubscribe --bind-to none $amorsize run --tasks tasks.txt --output out.txt" \
    typescript < /dev/null > /dev/null || fail "exit status under script"
  /usr/bin/python3 - <<'PY' || fail "progress in the terminal: $(cat -A typescript | head -c 2000)"
import re
text = open("typescript", errors="replace", newline="").read()  # keep each \r
before = text.split("amorsize: 50 tasks in")[0]
bars = re.findall(r"\ramorsize: \[[#.]{20}\] \d+/50 tasks", before)
assert len(bars) >= 3, bars
assert re.search(r"\[#{20}\]|\] (4\d|50)/50", before) or len(bars) >= 5, bars
PY
  ;;
progress_log)
  # Stderr to a file, as in a batch job's log: plain lines, at each tenth of the tasks.
  for i in $(seq 1 100); do echo "sleep 0.2"; done > tasks.txt
  mpirun -np 2 --oversubscribe --bind-to none "$amorsize" run --tasks tasks.txt --output out.txt \
    2> err.txt || fail "exit status"
  lines=$(grep -cE '^amorsize: [0-9]+/100 tasks \([0-9]+%\), [0-9.]+/s, (ETA [0-9hms ]+, )?0 failed, ' err.txt)
  [ "$lines" -ge 5 ] || fail "$lines progress lines: $(cat err.txt)"
  grep -q $'\r' err.txt && fail "a bar was drawn into a file"
  ;;
history_across_workloads)
  # Five workloads told apart by a feature, logged; a sixth, never seen, is planned from the
  # nearest of them by its feature, without sampling.
  for us in 100 200 400 800 1600; do
    "${mpi[@]}" "$amorsize" bench --workload "exp:mean=${us}us,n=1000" --feature us=$us \
      --log log.h5 --json > /dev/null || fail "bench $us"
  done
  "${mpi[@]}" "$amorsize" bench --workload "exp:mean=300us,n=1000" --feature us=300 \
    --history log.h5 --json > new.json || fail "the unseen workload"
  /usr/bin/python3 - <<'PY' || fail "not planned from the nearest workloads: $(cat new.json)"
import json
j = json.load(open("new.json"))
why = " ".join(j["plan"]["reasons"])
assert "nearest of 5 earlier workloads by their features (us;" in why, why
assert "planned from history, without sampling" in why, why
assert j["sampled"] == 0, j["sampled"]
PY
  ;;
history_low_confidence_samples)
  # Times that have nothing to do with the line (the shell's pid picks the sleep): the
  # per-task model's confidence stays below 0.7, and a new file of the same command samples.
  seq 1 60 > tasks1.txt
  seq 61 100 > tasks2.txt
  cmd=(-- sh -c 'sleep 0.0$(( $$ % 5 + 1 )); echo $1' sh {})
  "${mpi[@]}" "$amorsize" run --tasks tasks1.txt --output out1.txt --log log.h5 "${cmd[@]}" \
    || fail "run 1"
  "${mpi[@]}" "$amorsize" run --tasks tasks2.txt --output out2.txt --log log.h5 --explain \
    "${cmd[@]}" 2> err.txt || fail "run 2: $(cat err.txt)"
  grep -q "per-task model not used: .*confidence 0\.[0-6][0-9] < 0.70" err.txt \
    || fail "the model was not refused: $(cat err.txt)"
  grep -q "planned per task" err.txt && fail "planned per task at low confidence"
  grep -q "^  - sampled" err.txt || fail "run 2 did not sample: $(cat err.txt)"
  cmp tasks2.txt out2.txt || fail "output"
  ;;
ordered_3000)
  # 3,000 short tasks in many chunks; the output is in task order, byte for byte. (10,000
  # took 39 s on a slow CI machine, starting processes; 3,000 check the same.)
  seq 1 3000 > tasks.txt
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --summary s.json -- echo item {} of {#}
  [ $? -eq 0 ] || fail "exit status"
  seq 1 3000 | awk '{print "item " $1 " of " $1}' > expected.txt
  cmp expected.txt out.txt || fail "output differs"
  /usr/bin/python3 -c "import json; s=json.load(open('s.json')); assert s['done']==3000 and s['failed']==0 and s['chunks']>=10, s"
  ;;
unordered_all)
  seq 1 3000 > tasks.txt
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --order unordered -- echo {} || fail "exit"
  [ "$(sort -n out.txt | md5sum)" = "$(seq 1 3000 | md5sum)" ] || fail "not every task once"
  ;;
grammar_and_shell_lines)
  printf '# header comment\n\necho one\necho "two words" | tr a-z A-Z\n  \necho three > /dev/stderr; echo four\n' > tasks.txt
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt 2> err.txt || fail "exit"
  printf 'one\nTWO WORDS\nfour\n' | cmp - out.txt || fail "output: $(cat out.txt)"
  grep -q three err.txt || fail "stderr of a task was lost"
  ;;
stdin_tasks)
  seq 1 50 | "${mpi[@]}" "$amorsize" run --output out.txt -- echo n{} || fail "exit"
  seq 1 50 | sed 's/^/n/' | cmp - out.txt || fail "output"
  ;;
failures_and_summary)
  seq 1 200 > tasks.txt
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --summary s.json \
    -- sh -c 'case {} in 7|150) echo bad {} >&2; exit 4;; esac; echo {}' 2>/dev/null
  [ $? -eq 1 ] || fail "expected exit 1 when tasks fail"
  /usr/bin/python3 - <<'PY' || fail "summary"
import json
s = json.load(open("s.json"))
assert s["failed"] == 2, s
assert sorted(f["task"] for f in s["failures"]) == [7, 150], s["failures"]
assert all(f["status"] == 4 for f in s["failures"])
PY
  [ "$(wc -l < out.txt)" -eq 198 ] || fail "the other tasks' output"
  ;;
retries)
  seq 1 20 > tasks.txt
  # Each task fails on its first attempt (a marker file per task), then succeeds.
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --retries 2 --summary s.json \
    -- sh -c "[ -e m{} ] && echo ok {} || { touch m{}; exit 1; }" || fail "exit with retries"
  [ "$(wc -l < out.txt)" -eq 20 ] || fail "output"
  ;;
timeout)
  printf 'sleep 30\necho fine\n' > tasks.txt
  start=$(date +%s)
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --timeout 500ms --summary s.json
  [ $? -eq 1 ] || fail "a timed-out task is a failure"
  [ $(( $(date +%s) - start )) -lt 15 ] || fail "the timeout did not stop the task"
  /usr/bin/python3 -c "import json; s=json.load(open('s.json')); f=s['failures']; assert len(f)==1 and f[0]['task']==1 and f[0]['timed_out'], f"
  grep -qx fine out.txt || fail "the other task"
  ;;
kill9_resume)
  seq 1 800 > tasks.txt
  cmd=(sh -c 'sleep 0.005; echo line {}')
  # Its own session, so the kill reaches mpirun and every rank, and nothing else.
  setsid "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt -- "${cmd[@]}" &
  sid=$!
  sleep 2
  pkill -9 -s "$sid"; wait 2>/dev/null
  before=$(wc -l < out.txt)
  [ "$before" -gt 0 ] && [ "$before" -lt 800 ] || fail "kill came too late or too early ($before lines)"
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --resume -- "${cmd[@]}" || fail "resume exit"
  seq 1 800 | sed 's/^/line /' | cmp - out.txt || fail "resumed output differs"
  echo "killed after $before of 800 tasks; resumed output is byte-identical"
  ;;
worker_killed_resume|coordinator_killed_resume)
  # Fault drill: one rank dies (kill -9) mid-run. The job must end (mpirun aborts the others),
  # and --resume must complete the output exactly.
  which=1
  [ "$case" = coordinator_killed_resume ] && which=0
  seq 1 800 > tasks.txt
  cmd=(sh -c 'sleep 0.005; echo line {}')
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt -- "${cmd[@]}" 2>err.txt &
  pid=$!
  sleep 2
  victim=""
  for p in $(pgrep -f "amorsize run --tasks tasks.txt"); do
    tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$which" && victim=$p
  done
  [ -n "$victim" ] || fail "rank $which not found"
  kill -9 "$victim"
  wait $pid; status=$?
  [ $status -ne 0 ] || fail "the job exited 0 after rank $which was killed"
  before=$(wc -l < out.txt)
  [ "$before" -lt 800 ] || fail "kill came too late ($before lines)"
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --resume -- "${cmd[@]}" || fail "resume exit"
  seq 1 800 | sed 's/^/line /' | cmp - out.txt || fail "resumed output differs"
  echo "rank $which killed after $before of 800 tasks: job ended with $status; resumed output is byte-identical"
  ;;
full_disk_output)
  # Fault drill: the output's disk fills up (a 16 KiB tmpfs). The run must stop with a message
  # that says so, the journal (on another disk) must end at output that exists, and --resume
  # must complete the output exactly once there is room again.
  seq 1 800 > tasks.txt
  mkdir disk
  if ! mount -t tmpfs -o size=16k tmpfs disk 2>/dev/null; then
    echo "SKIPPED: cannot mount a tmpfs here (needs root)"; exit 77
  fi
  trap 'umount "$work/disk" 2>/dev/null; rm -rf "$work"' EXIT
  cmd=(sh -c 'echo "line {} of a result long enough to fill sixteen kibibytes soon"')
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output disk/out.txt --journal out.journal \
    -- "${cmd[@]}" 2>err.txt
  status=$?
  [ $status -ne 0 ] || fail "the run succeeded on a full disk"
  grep -q 'writing the output "disk/out.txt" failed: No space left on device; the journal keeps' err.txt ||
    fail "no clear error: $(grep -v '^--\|^ *$' err.txt | head -3)"
  before=$(wc -c < disk/out.txt)
  cp disk/out.txt out.txt  # room again: the same output on a bigger disk
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --journal out.journal --resume \
    -- "${cmd[@]}" || fail "resume exit"
  seq 1 800 | awk '{print "line " $1 " of a result long enough to fill sixteen kibibytes soon"}' |
    cmp - out.txt || fail "resumed output differs"
  echo "stopped at $before bytes: $(grep -o 'writing the output.*device' err.txt | head -1); resumed output is byte-identical"
  ;;
lost_cores)
  # A run squeezed onto fewer cores than it planned must show it: two workers planned on two
  # CPUs while two other processes keep both busy get about one CPU between them. The
  # efficiency counts the tasks' CPU time, which sharing a core does not inflate. The control,
  # the same run on idle CPUs, must score clearly higher.
  [ "$(nproc)" -ge 2 ] || { echo "SKIPPED: needs 2 CPUs"; exit 77; }
  seq 1 20 > tasks.txt
  spin=(awk 'BEGIN { for (i = 0; i < 5000000; i++) s += i }')
  run=(mpirun -np 1 --bind-to none "$amorsize" run --tasks tasks.txt --output out.txt)
  "${run[@]}" --summary free.json -- "${spin[@]}" || fail "exit (idle CPUs)"
  hogs=()
  for _ in 1 2; do sh -c 'while :; do :; done' & hogs+=($!); done
  "${run[@]}" --summary shared.json -- "${spin[@]}"
  status=$?
  kill "${hogs[@]}"
  [ $status -eq 0 ] || fail "exit (shared CPUs)"
  /usr/bin/python3 - <<'PY' || fail "efficiency blind to the lost cores"
import json
shared, free = (json.load(open(f)) for f in ("shared.json", "free.json"))
print("2 workers, CPUs shared with 2 busy loops: efficiency %.2f in %.2f s; idle CPUs: %.2f in %.2f s"
      % (shared["efficiency"], shared["makespan_s"], free["efficiency"], free["makespan_s"]))
assert shared["workers"] == 2, shared["workers"]
assert shared["efficiency"] < 0.7, shared["efficiency"]
assert free["efficiency"] > shared["efficiency"] + 0.15, (free["efficiency"], shared["efficiency"])
PY
  ;;
bound_rank_plans_its_cpus)
  # mpirun -np 1 binds the rank to one core: the plan uses the CPUs the rank may use (one
  # worker), says why and what to do, and so runs at full efficiency on that core.
  [ "$(nproc)" -ge 2 ] || { echo "SKIPPED: needs 2 CPUs"; exit 77; }
  allowed=$(mpirun -np 1 sh -c 'grep Cpus_allowed_list /proc/self/status' | awk '{print $2}')
  [ "$allowed" = "${allowed//[,-]/}" ] || { echo "SKIPPED: mpirun -np 1 did not bind the rank to one core ($allowed)"; exit 77; }
  seq 1 20 > tasks.txt
  mpirun -np 1 "$amorsize" run --tasks tasks.txt --output out.txt --summary s.json --explain \
    -- awk 'BEGIN { for (i = 0; i < 2000000; i++) s += i }' 2> err.txt || fail "exit"
  grep -q "may use 1 of its .* CPUs, so it is planned with 1 core: .*--bind-to none" err.txt ||
    fail "no warning: $(grep -i warn -A2 err.txt | head -3)"
  /usr/bin/python3 -c 'import json; s = json.load(open("s.json")); assert s["workers"] == 1, s["workers"]; print("bound to one core: 1 worker, efficiency %.2f" % s["efficiency"])' ||
    fail "planned more workers than the rank has CPUs"
  ;;
page_cache)
  # A memory cgroup full of page cache is not a full node: the kernel reclaims the inactive
  # cache first. 2 s of work in a 256 MiB cgroup holding 205 MB of cache must finish (it used
  # to read as pressure that never ended, and nothing was dispatched again).
  memory_cgroup cache $((256 << 20))
  in_cgroup sh -c 'dd if=/dev/zero of="$0" bs=1M count=205 status=none && sync' "$work/cache" ||
    fail "cannot fill the cgroup with cache"
  cache=$(awk '$1 == "total_inactive_file" {print $2}' "$cg/memory.stat")
  start=$(date +%s%N)
  in_cgroup timeout 120 mpirun -np 2 --bind-to none "$amorsize" bench \
    --workload const:mean=100us,n=20000 --json > bench.json 2> err.txt
  status=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ $status -eq 0 ] || fail "exit $status after $ms ms in a cgroup with $cache bytes of inactive cache: $(tail -2 err.txt)"
  events=$(/usr/bin/python3 -c 'import json; print(json.load(open("bench.json"))["pressure_events"])')
  [ "$events" = 0 ] || fail "$events pressure events: the cache read as memory in use"
  # The same without the cache, for the figure (not a check: times here are noisy).
  rm -f "$work/cache"
  start=$(date +%s%N)
  in_cgroup timeout 120 mpirun -np 2 --bind-to none "$amorsize" bench \
    --workload const:mean=100us,n=20000 --json > bench.json 2> err.txt || fail "exit without cache"
  bare=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "2 s of work in a 256 MiB cgroup holding $cache bytes of inactive cache: done in $ms ms," \
    "no pressure event; without the cache: $bare ms"
  ;;
big_stdout)
  # Fault drill: tasks that write far more to stdout than a rank may hold. Output beyond
  # --spill-above (1 MiB by default) streams to a file in OUTPUT.spill and is copied into the
  # output in order, so no rank holds it in memory: 64 MiB of peak RSS is the bar, against
  # 300 MB a task (3 x 700 MB took 15 s and checked no more). A stale directory of a run that
  # died is cleaned up.
  { echo 'echo first'; for i in 1 2 3; do echo "yes big-$i | head -c 300000000"; done; echo 'echo last'; } > tasks.txt
  mkdir -p out.txt.spill/run-stale && echo junk > out.txt.spill/run-stale/stdout-old
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --summary s.json || fail "exit"
  expected=$({ echo first; for i in 1 2 3; do yes big-$i | head -c 300000000; done; echo last; } | md5sum)
  [ "$(md5sum < out.txt)" = "$expected" ] || fail "output differs"
  [ ! -e out.txt.spill ] || fail "spill directory left behind: $(find out.txt.spill | head -3)"
  /usr/bin/python3 - <<'PY' || fail "memory"
import json
s = json.load(open("s.json"))
mib = 1 << 20
for k in ("coordinator_max_rss_bytes", "worker_max_rss_bytes"):
    assert 0 < s[k] < 64 * mib, (k, s[k] / mib)
print("0.9 GB of stdout; peak RSS %.0f MiB (coordinator), %.0f MiB (workers)" %
      (s["coordinator_max_rss_bytes"] / mib, s["worker_max_rss_bytes"] / mib))
PY
  ;;
memory_budget)
  # Fault drill: a node with memory for one of these tasks at a time (a 1 GiB cgroup, tasks of
  # 600 MiB) and cores for two. amorsize measures each task's peak memory (wait4) while it
  # samples and plans one worker; the same tasks under `xargs -P 2` in the same cgroup get
  # OOM-killed, which shows the budget is real.
  memory_cgroup drill $((1 << 30))
  [ -e "$cg/memory.memsw.limit_in_bytes" ] && echo $((1 << 30)) > "$cg/memory.memsw.limit_in_bytes"
  oom_kills() { awk '$1 == "oom_kill" {print $2}' "$cg/memory.oom_control"; }
  for i in 1 2 3 4 5 6; do
    echo "/usr/bin/python3 -c 'import time; b = b\"x\" * (600 << 20); time.sleep(0.2); print(\"task $i\", len(b) >> 20)'"
  done > tasks.txt
  in_cgroup \
    "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --summary s.json --explain 2> err.txt
  status=$?
  [ "$(oom_kills)" = 0 ] || fail "amorsize's tasks were OOM-killed ($(oom_kills)); exit $status"
  [ $status -eq 0 ] || fail "exit $status: $(grep -v '^ *$' err.txt | tail -3)"
  for i in 1 2 3 4 5 6; do echo "task $i 600"; done | cmp - out.txt || fail "output"
  grep -q 'memory caps workers' err.txt || fail "the plan did not cap workers by memory: $(cat err.txt)"
  in_cgroup xargs -P 2 -d '\n' -I{} sh -c {} < tasks.txt > /dev/null 2>&1
  [ "$(oom_kills)" -gt 0 ] || fail "control: xargs -P 2 was not OOM-killed, so the budget proves nothing"
  echo "amorsize: 6 tasks of 600 MiB in a 1 GiB cgroup, $(grep -o 'memory caps workers[^;]*' err.txt | head -1), no OOM kill; xargs -P 2: $(oom_kills) OOM kill(s)"
  ;;
drain_resume)
  seq 1 800 > tasks.txt
  cmd=(sh -c 'sleep 0.005; echo line {}')
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --drain-grace 5s -- "${cmd[@]}" &
  pid=$!
  sleep 2
  kill -USR1 $pid
  wait $pid
  status=$?
  [ $status -eq 3 ] || fail "expected the resumable status 3 after SIGUSR1, got $status"
  before=$(wc -l < out.txt)
  "${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --resume -- "${cmd[@]}" || fail "resume exit"
  seq 1 800 | sed 's/^/line /' | cmp - out.txt || fail "resumed output differs"
  echo "drained after $before of 800 tasks; resumed output is byte-identical"
  ;;
usage_errors)
  "$amorsize" run --tasks /nonexistent/tasks.txt -- echo {} 2> err.txt; s=$?
  [ $s -eq 2 ] && grep -q "cannot read task file" err.txt || fail "missing task file: $s $(cat err.txt)"
  "$amorsize" run --resume --tasks /dev/null 2> err.txt; s=$?
  [ $s -eq 2 ] && grep -q "needs --output" err.txt || fail "resume without output: $s"
  "$amorsize" run --tasks /dev/null --timeout 5parsecs 2> err.txt; s=$?
  [ $s -eq 2 ] && grep -q -- "--timeout" err.txt || fail "bad timeout: $s $(cat err.txt)"
  printf 'garbage\n' > bad.journal
  echo x > t.txt
  "$amorsize" run --tasks t.txt --output o.txt --journal bad.journal --resume 2> err.txt; s=$?
  [ $s -eq 2 ] && grep -q "damaged" err.txt || fail "damaged journal: $s $(cat err.txt)"
  ;;
*) fail "unknown case $case" ;;
esac
echo PASS
