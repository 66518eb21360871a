#!/usr/bin/env bash
# The C and the Fortran time-stepping examples on 3 ranks, and the C one on 1: the same
# checksum, item count and number of steps planned from the one before (their statistics
# line up to the efficiency, which is timing). Prints both lines.
#   examples_agree.sh MPIEXEC C_PROGRAM FORTRAN_PROGRAM
set -uo pipefail
mpiexec=$1 c=$2 fortran=$3
run() { "$mpiexec" -np "$1" --oversubscribe --bind-to none "$2" 20 5000; }
c3=$(run 3 "$c") || { echo "FAIL: the C example on 3 ranks"; exit 1; }
c1=$(run 1 "$c") || { echo "FAIL: the C example on 1 rank"; exit 1; }
f3=$(run 3 "$fortran") || { echo "FAIL: the Fortran example on 3 ranks"; exit 1; }
echo "C, 3 ranks:       $c3"
echo "C, 1 rank:        $c1"
echo "Fortran, 3 ranks: $f3"
same() { sed 's/; last step efficiency.*//' <<<"$1"; }
[ "$(same "$c3")" = "$(same "$c1")" ] || { echo "FAIL: the C example differs between 3 ranks and 1"; exit 1; }
[ "$(same "$f3")" = "$(same "$c3")" ] || { echo "FAIL: the Fortran example differs from the C one"; exit 1; }
echo PASS
