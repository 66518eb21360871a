#!/usr/bin/env bash
# Stops the test cluster that slurm/start-local-cluster.sh started in DIR, and only that one:
#
#   slurm/stop-local-cluster.sh [DIR]      # DIR defaults to /tmp/amorsize-slurm
#
# Cancels the cluster's remaining jobs, stops slurmd, slurmctld and munged by the pids in their
# pid files under DIR (checking that each pid still is that daemon), and removes the /etc/hosts
# line the start script may have added. DIR itself, with the logs, stays for inspection; add
# --purge as a second argument to delete it too. Safe to run when nothing is running.
set -euo pipefail

dir=${1:-/tmp/amorsize-slurm}
purge=${2:-}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
say() { echo "stop-local-cluster: $*" >&2; }

# The pid in FILE if it is a live (non-zombie) process whose command is NAME.
daemon_pid() {
  local file=$1 name=$2 pid state
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] || return 1
  echo "$pid"
}

stop() {  # FILE NAME: SIGTERM, up to 10 s, then SIGKILL.
  local pid
  pid=$(daemon_pid "$1" "$2") || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    daemon_pid "$1" "$2" >/dev/null || return 0
    sleep 0.1
  done
  say "$2 ($pid) did not stop on SIGTERM; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

conf=$dir/etc/slurm.conf
if [ -f "$conf" ] && daemon_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null; then
  export SLURM_CONF=$conf
  jobs=$(squeue -h -o %A 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    say "cancelling jobs $(tr "\n" " " <<<"$jobs")"
    # shellcheck disable=SC2086
    scancel $jobs 2>/dev/null || true
    # Let slurmd's step daemons kill the job processes (KillWait in slurm.conf is 5 s).
    for _ in $(seq 100); do
      [ -z "$(squeue -h -o %A 2>/dev/null || true)" ] && break
      sleep 0.1
    done
  fi
fi

stop "$dir/run/slurmd.pid" slurmd
for pidfile in "$dir"/run/slurmd-*.pid; do  # the nodes of a cluster in a box
  [ -e "$pidfile" ] && stop "$pidfile" slurmd
done
stop "$dir/run/slurmctld.pid" slurmctld
stop "$dir/munge/munged.pid" munged

if [ -s "$dir/added-hosts-entry" ]; then
  host=$(cat "$dir/added-hosts-entry")
  # Delete exactly the line the start script wrote for this DIR.
  grep -vxF "127.0.0.1 $host # added by amorsize start-local-cluster.sh ($dir)" /etc/hosts \
    > /etc/hosts.amorsize-tmp || true
  cat /etc/hosts.amorsize-tmp > /etc/hosts   # rewrite in place: /etc/hosts may be a mount
  rm -f /etc/hosts.amorsize-tmp "$dir/added-hosts-entry"
fi

if [ "$purge" = --purge ]; then
  rm -rf "$dir"
fi
say "stopped ($dir)"
