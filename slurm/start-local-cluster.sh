#!/usr/bin/env bash
# Starts a real single-node Slurm cluster on this machine, for tests and for trying the job
# scripts in this folder. Needs root (the daemons run as root, SlurmUser=root).
#
#   slurm/start-local-cluster.sh [DIR]      # DIR defaults to /tmp/amorsize-slurm
#   export SLURM_CONF=DIR/etc/slurm.conf    # (or: . DIR/env.sh) then sinfo, sbatch, ...
#   slurm/stop-local-cluster.sh [DIR]
#
# Everything lives in DIR: the MUNGE key, socket and daemon, slurm.conf, the controller's state,
# slurmd's spool, pid files and logs (DIR/log/*.log: read them when a job misbehaves). Nothing
# is written to /etc/slurm or /etc/munge, and a system munged or Slurm, if any, is left alone;
# the client commands find this cluster through SLURM_CONF. The only change outside DIR: when
# this host's name does not resolve, a line "127.0.0.1 NAME" is added to /etc/hosts (Open MPI
# otherwise waits 5 s on DNS at start-up); stop-local-cluster.sh removes it again.
#
# Idempotent: a daemon whose pid file names a live process is not started again, so running the
# script twice is harmless and quick. It returns once sinfo shows the node up (idle when no job
# runs), normally within a second.
#
# Environment:
#   AMORSIZE_SLURM_CPUS  CPUs the node declares (default 4, more than this 2-core machine has,
#                        so a 3- or 4-rank job fits; slurmd is told to trust the configuration).
#   AMORSIZE_SLURM_PORT  slurmctld's port (default 6817); slurmd uses the next one.
#   AMORSIZE_SLURM_NODES several nodes of a cluster in a box (tests/cluster/box.sh, started
#                        first, AMORSIZE_BOX set): "NAME=CPUS NAME=CPUS ...", one slurmd per
#                        node, each inside its node (hostname, cgroups), on ports after
#                        slurmctld's, with a spool, log and TmpFS of its own (srun --mpi=pmix
#                        across nodes needs separate TmpFS: they share /tmp).
#
# Packages: slurm-wlm and munge (Debian 12: Slurm 22.05) are installed with apt-get when
# missing. Slurm's pmix plugin (for `srun --mpi=pmix`) uses libpmix2, which Open MPI already
# pulls in.
set -euo pipefail

dir=${1:-/tmp/amorsize-slurm}
cpus=${AMORSIZE_SLURM_CPUS:-4}
port=${AMORSIZE_SLURM_PORT:-6817}

say() { echo "start-local-cluster: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the test cluster runs its daemons as root)"
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac

# --- packages ---------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v sinfo >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm munge"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's maintainer scripts try to start the system daemons; a policy-rc.d (present in
  # containers) may forbid that, which is what we want anyway: we start our own below.
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null 2>&1 || {
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  }
fi

# FILE NAME: FILE holds the pid of a live (not zombie) process whose command is NAME.
alive() {
  local pid state
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ]
}

node=$(hostname -s)
box_nodes=${AMORSIZE_SLURM_NODES:-}
box_sh=$(cd "$(dirname "$0")/.." && pwd)/tests/cluster/box.sh
mkdir -p "$dir"
# munged insists that its socket directory is reachable by everyone and that its key and log
# are private: the key, log and seed go to DIR/munge (0700), the socket to DIR/munge-run (0755).
chmod 755 "$dir"
mkdir -p "$dir/munge" "$dir/munge-run" "$dir/etc" "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
chmod 700 "$dir/munge"
chmod 755 "$dir/munge-run"

# --- /etc/hosts -------------------------------------------------------------------------------
if ! getent hosts "$(hostname)" >/dev/null; then
  say "adding '127.0.0.1 $(hostname)' to /etc/hosts"
  echo "127.0.0.1 $(hostname) # added by amorsize start-local-cluster.sh ($dir)" >> /etc/hosts
  hostname > "$dir/added-hosts-entry"
fi

