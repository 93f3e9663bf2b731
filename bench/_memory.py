"""What memory a process has not used before costs on this machine: context for figures that depend on it.

Some virtual machines (Firecracker, which the bench farm runs on) back guest memory lazily and
take back what the guest frees (the balloon's free page reporting): a page a process touches
for the first time goes out to the host and costs tens of times a page it touches again (here
300-500 ms against 10 ms per 100 MB), and memory freed for a few seconds is cold again. Code
that makes the notebook take new memory (a snapshot holding its arrays) is slow there first.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHUNK = 100 << 20  # bytes touched at a time

_PROBE = """\
import json, sys, time
import numpy as np
n, chunk = int(sys.argv[1]), int(sys.argv[2])
first, kept = [], []
for _ in range(n):
    t = time.perf_counter(); kept.append(np.ones(chunk // 8)); first.append(time.perf_counter() - t)
kept.clear()
again = []
for _ in range(min(n, 4)):
    t = time.perf_counter(); kept.append(np.ones(chunk // 8)); again.append(time.perf_counter() - t)
first.sort(); again.sort()
print(json.dumps({"first": first[len(first) // 2], "again": again[len(again) // 2]}))
"""


def _touch(chunks: int) -> dict:
    run = subprocess.run([sys.executable, "-c", _PROBE, str(chunks), str(CHUNK)], capture_output=True, text=True,
                         check=True)
    return json.loads(run.stdout)


def new_page_cost() -> dict:
    """Median seconds per 100 MB for pages a fresh process touches first (``first``), and touches again (``again``)."""
    return _touch(3)


def describe(cost: dict) -> str:
    return (f"new pages {cost['first'] * 1e3:.0f} ms per 100 MB, pages used again {cost['again'] * 1e3:.0f} ms "
            f"({cost['first'] / max(cost['again'], 1e-9):.0f}x)")
