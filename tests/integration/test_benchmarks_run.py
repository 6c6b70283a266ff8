"""The benchmarks still run end to end on today's code, at tiny sizes.

Their figures are not checked here (speed is measured by running them, see docs/benchmarks.md); what is
checked is that a change elsewhere (a new control, a renamed function) has not left a benchmark that stops
half way, as happened when bank details started needing a second person.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--bills", "5", "--payments", "5", "--pull", "10", "--latency-ms", "0", "--no-docs"]
RUNS = {
    "sync": [*TINY, "--skip-naive"],
    "intacct": TINY,
    "business_central": TINY,
    "netsuite": ["--bills", "5", "--pull-bills", "10", "--latency-ms", "0", "--no-write"],
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_benchmark_runs_to_its_summary(name):
    r = subprocess.run([sys.executable, "-m", f"bench.{name}", *RUNS[name]], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert "Traceback" not in r.stderr, r.stderr[-4000:]
    assert r.returncode in (0, 1), r.stderr[-4000:]  # 1: a target missed, which tiny sizes may do
    if name == "netsuite":  # prints its checks instead of a JSON line
        assert "incremental pull with nothing changed" in r.stdout, r.stdout[-2000:]
        return
    summary = [json.loads(line) for line in r.stdout.splitlines() if line.startswith('{"bench"')]
    assert summary and summary[-1]["bench"] == name, r.stdout[-2000:]
