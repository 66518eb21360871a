#!/usr/bin/env bash
# One efficiency: `amorsize bench --json` and `amorsize run --summary` print the same figure
# as `amorsize report --json` reads from the log of the same run, to 3 decimals.
#   one_efficiency.sh AMORSIZE
set -uo pipefail
amorsize=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 \
       OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'
mpi=(mpirun -np 2 --oversubscribe --bind-to none)
fail() { echo "FAIL: $*"; exit 1; }

"${mpi[@]}" "$amorsize" bench --workload exp:mean=200us,n=3000 --log bench.h5 --json > bench.json ||
  fail "bench exit"
"$amorsize" report bench.h5 --last --json > bench_report.json || fail "report of the bench log"
seq 1 200 > tasks.txt
"${mpi[@]}" "$amorsize" run --tasks tasks.txt --output out.txt --log run.h5 --summary summary.json \
  -- awk 'BEGIN { for (i = 0; i < 200000; i++) s += i; print ARGV[1] }' {} || fail "run exit"
"$amorsize" report run.h5 --last --json > run_report.json || fail "report of the run log"
/usr/bin/python3 - <<'PY' || fail "the efficiencies differ"
import json
load = lambda f: json.load(open(f))
pairs = [("bench --json", load("bench.json")["efficiency"], load("bench_report.json")["efficiency"]),
         ("run --summary", load("summary.json")["efficiency"], load("run_report.json")["efficiency"])]
for what, shown, logged in pairs:
    print("%s: %.3f, amorsize report --json: %.3f" % (what, shown, logged))
    assert 0 < shown <= 1.05 and round(shown, 3) == round(logged, 3), (what, shown, logged)
PY
echo PASS
