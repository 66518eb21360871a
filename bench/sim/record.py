#!/usr/bin/python3
"""One simulated `amorsize bench` run: appends a JSON line to the results file and prints the
run's row of sim_bench.sh's Markdown table (or an ERR row naming why the run failed).

Called by sim_bench.sh after each smpirun; reads the run's stdout (the bench JSON is its last
line that starts with '{') and stderr (for the reason of a failure).
"""
import argparse
import json
import signal
import sys

COLUMNS = ["ranks", "workers (cores)", "workload", "mean", "mode", "hierarchy", "efficiency",
           "chunks", "coord msg/s", "predicted / simulated makespan", "exactly_once", "wall s"]


def header():
    return "| " + " | ".join(COLUMNS) + " |\n|" + "|".join("---" for _ in COLUMNS) + "|"


def rate(x):
    for factor, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= factor:
            return f"{x / factor:.3g}{suffix}"
    return f"{x:.3g}"


def failure_reason(rc, stdout, stderr, limit):
    if rc == 124:
        return f"timed out after {limit} s"
    if rc > 128:  # smpirun re-raises the signal that stopped the simulation
        try:
            name = signal.Signals(rc - 128).name
        except ValueError:
            name = f"signal {rc - 128}"
        return f"killed by {name} (exit {rc}), not by the --timeout"
    lines = [l.strip() for l in (stderr + "\n" + stdout).splitlines() if l.strip()]
    # amorsize's own one-line error first, then SimGrid's, then whatever came last.
    for marker in ("amorsize:", "xbt_die", "CRITICAL", "Error", "error"):
        for line in lines:
            if marker in line:
                return line[:160]
    if rc == 0:
        return "no JSON on stdout"
    return (lines[-1][:160] if lines else "no output") + f" (exit {rc})"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--header", action="store_true", help="print the table header and exit")
    for name in ("jsonl", "stdout", "stderr", "workload", "mean", "mode"):
        p.add_argument("--" + name)
    for name in ("rc", "ranks", "nodes", "cores-per-node", "items", "limit"):
        p.add_argument("--" + name, type=int)
    p.add_argument("--wall", type=float)
    a = p.parse_args()
    if a.header:
        print(header())
        return 0

    with open(a.stdout, errors="replace") as f:
        out = f.read()
    with open(a.stderr, errors="replace") as f:
        err = f.read()
    result = None
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                pass
            break

    ok = result is not None and a.rc == 0
    record = {"sim": {"ranks": a.ranks, "nodes": a.nodes, "cores_per_node": a.cores_per_node,
                      "workload": a.workload, "mean": a.mean, "items": a.items, "mode": a.mode,
                      "wall_s": round(a.wall, 3), "exit": a.rc,
                      "error": None if ok else failure_reason(a.rc, out, err, a.limit)},
              "result": result}
    with open(a.jsonl, "a") as f:
        f.write(json.dumps(record) + "\n")

    cells = [str(a.ranks)]
    if not ok:
        cells += ["ERR", a.workload, a.mean, a.mode, "ERR: " + record["sim"]["error"].replace("|", "/")]
        cells += [""] * (len(COLUMNS) - len(cells) - 1) + [f"{a.wall:.1f}"]
    else:
        r = result
        plan = r.get("plan", {})
        makespan = r.get("makespan_s") or 0.0
        predicted = plan.get("predicted_makespan_seconds")
        if predicted is None:
            prediction = f"none / {makespan:.3f} s"
        else:
            prediction = f"{predicted:.3f} / {makespan:.3f} s ({predicted / makespan:.2f})"
        messages = r.get("messages")
        cells += [f"{r.get('workers')} ({r.get('cores')})", a.workload, a.mean, a.mode,
                  str(plan.get("hierarchy", "-")), f"{r.get('drawn_efficiency', r.get('efficiency', 0)):.3f}",
                  str(r.get("chunks")),
                  rate(messages / makespan) if messages is not None and makespan > 0 else "-",
                  prediction, str(r.get("exactly_once")).lower(), f"{a.wall:.1f}"]
    print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
