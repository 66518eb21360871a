#!/usr/bin/env bash
# usage: expect.sh STATUS PATTERN -- COMMAND...
# Runs COMMAND; passes when it exits with STATUS and its combined output matches the extended
# regular expression PATTERN. For failures (STATUS != 0) stderr must be one line: a message,
# not a stack trace.
set -u
want_status=$1 pattern=$2
shift 3
out=$("$@" 2>/tmp/expect.$$.err)
status=$?
err=$(cat /tmp/expect.$$.err); rm -f /tmp/expect.$$.err
all="$out$err"
if [ "$status" -ne "$want_status" ]; then
  echo "expected exit $want_status, got $status from: $*"; echo "stdout: $out"; echo "stderr: $err"; exit 1
fi
if ! grep -Eq -- "$pattern" <<<"$all"; then
  echo "output does not match /$pattern/ for: $*"; echo "stdout: $out"; echo "stderr: $err"; exit 1
fi
if [ "$want_status" -ne 0 ] && [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ]; then
  echo "expected a one-line error message, got:"; echo "$err"; exit 1
fi
exit 0
