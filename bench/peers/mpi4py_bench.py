#!/usr/bin/python3
"""The mpi4py peer of `amorsize bench`: the same synthetic workloads run with
mpi4py.futures.MPIPoolExecutor.map.

    mpirun -np P /usr/bin/python3 -m mpi4py.futures bench/peers/mpi4py_bench.py \
        --workload 'exp:mean=200us,n=10000' --chunksize 1|N|seeds

Run with /usr/bin/python3 (Debian's python3-mpi4py and python3-numpy). Under
`-m mpi4py.futures`, rank 0 runs this script as __main__ and ranks 1..P-1 serve the pool,
so there are P-1 workers and rank 0 only hands out tasks and collects results.

Item times are the ones amorsize draws: `parse_workload`, `uniform01` and `item_seconds`
below are a bit-exact port of src/workload.cpp (same splitmix64 hash, same libm calls in the
same order). Each item spins on time.perf_counter for its duration and returns its index.
The parent computes all durations before the clock starts and passes (index, duration) to
the workers, so the peer is charged for its scheduling, not for hashing in Python.

--chunksize seeds applies the rule of the Python library Amorsize (the seeds):
chunksize = max(1, round(target_chunk_duration / mean item time)) with
target_chunk_duration = 0.2 s and the mean measured by running the first sample_size = 5
items serially in the parent. As in Amorsize, the sampled items' results are not reused:
map() runs every item, the first five included. The sampling time counts in the makespan.

The makespan runs from just before map() (before the sampling for `seeds`) to the last
result; starting the pool (MPIPoolExecutor.bootup) is done before and not counted.
Prints one JSON line; exits 1 when some index does not arrive exactly once, 2 on bad input.

`--print-items N` (no MPI needed) prints item_seconds(i) for i < N as hex floats, one per
line, for checking the port against the C++.
"""

import argparse
import json
import math
import os
import sys
import time

# ---------------------------------------------------------------------------------------
# Port of src/workload.cpp. Keep the operations in the same order as the C++ so every
# double is bit-identical (IEEE arithmetic is exact to the operation; log1p, expm1, log
# and pow come from the same glibc).

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # splitmix64's increment
STREAM_GAMMA = 0xD1B54A32D192ED03
TWO_POW_M53 = 1.0 / 9007199254740992.0
BIMODAL_RATIO = 10.0
MAX_EXACT_COUNT = 9007199254740992.0

DISTRIBUTIONS = ("const", "uniform", "exp", "bimodal", "pareto", "linear")
KEY_NAMES = ("mean", "min", "max", "alpha", "p", "n", "seed", "out", "mem")
COMMON_KEYS = {"n", "seed", "out", "mem"}
RANGE_KEYS = {"mean", "min", "max"}
DIST_KEYS = {
    "const": {"mean"},
    "uniform": RANGE_KEYS,
    "exp": {"mean"},
    "bimodal": RANGE_KEYS | {"p"},
    "pareto": RANGE_KEYS | {"alpha"},
    "linear": RANGE_KEYS,
}


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def stream_key(seed, stream=0):
    return mix64(mix64((seed + GOLDEN) & MASK64) ^ mix64((stream * STREAM_GAMMA + GOLDEN) & MASK64))


def uniform01(seed, index, stream=0):
    key = stream_key(seed, stream)
    bits = mix64(mix64((key + index * GOLDEN) & MASK64) ^ key)
    return float(bits >> 11) * TWO_POW_M53


def _uniform01_array(seed, n, stream=0):
    """uniform01(seed, i) for i in range(n), vectorised with numpy (uint64 wraps mod 2^64)."""
    import numpy as np

    def mix(z):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    key = np.uint64(stream_key(seed, stream))
    with np.errstate(over="ignore"):
        idx = np.arange(n, dtype=np.uint64)
        bits = mix(mix(key + idx * np.uint64(GOLDEN)) ^ key)
    # bits >> 11 < 2^53, so the conversion and the scaling by 2^-53 are exact.
    return ((bits >> np.uint64(11)).astype(np.float64) * TWO_POW_M53).tolist()


class WorkloadError(ValueError):
    pass


