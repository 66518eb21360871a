"""Prints how many CPUs other processes keep busy, measured over 1 s from /proc/stat.

The benchmarks call it before (and after) measuring: on a 2-core machine one busy background
job halves every efficiency. The caller sleeps meanwhile, so its own use does not count.
"""
import os
import time


def snap():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v[:8]), v[3] + v[4]  # all jiffies, idle + iowait


t0, i0 = snap()
time.sleep(1.0)
t1, i1 = snap()
print("%.2f" % ((1 - (i1 - i0) / max(1, t1 - t0)) * (os.cpu_count() or 1)))
