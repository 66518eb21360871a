#!/usr/bin/env bash
# Runs every row of bad_input.tsv: the exit status, one line on stderr matching the pattern,
# nothing on stdout. Prints a table of the cases and their outcome.
#   bad_input.sh AMORSIZE TABLE DATA_DIR LOG
set -uo pipefail
amorsize=$1 table=$2 data=$3 log=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
while IFS=$'\t' read -r status pattern args; do
  [[ -z $status || $status == \#* ]] && continue
  args=${args//@DATA@/$data}
  args=${args//@LOG@/$log}
  pattern=${pattern//@DATA@/$data}
  read -r -a argv <<<"$args"
  (cd "$tmp" && "$amorsize" "${argv[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null)
  rc=$?
  lines=$(grep -c '' "$tmp/err")
  problem=""
  [[ $rc == "$status" ]] || problem="exit $rc, expected $status"
  [[ -z $problem && $lines != 1 ]] && problem="$lines lines on stderr, expected 1"
  [[ -z $problem ]] && ! grep -Eq -- "$pattern" "$tmp/err" && problem="stderr does not match /$pattern/"
  [[ -z $problem && -s $tmp/out ]] && problem="printed on stdout"
  if [[ -z $problem ]]; then
    pass=$((pass + 1))
    printf 'ok    %-70s %s\n' "amorsize $args" "$(head -c 100 "$tmp/err")"
  else
    fail=$((fail + 1))
    printf 'FAIL  %-70s %s\n      stderr: %s\n' "amorsize $args" "$problem" "$(head -c 300 "$tmp/err")"
  fi
done <"$table"
echo "$pass passed, $fail failed"
((fail == 0))
