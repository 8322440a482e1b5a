"""Timing and memory helpers shared by the Python reference benchmarks in this folder."""

import re
import resource
import sys
import time


def time_ms(fn, runs):
    """One warm-up call, then the wall time of each of `runs` calls, in milliseconds."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def peak_rss_mib():
    """Peak resident memory of this process so far, in MiB (VmHWM on Linux, else ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            match = re.search(r"VmHWM:\s+(\d+) kB", status.read())
        if match:
            return int(match.group(1)) / 1024
    except OSError:
        pass  # not Linux: fall back to getrusage
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024
