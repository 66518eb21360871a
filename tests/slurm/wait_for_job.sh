# Sourced by the Slurm tests: wait_for_job JOB LOG SECONDS polls JOB every second until it ends
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
