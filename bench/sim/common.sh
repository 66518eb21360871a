# Shared by sim_bench.sh and smoke_test.sh (sourced, not run): the SMPI settings, the build,
# and one simulated run. bench/sim/README.md explains every setting.

# The simulation settings. Each is needed for amorsize's protocol to be simulated faithfully:
#   privatization:no        every rank runs in one process; amorsize keeps no mutable globals
#                           that ranks could share, and privatization cannot reach the shared
#                           libraries anyway (everything of ours is linked into one executable)
#   simulate-computation:no code between MPI calls costs no simulated time: the items cost
#                           exactly what smpi_execute_benched() says, not what this machine took
#                           to simulate them
#   host-speed:1Gf          the flop rate smpi_execute_benched() converts seconds with; the same
#                           as the platform's cores, so a simulated second is a second
#   iprobe, test: 1e-7      a failed MPI_Iprobe/MPI_Test costs 0.1 us of simulated time (SMPI's
#                           default, 100 us, would make every poll of the coordinator 1000x too
#                           slow); grow-injected-times:no keeps it constant instead of growing
#                           with every failed poll
#   os, ois, or             the CPU cost of MPI on each side of a message: 1 us per send
#                           (MPI_Send, MPI_Isend) and 1 us per receive, plus 0.1 ns per byte
#                           (copying at 10 GB/s). Syntax: sections MIN_BYTES:SECONDS:SECONDS_PER_BYTE
#                           separated by ';', the section with the largest MIN_BYTES below the
#                           message size applies. Measured on the development machine: a request
#                           and its reply cost rank 0 about 2 us of CPU.
#   lat-factor, bw-factor   1: a link's latency and bandwidth are what the platform says. SMPI's
#                           defaults multiply the latency of small messages by 2 and their
#                           bandwidth by 0.34, a calibration of a Gigabit Ethernet cluster
#   gather:ompi_binomial    MPI_Gather as a binomial tree, as Open MPI does for many ranks. SMPI's
#                           default (the root posts a receive per rank, then waits for all) costs
#                           the simulator time that grows with the cube of the ranks: 645 s of
#                           wall time for a 4,096-rank bench instead of 84 s
#   log root.thres:warning  no per-rank start/stop chatter
AMORSIZE_SMPI_FLAGS=(
  --cfg=smpi/privatization:no
  --cfg=smpi/simulate-computation:no
  --cfg=smpi/host-speed:1Gf
  --cfg=smpi/iprobe:1e-7
  --cfg=smpi/test:1e-7
  --cfg=smpi/grow-injected-times:no
  "--cfg=smpi/os:0:1e-6:1e-10"
  "--cfg=smpi/ois:0:1e-6:1e-10"
  "--cfg=smpi/or:0:1e-6:1e-10"
  "--cfg=smpi/lat-factor:0:1"
  "--cfg=smpi/bw-factor:0:1"
  --cfg=smpi/gather:ompi_binomial
  --log=root.thres:warning
)

# smpi_build SOURCE_DIR BUILD_DIR [CMAKE]: configures BUILD_DIR once (smpicxx, AMORSIZE_SMPI=ON)
# and brings the executable up to date. Prints the executable's path on stdout.
smpi_build() {
  local source_dir="$1" build_dir="$2" cmake="${3:-cmake}"
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    "$cmake" -S "$source_dir" -B "$build_dir" -DCMAKE_CXX_COMPILER=smpicxx -DAMORSIZE_SMPI=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >&2 ||
      return 1
  fi
  # Two jobs: the development machine has two cores (AMORSIZE_SMPI_JOBS overrides).
  "$cmake" --build "$build_dir" --target amorsize_smpi smpi_pingpong -j "${AMORSIZE_SMPI_JOBS:-2}" \
    >&2 || return 1
  echo "$build_dir/bench/sim/amorsize"
}

# smpi_run RANKS PLATFORM_PREFIX OUT_PREFIX TIMEOUT_SECONDS AMORSIZE ARGS...: runs AMORSIZE under
# smpirun on PLATFORM_PREFIX.xml/.hosts, stdout to OUT_PREFIX.out, stderr to OUT_PREFIX.err,
# in the directory of OUT_PREFIX (smpirun leaves temporary files in its working directory).
# Returns smpirun's status (124 when the timeout struck).
smpi_run() {
  local ranks="$1" platform="$2" out="$3" limit="$4" binary="$5"
  shift 5
  (
    cd "$(dirname "$out")" &&
      timeout --kill-after=10 "$limit" smpirun -np "$ranks" -platform "$platform.xml" \
        -hostfile "$platform.hosts" "${AMORSIZE_SMPI_FLAGS[@]}" "$binary" "$@" \
        >"$out.out" 2>"$out.err"
  )
}
