"""Run every benchmark in turn: ``python -m bench`` (or ``make bench``)."""
from __future__ import annotations

import subprocess
import sys

BENCHES = ("bench.api", "bench.web", "bench.sync", "bench.netsuite", "bench.intacct", "bench.business_central",
           "bench.extraction", "bench.ocr_engines")

if __name__ == "__main__":
    failed = [m for m in BENCHES if subprocess.run([sys.executable, "-m", m, *sys.argv[1:]]).returncode != 0]
    if failed:
        print(f"benchmarks that missed a target or failed: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1 if failed else 0)
