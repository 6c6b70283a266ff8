"""Accuracy on the shared dev set, scored with the official scorer's own comparison rules.

Fails CI when a change drops below the acceptance bar: >= 90 % of fields right
on digital PDFs, >= 80 % on scans and images, and >= 98 % on a vendor's next
digital bill once one bill of that vendor was confirmed (learn_profile).
"""
from __future__ import annotations

import collections
import importlib.util
import json
import os
from pathlib import Path

import pytest

from billpay.capture.extraction import apply_profile, cli_payload, extract_document, learn_profile

ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("BILLPAY_SHARED_DIR", ROOT.parent / "shared"))
DEV = SHARED / "data" / "invoices" / "dev"
SCORER = SHARED / "tools" / "score_extraction.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DEV / "truth.json").exists() or not SCORER.exists(), reason="shared dev set not present"),
]


@pytest.fixture(scope="module")
def scorer():
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def extracted():
    truth = json.loads((DEV / "truth.json").read_text(encoding="utf-8"))
    return [(e, extract_document((DEV / e["file"]).read_bytes(), e["file"])) for e in truth]


def _score(scorer, entry, result, tally, kind_key):
    got = scorer.predicted_fields(cli_payload(result))
    misses = []
    for f in scorer.FIELDS:
        want = (entry.get("fields") or {}).get(f)
        if want is None:
            continue
        ok = scorer.field_correct(f, want, got.get(f))
        tally[kind_key][0] += ok
        tally[kind_key][1] += 1
        if not ok:
            misses.append(f"{entry['file']}:{f} want {want!r} got {got.get(f)!r}")
    return misses


def test_first_sight_accuracy(scorer, extracted):
    tally = collections.defaultdict(lambda: [0, 0])
    misses = []
    for entry, result in extracted:
        kind = "digital" if entry["kind"] == "pdf-text" else "scan"
        misses += _score(scorer, entry, result, tally, kind)
    digital = tally["digital"][0] / tally["digital"][1]
    scans = tally["scan"][0] / tally["scan"][1]
    print(f"digital {digital:.3f} scans/images {scans:.3f}", *misses, sep="\n  ")
    assert digital >= 0.90, misses
    assert scans >= 0.80, misses


def test_next_bill_of_a_known_vendor(scorer, extracted):
    groups = collections.defaultdict(list)
    for entry, result in extracted:
        groups[" ".join(scorer.vendor_tokens(entry["fields"]["vendor_name"]))].append((entry, result))
    tally = collections.defaultdict(lambda: [0, 0])
    misses = []
    for items in groups.values():
        if len(items) < 2:
            continue
        # the user confirms the first digital bill of the vendor; every other bill is read with the profile
        items.sort(key=lambda it: (it[0]["kind"] != "pdf-text", it[0]["file"]))
        (first, first_result), rest = items[0], items[1:]
        confirmed = {k: v for k, v in first["fields"].items() if v is not None}
        profile = learn_profile(first_result, confirmed, None)
        for entry, result in rest:
            kind = "digital" if entry["kind"] == "pdf-text" else "scan"
            misses += _score(scorer, entry, apply_profile(result, profile), tally, kind)
    digital = tally["digital"][0] / tally["digital"][1]
    overall = (tally["digital"][0] + tally["scan"][0]) / (tally["digital"][1] + tally["scan"][1])
    print(f"repeat vendor: digital {digital:.3f} all {overall:.3f}", *misses, sep="\n  ")
    assert digital >= 0.98, misses
    assert overall >= 0.93, misses