def _scan_number(s):
    """Length of the decimal number at the start of s, as scan_number in the C++."""
    i = 0
    if i < len(s) and s[i] in "+-":
        i += 1
    digits = 0
    while i < len(s) and s[i].isdigit() and s[i].isascii():
        i += 1
        digits += 1
    if i < len(s) and s[i] == ".":
        i += 1
        while i < len(s) and s[i].isdigit() and s[i].isascii():
            i += 1
            digits += 1
    if digits == 0:
        return 0
    if i < len(s) and s[i] in "eE":
        j = i + 1
        if j < len(s) and s[j] in "+-":
            j += 1
        start = j
        while j < len(s) and s[j].isdigit() and s[j].isascii():
            j += 1
        if j > start:
            i = j
    return i


def _to_double(number):
    value = float(number)  # correctly rounded, like libstdc++'s strtod-based extraction
    if not math.isfinite(value):
        return None
    return value + 0.0


def _trim(s):
    return s.strip(" \t\n\r")


def parse_duration(text):
    t = _trim(text)
    length = _scan_number(t)
    if length == 0:
        raise WorkloadError("bad duration %r" % text)
    unit = _trim(t[length:])
    scale = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6,
             "ns": 1e-9}.get(unit)
    if scale is None:
        raise WorkloadError("bad duration %r" % text)
    value = _to_double(t[:length])
    if value is None:
        raise WorkloadError("bad duration %r" % text)
    if value < 0:
        raise WorkloadError("negative duration %r" % text)
    return value * scale


def parse_bytes(text):
    t = _trim(text)
    length = _scan_number(t)
    if length == 0:
        raise WorkloadError("bad byte count %r" % text)
    suffix = _trim(t[length:])
    scale = 1.0
    if suffix and suffix != "B":
        scale = {"k": 1024.0, "m": 1024.0 * 1024, "g": 1024.0 * 1024 * 1024,
                 "t": 1024.0 * 1024 * 1024 * 1024}.get(suffix[0].lower())
        if scale is None or suffix[1:] not in ("", "B", "iB"):
            raise WorkloadError("bad byte count %r" % text)
    value = _to_double(t[:length])
    if value is None or value < 0 or not math.isfinite(value * scale):
        raise WorkloadError("bad byte count %r" % text)
    return value * scale


def parse_count(text):
    t = _trim(text)
    if t and t.isascii() and t.isdigit():
        v = int(t)
        if v <= 0 or v >= 1 << 63:
            raise WorkloadError("bad item count %r" % text)
        return v
    if not t or _scan_number(t) != len(t):
        raise WorkloadError("bad item count %r" % text)
    v = _to_double(t)
    if v is None or v < 1 or v > MAX_EXACT_COUNT or math.floor(v) != v:
        raise WorkloadError("bad item count %r" % text)
    return int(v)


def parse_seed(text):
    t = _trim(text)
    if not (t and t.isascii() and t.isdigit()) or int(t) > MASK64:
        raise WorkloadError("bad seed %r" % text)
    return int(t)


def parse_plain(text):
    t = _trim(text)
    v = _to_double(t) if t and _scan_number(t) == len(t) else None
    if v is None:
        raise WorkloadError("bad number %r" % text)
    return v


