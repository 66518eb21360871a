#!/usr/bin/python3
"""Write a SimGrid platform and a hostfile for simulating amorsize on a homogeneous cluster.

The platform is one SimGrid <cluster> (platform version 4.1): NODES hosts node-0 .. node-N-1,
each with CORES cores of SPEED flop/s, each on its own private link (LATENCY, BANDWIDTH) to a
backbone (the switch: BACKBONE_LATENCY, BACKBONE_BANDWIDTH, shared by all inter-node traffic).
Two ranks on the same host talk through the host's loopback (LOOPBACK_LATENCY/BANDWIDTH).

The hostfile lists one host per rank, CORES lines for each node in node order, so smpirun
places ranks 0..C-1 on node-0 (rank 0, amorsize's coordinator, shares node-0 with C-1 other
ranks, as under mpirun), ranks C..2C-1 on node-1, and so on: NODES*CORES ranks in all. Each
rank gets a core of its own, as with one MPI process per core on a real cluster.

Example (8 nodes of 32 cores: 256 ranks):
  bench/sim/make_platform.py --nodes 8 --cores 32 --out /tmp/sim/plat
  smpirun -np 256 -platform /tmp/sim/plat.xml -hostfile /tmp/sim/plat.hosts \\
      build-smpi/bench/sim/amorsize bench --workload exp:mean=1ms,n=512000 --json

Units are SimGrid's: latencies like 1us, 500ns, 0.2us; bandwidths like 12.5GBps (bytes/s;
12.5GBps is 100 Gb/s), 100Gbps (bits/s) also works; speeds like 1Gf (flop/s).
"""
import argparse
import os
import re
import sys
from xml.sax.saxutils import quoteattr

# SimGrid unit suffixes, checked here so a typo fails before a long simulation starts.
TIME_RE = re.compile(r"^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?(ps|ns|us|ms|s|m|h|d|w)?$")
BANDWIDTH_RE = re.compile(
    r"^(?P<number>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?P<prefix>[kMGTPE]i?)?(?P<unit>Bps|bps)?$")
SPEED_RE = re.compile(r"^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?([kMGTPE]i?)?f$")
BANDWIDTH_FACTORS = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
                     "ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def checked(pattern, what, example):
    def parse(text):
        if not pattern.match(text):
            raise argparse.ArgumentTypeError(
                f"{what} {text!r}: expected a number with a SimGrid unit such as {example}")
        return text
    return parse


def bytes_per_second(text):
    """12.5GBps -> 1.25e10; 100Gbps -> 1.25e10 (bits are divided by 8)."""
    m = BANDWIDTH_RE.match(text)
    value = float(m["number"]) * BANDWIDTH_FACTORS[m["prefix"] or ""]
    return value / 8 if m["unit"] == "bps" else value


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive integer")
    return value


def main():
    parser = argparse.ArgumentParser(
        prog="make_platform.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=positive_int, required=True,
                        help="number of hosts (nodes)")
    parser.add_argument("--cores", type=positive_int, required=True,
                        help="cores per node, and ranks per node in the hostfile")
    parser.add_argument("--speed", default="1Gf", type=checked(SPEED_RE, "speed", "1Gf"),
                        help="flop/s of one core (default 1Gf; smpirun's "
                        "--cfg=smpi/host-speed must match so simulated seconds stay seconds)")
    parser.add_argument("--latency", default="1us", type=checked(TIME_RE, "latency", "1us"),
                        help="latency of each node's link to the switch (default 1us)")
    parser.add_argument("--bandwidth", default="12.5GBps",
                        type=checked(BANDWIDTH_RE, "bandwidth", "12.5GBps"),
                        help="bandwidth of each node's link (default 12.5GBps = 100 Gb/s)")
    parser.add_argument("--backbone-latency", default="0us",
                        type=checked(TIME_RE, "backbone latency", "0.5us"),
                        help="latency added by the switch to every inter-node message "
                        "(default 0us: the 1us link latency already holds it; a message "
                        "between two nodes crosses two links, 2us)")
    parser.add_argument("--backbone-bandwidth", default=None,
                        type=checked(BANDWIDTH_RE, "backbone bandwidth", "400GBps"),
                        help="bandwidth of the switch, shared by all inter-node traffic "
                        "(default NODES x BANDWIDTH: a non-blocking fat tree)")
    parser.add_argument("--loopback-latency", default="0.2us",
                        type=checked(TIME_RE, "loopback latency", "0.2us"),
                        help="latency between two ranks on the same node (default 0.2us, "
                        "shared-memory MPI)")
    parser.add_argument("--loopback-bandwidth", default="20GBps",
                        type=checked(BANDWIDTH_RE, "loopback bandwidth", "20GBps"),
                        help="bandwidth between two ranks on the same node (default 20GBps)")
    parser.add_argument("--out", required=True,
                        help="path prefix: writes OUT.xml (platform) and OUT.hosts (hostfile)")
    args = parser.parse_args()

    backbone = args.backbone_bandwidth
    if backbone is None:
        backbone = f"{bytes_per_second(args.bandwidth) * args.nodes / 1e9:.6g}GBps"
    ranks = args.nodes * args.cores
    last = args.nodes - 1
    platform = f"""<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<!-- Written by bench/sim/make_platform.py: {args.nodes} nodes x {args.cores} cores = {ranks} ranks. -->
<platform version="4.1">
  <cluster id="cluster" prefix="node-" radical="0-{last}" suffix=""
           speed={quoteattr(args.speed)} core="{args.cores}"
           bw={quoteattr(args.bandwidth)} lat={quoteattr(args.latency)}
           bb_bw={quoteattr(backbone)} bb_lat={quoteattr(args.backbone_latency)} bb_sharing_policy="SHARED"
           loopback_bw={quoteattr(args.loopback_bandwidth)} loopback_lat={quoteattr(args.loopback_latency)}/>
</platform>
"""
    hosts = "".join(f"node-{n}\n" * args.cores for n in range(args.nodes))
    directory = os.path.dirname(args.out)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(args.out + ".xml", "w") as f:
        f.write(platform)
    with open(args.out + ".hosts", "w") as f:
        f.write(hosts)
    print(f"{args.out}.xml: {args.nodes} nodes x {args.cores} cores; "
          f"{args.out}.hosts: {ranks} ranks", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
