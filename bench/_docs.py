"""Each benchmark rewrites only its own section of docs/benchmarks.md."""
from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
INTRO = ("# Benchmarks\n\n"
         "Each benchmark is a module of the `bench` package and is run from the repository root with the "
         "project's virtualenv, e.g. `.venv/bin/python -m bench.api`; `make bench` runs them all. Each section "
         "below gives the exact command that produced its figures, and rerunning it rewrites that section only. "
         "The benchmarks create their own data (temporary SQLite files, and a private PostgreSQL server where "
         "needed, started and stopped by the benchmark), so they need nothing running beforehand. Figures depend "
         "on the machine; each section says which one it was measured on.\n")


def write_section(heading: str, section: str, docs: Path = DOCS) -> None:
    """Replace the section that starts with ``heading`` (up to the next ``## ``), or append it."""
    docs.parent.mkdir(parents=True, exist_ok=True)
    current = docs.read_text() if docs.exists() else INTRO
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        new = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", current, count=1)
    else:
        new = current.rstrip("\n") + "\n\n" + section
    tmp = docs.with_suffix(".md.tmp")
    tmp.write_text(new.rstrip("\n") + "\n")
    tmp.replace(docs)