# --- MUNGE (authentication between the Slurm commands and daemons) ---------------------------
socket=$dir/munge-run/munge.socket
if ! alive "$dir/munge/munged.pid" munged; then
  [ -s "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
  rm -f "$socket" "$socket.lock"
  munged --socket="$socket" --key-file="$dir/munge/munge.key" \
         --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
         --seed-file="$dir/munge/munged.seed"
fi

# --- slurm.conf ---------------------------------------------------------------------------------
# Only what the tests need. Timings that Slurm cannot shorten (compiled in, 22.05):
#  - slurmctld checks time limits and sends --signal warnings every 30 s (PERIODIC_TIMEOUT):
#    a warning goes out at the first check that finds the job within offset + 30 s of its end,
#    so 0-30 s earlier than asked (sbatch(1) says up to 60 s), and a job is killed at the first
#    check past its limit, up to 30 s late;
#  - --time has a resolution of one minute (seconds are rounded up): 1 minute is the shortest
#    limit that can be enforced.
cat > "$dir/etc/slurm.conf.new" <<EOF
# Written by amorsize slurm/start-local-cluster.sh: a single-node test cluster.
ClusterName=amorsize
# The controller runs here; the address avoids any name lookup.
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
# Daemons and jobs run as root: no slurm user or file ownership to set up.
SlurmUser=root
SlurmdUser=root
# Our own munged (DIR/munge-run/munge.socket), for the commands, the daemons and job credentials.
# cred_expire: a requeued job waits this long (+1 s) before it may start again (default 120 s).
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket,cred_expire=5
# State, spool, pid and log files under DIR.
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool$([ -n "$box_nodes" ] && echo "-%n")
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd$([ -n "$box_nodes" ] && echo "-%n").pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd$([ -n "$box_nodes" ] && echo "-%n").log
$([ -n "$box_nodes" ] && echo "TmpFS=$dir/tmp-%n")
SlurmctldDebug=info
SlurmdDebug=info
# No mail is sent (the default MailProg is not installed).
MailProg=/bin/true
# Track job processes through the process tree; no cgroups (none to delegate in a container).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# Allocate individual CPUs (not whole nodes), so several small jobs can share the node;
# memory is not a consumable resource.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Plain FIFO scheduling. batch_sched_delay=0: a submitted batch job starts at once (default:
# up to 3 s later). sched_interval=2: the full scheduling pass, which is what starts a requeued
# job once its cred_expire wait is over, runs every 2 s instead of every 60 s.
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_interval=2
# No accounting database, no job accounting or completion records (so no sacct).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# srun launches plain processes unless told otherwise (srun --mpi=pmix for Open MPI ranks).
MpiDefault=none
# Batch jobs may be requeued (scontrol requeue, as slurm/amorsize.sbatch does).
JobRequeue=1
# Seconds between SIGTERM and SIGKILL when a job hits its time limit or is cancelled
# (default 30).
KillWait=5
# A job is killed as soon as the time-limit check finds it past its limit (the default).
OverTimeLimit=0
# Finished jobs are forgotten 4 s after they end (default 300 s; the purge runs every 10 s).
# Short on purpose: sbatch --wait sleeps 2 s, then 8 s, then 32 s between polls, unless
# MinJobAge is below 6 s: then it polls every 2 s and returns within 2 s of the job's end.
# Read a finished job with scontrol right away.
MinJobAge=4
# The node comes back by itself after the daemons restart.
ReturnToService=2
# Believe the CPU count below although the machine has fewer cores.
SlurmdParameters=config_overrides
$(if [ -z "$box_nodes" ]; then
    echo "NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN"
  else
    i=1
    for spec in $box_nodes; do
      echo "NodeName=${spec%=*} NodeAddr=127.0.0.1 Port=$((port + i)) CPUs=${spec#*=} State=UNKNOWN"
      i=$((i + 1))
    done
  fi)
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
conf=$dir/etc/slurm.conf
if ! cmp -s "$conf.new" "$conf"; then
  if alive "$dir/run/slurmctld.pid" slurmctld || alive "$dir/run/slurmd.pid" slurmd; then
    say "warning: $conf changed while the cluster runs; stop and start it to apply"
    rm -f "$conf.new"
  else
    mv "$conf.new" "$conf"
  fi
else
  rm -f "$conf.new"
fi
echo "export SLURM_CONF=$conf" > "$dir/env.sh"
export SLURM_CONF=$conf

# --- daemons ------------------------------------------------------------------------------------
show_log() { tail -n 20 "$1" >&2 || true; }
if ! alive "$dir/run/slurmctld.pid" slurmctld; then
  # -c: start from a clean state (no jobs left over from an earlier run).
  slurmctld -c -f "$conf" || { show_log "$dir/log/slurmctld.log"; die "slurmctld did not start"; }
fi
nodes=$node
if [ -z "$box_nodes" ]; then
  if ! alive "$dir/run/slurmd.pid" slurmd; then
    slurmd -f "$conf" || { show_log "$dir/log/slurmd.log"; die "slurmd did not start"; }
  fi
else
  nodes=
  for spec in $box_nodes; do
    name=${spec%=*}
    nodes="$nodes $name"
    mkdir -p "$dir/spool-$name" "$dir/tmp-$name"
    chmod 1777 "$dir/tmp-$name"
    alive "$dir/run/slurmd-$name.pid" slurmd && continue
    "$box_sh" agent "$name" slurmd -f "$conf" -N "$name" ||
      { show_log "$dir/log/slurmd-$name.log"; die "slurmd of $name did not start"; }
  done
fi

# --- wait until the node is up ------------------------------------------------------------------
for node in $nodes; do
  state=
  for _ in $(seq 150); do
    state=$(sinfo -h -N -n "$node" -o %t 2>/dev/null || true)
    case $state in
      idle|mix|alloc|comp) break ;;
      drain*|down*) scontrol update NodeName="$node" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 0.2
  done
  case $state in
    idle|mix|alloc|comp) ;;
    *) show_log "$dir/log/slurmctld.log"; show_log "$dir/log/slurmd"*.log
       die "node $node is '${state:-not reported}' after 30 s" ;;
  esac
  say "node $node is $state; export SLURM_CONF=$conf"
done
