# Sourced by the benchmarks that run on one node of a cluster in a box (tests/cluster/box.sh):
# sets root, amorsize (AMORSIZE, or the build's), reps (the first argument, default 5) and
# box(), starts a node NAME:CPUS given as BOX_NODE (default nodeA:0-1, both CPUs of this
# machine), and works in a temporary directory that goes, with the box, on exit. Exits 77
# where the box cannot run.
root=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
amorsize=${AMORSIZE:-$root/build/apps/amorsize}
reps=${1:-5}
export AMORSIZE_BOX=$(mktemp -d /tmp/amorsize-box-bench.XXXXXX)
box() { "$root/tests/cluster/box.sh" "$@"; }
work=$(mktemp -d)
trap 'box stop >/dev/null 2>&1; rm -rf "$work"' EXIT
box check >/dev/null || { echo "$(basename "$0"): the box cannot run here: $(box check)"; exit 77; }
box start "${BOX_NODE:-nodeA:0-1}" >/dev/null
cd "$work"