class Workload:
    """WorkloadSpec: the parsed specification and its item times."""

    def __init__(self, text):
        self.text = text
        self.dist = None
        self.mean = self.min = self.max = 0.0
        self.alpha = 2.5
        self.p = 0.1
        self.items = None
        self.seed = 1
        self._parse(text)

    def _parse(self, text):
        spec = _trim(text)
        if not spec:
            raise WorkloadError("empty workload specification")
        colon = spec.find(":")
        name = _trim(spec if colon < 0 else spec[:colon])
        if name not in DISTRIBUTIONS:
            raise WorkloadError("unknown distribution %r in workload %r" % (name, text))
        self.dist = name
        given = {}
        if colon >= 0 and _trim(spec[colon + 1:]):
            for pair in spec[colon + 1:].split(","):
                pair = _trim(pair)
                if "=" not in pair:
                    raise WorkloadError("parameter %r has no value in workload %r" % (pair, text))
                key, value = (_trim(x) for x in pair.split("=", 1))
                if key not in KEY_NAMES or key not in (DIST_KEYS[name] | COMMON_KEYS):
                    raise WorkloadError("key %r is not used by %s" % (key, name))
                if key in given:
                    raise WorkloadError("duplicate key %r" % key)
                given[key] = value
        v = {}
        for key, raw in given.items():
            if key in ("mean", "min", "max"):
                v[key] = parse_duration(raw)
            elif key == "alpha":
                v[key] = parse_plain(raw)
                if not v[key] > 1:
                    raise WorkloadError("alpha %r out of range: expected alpha > 1" % raw)
            elif key == "p":
                v[key] = parse_plain(raw)
                if not 0 < v[key] < 1:
                    raise WorkloadError("p %r out of range: expected 0 < p < 1" % raw)
            elif key == "n":
                self.items = parse_count(raw)
            elif key == "seed":
                self.seed = parse_seed(raw)
            else:
                parse_bytes(raw)

        def need(key):
            if key not in v:
                raise WorkloadError("missing %s in workload %r" % (key, text))

        def mean_or_range():
            if "mean" in v and ("min" in v or "max" in v):
                raise WorkloadError("conflicting keys mean and min/max in workload %r" % text)
            if "mean" in v:
                return True
            need("min")
            need("max")
            return False

        def ordered_range():
            if v["min"] > v["max"]:
                raise WorkloadError("min above max in workload %r" % text)

        if name == "const":
            need("mean")
            self.mean = self.min = self.max = v["mean"]
        elif name == "exp":
            need("mean")
            self.mean, self.min, self.max = v["mean"], 0.0, 0.0
        elif name == "uniform":
            if mean_or_range():
                self.mean, self.min, self.max = v["mean"], 0.0, 2 * v["mean"]
            else:
                ordered_range()
                self.min, self.max = v["min"], v["max"]
                self.mean = (self.min + self.max) / 2
        elif name == "bimodal":
            self.p = v.get("p", 0.1)
            if mean_or_range():
                self.mean = v["mean"]
                self.min = v["mean"] / ((1 - self.p) + BIMODAL_RATIO * self.p)
                self.max = BIMODAL_RATIO * self.min
            else:
                ordered_range()
                self.min, self.max = v["min"], v["max"]
                self.mean = (1 - self.p) * self.min + self.p * self.max
        elif name == "pareto":
            self.alpha = v.get("alpha", 2.5)
            if "mean" in v and "min" in v:
                raise WorkloadError("conflicting keys mean and min in workload %r" % text)
            if "mean" in v:
                self.mean = v["mean"]
                self.min = v["mean"] * (self.alpha - 1) / self.alpha
            elif "min" in v:
                self.min = v["min"]
                self.mean = v["min"] * self.alpha / (self.alpha - 1)
            else:
                need("mean")
            self.max = 0.0
            if "max" in v:
                if v["max"] < self.min:
                    raise WorkloadError("max below the Pareto scale in workload %r" % text)
                self.max = v["max"]
        elif name == "linear":
            if mean_or_range():
                self.min, self.max = 0.0, 2 * v["mean"]
            else:
                self.min, self.max = v["min"], v["max"]
            self.mean = (self.min + self.max) / 2
            if self.items is None:
                raise WorkloadError("missing n in workload %r: linear needs n" % text)

    def _from_u(self, u):
        """item_seconds for the random distributions, given the draw u."""
        d = self.dist
        if d == "uniform":
            return (1 - u) * self.min + u * self.max
        if d == "exp":
            x = -self.mean * math.log1p(-u)
            return x if 0.0 < x else 0.0  # std::max(0.0, x)
        if d == "bimodal":
            return self.max if u < self.p else self.min
        if d == "pareto":
            xm = self.min
            if xm <= 0:
                return 0.0
            cut = self.max > 0
            if cut and self.max <= xm:
                return xm
            mass = -math.expm1(self.alpha * math.log(xm / self.max)) if cut else 1.0
            x = xm * math.pow(1 - u * mass, -1 / self.alpha)
            return (self.max if self.max < x else x) if cut else x  # std::min(x, max)
        return self.mean

    def item_seconds(self, index):
        if self.dist == "const":
            return self.mean
        if self.dist == "linear":
            n = self.items if self.items is not None else 1
            if n <= 1:
                return (self.min + self.max) / 2
            i = min(max(index, 0), n - 1)
            t = float(i) / float(n - 1)
            return (1 - t) * self.min + t * self.max
        return self._from_u(uniform01(self.seed, index & MASK64))

    def durations(self, n):
        """[item_seconds(i) for i in range(n)], with the hash vectorised when numpy is there."""
        if self.dist in ("const", "linear"):
            return [self.item_seconds(i) for i in range(n)]
        try:
            us = _uniform01_array(self.seed, n)
        except ImportError:
            return [self.item_seconds(i) for i in range(n)]
        return [self._from_u(u) for u in us]


