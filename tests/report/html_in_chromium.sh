#!/usr/bin/env bash
# amorsize report --html, opened in headless Chromium: the page parses into an SVG timeline with
# one bar per chunk, and its screenshot has the chart drawn (enough coloured pixels).
#   html_in_chromium.sh AMORSIZE_BINARY WORK_DIR
set -euo pipefail
amorsize=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "chromium is not installed (scripts/install-deps installs it)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 \
       OMPI_MCA_btl=self,vader OMPI_MCA_mtl='^ofi,psm,psm2'
mpirun -np 3 --oversubscribe --bind-to none "$amorsize" bench \
  --workload exp:mean=500us,n=2000 --log "$work/log.h5" >/dev/null
"$amorsize" report "$work/log.h5" --html "$work/run.html"
chunks=$(/usr/bin/python3 -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['runs/000001/chunks']))" "$work/log.h5")
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$work/profile")
"$chromium" "${flags[@]}" --dump-dom "file://$work/run.html" >"$work/dom.html" 2>/dev/null
bars=$(grep -o '<rect class="chunk"' "$work/dom.html" | wc -l)
echo "log has $chunks chunks; Chromium's DOM has $bars timeline bars"
[ "$bars" -eq "$chunks" ] || { echo "FAIL: bar count differs from chunk count"; exit 1; }
grep -q '<polyline class="util"' "$work/dom.html" || { echo "FAIL: no utilization curve"; exit 1; }
grep -q '<rect class="bar"' "$work/dom.html" || { echo "FAIL: no histogram"; exit 1; }
"$chromium" "${flags[@]}" --hide-scrollbars --window-size=1000,700 \
  --screenshot="$work/run.png" "file://$work/run.html" >/dev/null 2>&1
ink=$(/usr/bin/python3 "$(dirname "$0")/png_ink.py" "$work/run.png")
echo "screenshot $work/run.png: $ink of the pixels are drawn"
/usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.03 else 1)" "$ink" ||
  { echo "FAIL: the screenshot is (nearly) blank"; exit 1; }
echo "PASS"
