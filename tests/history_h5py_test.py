#!/usr/bin/env python3
"""Reads a log written by history_write_example with h5py, the way the README shows.

Usage: history_h5py_test.py LOGFILE. Exits 0 when every check passes, 1 on a failed check,
77 (CTest: skipped) when h5py is not installed. pandas is used when present, never required.
"""
import json
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}")


def text(value):
    """h5py returns variable-length strings inside compound rows as bytes."""
    return value.decode() if isinstance(value, bytes) else value


CHUNK_FIELDS = ("seq", "first", "count", "node", "rank", "dispatch", "start", "end",
                "receive", "compute", "bytes_in", "bytes_out", "failed")
SAMPLE_FIELDS = ("item", "node", "seconds", "bytes_in", "bytes_out", "memory")
NODE_FIELDS = ("node", "name", "cores", "pus", "numa_domains", "memory_total_bytes",
               "memory_available_bytes", "speed", "binding")
FAILURE_FIELDS = ("item", "message")
PRESSURE_FIELDS = ("seconds", "node", "pressured")
INDEX_FIELDS = ("run_id", "workload_key", "status", "start_unix_seconds", "end_unix_seconds",
                "items", "chunks", "failed", "workers", "cores", "makespan_seconds",
                "predicted_makespan_seconds", "efficiency", "compute_seconds",
                "item_seconds_mean", "item_seconds_cv", "item_seconds_p95", "item_seconds_max",
                "bytes_in", "bytes_out", "mem_per_item_bytes", "threads_per_item",
                "from_history")
RUN_ATTRIBUTES = ("run_id", "workload_key", "command_line", "amorsize_version", "start_time",
                  "end_time", "status", "plan_json", "nodes_json") + INDEX_FIELDS


def main(path):
    f = h5py.File(path, "r")
    check(f.attrs["schema"] == "amorsize-log", "root attribute schema")
    check(int(f.attrs["schema_version"]) == 2, "root attribute schema_version")
    check(sorted(f["runs"].keys()) == ["000001", "000002"], "two run groups")

    # The README's example.
    chunks = f["runs/000001/chunks"][:]
    check(chunks.dtype.names == CHUNK_FIELDS, f"chunks fields {chunks.dtype.names}")
    check(len(chunks) == 10, "10 chunks in run 1")
    check(chunks["count"].sum() == 100, "100 items in the chunks of run 1")
    check(np.array_equal(chunks["seq"], np.arange(10)), "chunk seq 0..9")
    check(np.allclose(chunks["compute"], 0.1), "compute 0.1 s per chunk")
    check(np.allclose(chunks["receive"] - chunks["end"], 0.002), "receive = end + 2 ms")
    check(chunks["failed"][3] == 2, "chunk 3 had 2 failed items")
    check(chunks["node"].dtype == np.int32, "node is int32")

    run = f["runs/000001"]
    for name in RUN_ATTRIBUTES:
        check(name in run.attrs, f"run attribute {name}")
    check(run.attrs["status"] == "complete", "run 1 complete")
    check(run.attrs["workload_key"] == "example-sweep", "run 1 key")
    check(run.attrs["command_line"] == "mpirun -np 4 ./sweep --n 103", "run 1 command")
    check(run.attrs["start_time"].endswith("Z"), "start_time in UTC")
    check(run.attrs["items"] == 103, "items attribute")
    check(run.attrs["predicted_makespan_seconds"] == 4.5, "predicted makespan")

    check(json.loads(run.attrs["plan_json"])["workers"] == 62, "plan_json")
    check([n["name"] for n in json.loads(run.attrs["nodes_json"])] == ["node0", "node1"],
          "nodes_json")

    samples = f["runs/000001/samples"][:]
    check(samples.dtype.names == SAMPLE_FIELDS, f"samples fields {samples.dtype.names}")
    check(len(samples) == 3 and np.allclose(samples["seconds"], [0.01, 0.02, 0.03]),
          "sample seconds")
    check(samples["memory"].max() == 3 * 4096, "sample memory")

    nodes = f["runs/000001/nodes"][:]
    check(nodes.dtype.names == NODE_FIELDS, f"nodes fields {nodes.dtype.names}")
    check([text(n) for n in nodes["name"]] == ["node0", "node1"], "node names")
    check(list(nodes["cores"]) == [32, 32] and list(nodes["speed"]) == [1.0, 1.5],
          "node cores and speed")
    check(nodes["memory_total_bytes"].dtype == np.uint64, "memory is uint64")
    check([text(b) for b in nodes["binding"]] == ["0 | 1", ""], "node bindings")

    fails = f["runs/000001/failures"][:]
    check(fails.dtype.names == FAILURE_FIELDS, f"failures fields {fails.dtype.names}")
    check(list(fails["item"]) == [33, 34], "failed items")
    check(text(fails["message"][0]) == "division by zero", "failure message")

    pressure = f["runs/000001/pressure"][:]
    check(pressure.dtype.names == PRESSURE_FIELDS, f"pressure fields {pressure.dtype.names}")
    check(list(pressure["pressured"]) == [1, 0] and list(pressure["node"]) == [1, 1],
          "pressure events")

    index = f["index"][:]
    check(index.dtype.names == INDEX_FIELDS, f"index fields {index.dtype.names}")
    check(list(index["run_id"]) == [1, 2], "index run ids")
    check([text(s) for s in index["status"]] == ["complete", "failed"], "index status")
    check([text(k) for k in index["workload_key"]] == ["example-sweep", "example-other"],
          "index keys")
    check(index["items"][0] == 103 and index["chunks"][1] == 5, "index items and chunks")
    check(abs(index["item_seconds_mean"][0] - (1.0 + 0.06) / 103) < 1e-12, "index item mean")
    check(len(f["runs/000002/chunks"]) == 5, "5 chunks in run 2")
    check(len(f["runs/000002/failures"]) == 0, "run 2 has an empty failures table")

    try:
        import pandas as pd
    except ImportError:
        print("pandas not installed: DataFrame checks skipped")
    else:
        df = pd.DataFrame(f["runs/000001/chunks"][:])
        check(list(df.columns) == list(CHUNK_FIELDS), "DataFrame columns")
        check(len(df) == 10, "DataFrame rows")
        runs = pd.DataFrame(f["index"][:])
        runs["status"] = runs["status"].str.decode("utf-8")
        check(list(runs["status"]) == ["complete", "failed"], "DataFrame index status")

    f.close()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: history_h5py_test.py LOGFILE")
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
