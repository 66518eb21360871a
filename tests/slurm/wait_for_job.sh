# Sourced by the Slurm tests. wait_for_job JOB LOG SECONDS polls JOB every second until it ends
# (or fails the test after SECONDS), noting each state change, then leaves the final
# `scontrol show job` line in $info and the state in $state. Polling rather than sbatch --wait:
# the final record (Restarts, ExitCode) must be read before MinJobAge=4 purges it. The caller
# defines note and fail.
wait_for_job() {
  local job=$1 log=$2 limit=$3 started last='' misses=0
  started=$(date +%s)
  state='' info=''
  while :; do
    info=$(scontrol -o show job "$job" 2>/dev/null || true)
    state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$info")
    if [ -z "$state" ] && [ -n "$last" ]; then
      misses=$((misses + 1))
      [ "$misses" -lt 5 ] || { cat "$log"; fail "job $job vanished after $last"; }
      sleep 1
      continue
    fi
    misses=0
    if [ "$state" != "$last" ]; then note "job $job: $state"; last=$state; fi
    case $state in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) return ;;
    esac
    [ $(( $(date +%s) - started )) -lt "$limit" ] || { cat "$log"; fail "job $job not done after $limit s"; }
    sleep 1
  done
}

# expect_drained_and_resumed JOB LOG EXPECTED RESULTS: after wait_for_job, the job met its time
# limit mid-run and came through: it completed with exit 0 after at least one requeue, the batch
# script got SIGUSR1 and requeued itself, the log shows two runs or more, and RESULTS is
# byte for byte EXPECTED. Leaves $restarts and $runs for the caller's note.
expect_drained_and_resumed() {
  local job=$1 log=$2 expected=$3 results=$4 exitcode
  cat "$log"
  restarts=$(sed -n 's/.* Restarts=\([0-9]*\).*/\1/p' <<<"$info")
  exitcode=$(sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' <<<"$info")
  [ "$state" = COMPLETED ] || fail "job ended $state (ExitCode=$exitcode)"
  [ "$exitcode" = 0:0 ] || fail "ExitCode=$exitcode"
  [ "${restarts:-0}" -ge 1 ] || fail "the job was never requeued (Restarts=${restarts:-?})"
  grep -q "SIGUSR1" "$log" || fail "the batch script never got SIGUSR1"
  grep -q "requeueing job $job" "$log" || fail "the batch script did not requeue the job"
  runs=$(grep -c ": start on " "$log")
  [ "$runs" -ge 2 ] || fail "the log shows $runs run(s), expected at least 2"
  cmp "$expected" "$results" || fail "output differs from the expected one"
}