# ---------------------------------------------------------------------------------------
# The item and the benchmark.

def spin(index, seconds):
    """The busy-wait item: spins on perf_counter for `seconds`, returns its index."""
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        pass
    return index


def physical_cores():
    """Unique (physical id, core id) pairs of /proc/cpuinfo; os.cpu_count() otherwise."""
    cores = set()
    try:
        with open("/proc/cpuinfo") as f:
            phys = core = None
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    core = value.strip()
                elif not line.strip():
                    if core is not None:
                        cores.add((phys, core))
                    phys = core = None
            if core is not None:
                cores.add((phys, core))
    except OSError:
        pass
    return len(cores) or os.cpu_count() or 1


SEEDS_TARGET_CHUNK_SECONDS = 0.2  # Amorsize's target_chunk_duration default
SEEDS_SAMPLE_SIZE = 5  # Amorsize's sample_size default


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", required=True, help="DIST:key=value,... as for amorsize")
    ap.add_argument("--chunksize", default="1", help="N (items per task) or 'seeds'")
    ap.add_argument("--unordered", action="store_true", help="map(..., unordered=True)")
    ap.add_argument("--print-items", type=int, metavar="N",
                    help="print item_seconds(i) for i < N as hex floats and exit (no MPI)")
    args = ap.parse_args(argv)

    try:
        work = Workload(args.workload)
    except WorkloadError as e:
        print("mpi4py_bench: %s" % e, file=sys.stderr)
        return 2

    if args.print_items is not None:
        out = sys.stdout
        for i in range(args.print_items):
            out.write(work.item_seconds(i).hex() + "\n")
        for d in work.durations(args.print_items):  # the vectorised path must agree
            out.write(d.hex() + "\n")
        return 0

    if work.items is None:
        print("mpi4py_bench: the workload needs n (items)", file=sys.stderr)
        return 2
    seeds = args.chunksize == "seeds"
    if not seeds:
        try:
            chunksize = int(args.chunksize)
            assert chunksize >= 1
        except (ValueError, AssertionError):
            print("mpi4py_bench: bad --chunksize %r: expected a positive integer or seeds"
                  % args.chunksize, file=sys.stderr)
            return 2

    from mpi4py import MPI
    from mpi4py.futures import MPIPoolExecutor

    n = work.items
    durations = work.durations(n)
    indices = range(n)
    sum_item_s = math.fsum(durations)
    max_item_s = max(durations)
    cores = physical_cores()
    lower_bound_s = max(sum_item_s / cores, max_item_s)

    with MPIPoolExecutor() as executor:
        executor.bootup(wait=True)
        workers = executor._max_workers  # the P-1 serving ranks of -m mpi4py.futures
        sample_s = None
        t0 = time.perf_counter()
        if seeds:
            # Amorsize's sampling: the first items, serially, in the parent; not reused.
            k = min(SEEDS_SAMPLE_SIZE, n)
            for i in range(k):
                spin(i, durations[i])
            sample_s = time.perf_counter() - t0
            chunksize = max(1, round(SEEDS_TARGET_CHUNK_SECONDS / (sample_s / k)))
        seen = bytearray(n)
        duplicates = 0
        for index in executor.map(spin, indices, durations, chunksize=chunksize,
                                  unordered=args.unordered):
            if seen[index]:
                duplicates += 1
            seen[index] = 1
        makespan_s = time.perf_counter() - t0
    exactly_once = duplicates == 0 and all(seen)

    record = {
        "peer": "mpi4py",
        "workload": args.workload,
        "ranks": MPI.COMM_WORLD.Get_size(),
        "chunksize": chunksize,
        "chunksize_rule": "seeds" if seeds else "fixed",
        "workers": workers,
        "cores": cores,
        "items": n,
        "sum_item_s": sum_item_s,
        "max_item_s": max_item_s,
        "lower_bound_s": lower_bound_s,
        "makespan_s": makespan_s,
        "efficiency": lower_bound_s / makespan_s,
        "sample_s": sample_s,
        "exactly_once": exactly_once,
    }
    print(json.dumps(record), flush=True)
    return 0 if exactly_once else 1


if __name__ == "__main__":
    sys.exit(main())
