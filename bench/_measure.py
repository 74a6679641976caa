"""Measuring a benchmark step in a child process of its own: its result and its peak memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def run_measured(script: str, spec: dict) -> dict:
    """Run ``script --child SPEC`` and return its last stdout line (JSON) plus its peak RSS in MB.

    The peak is the child's ``ru_maxrss`` (KiB on Linux) from ``os.wait4``: one step's memory, not
    the benchmark's. A failing child stops the benchmark with one line naming the step.
    """
    proc = subprocess.Popen([sys.executable, script, "--child", json.dumps(spec)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"child {spec['op']} failed")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    return result
