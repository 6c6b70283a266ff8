"""Accuracy floors on the tuned parts of the shared dev sets, scored with the official scorer's rules.

Only the parts the extractor is tuned on are asserted here (``bench/extraction_sets.json``:
the sets are split by vendor; the evaluated parts are only measured, by
``python -m bench.extraction``, so that no test pulls tuning towards them).
Floors sit a few points under the measured figures, so a real regression
fails: invoices (tuned part) >= 97 % of fields on digital PDFs and >= 88 % on
scans and images; receipts (tuned part) >= 90 %; and >= 98 % on a vendor's
next digital bill once one bill of that vendor was confirmed (learn_profile).
"""
from __future__ import annotations

import collections
import importlib.util
import json
import os
from pathlib import Path

import pytest

from billpay.capture.extraction import (
    apply_profile,
    cli_payload,
    extract_document,
    learn_profile,
)

ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("BILLPAY_SHARED_DIR", ROOT.parent / "shared"))
DEV = SHARED / "data" / "invoices" / "dev"
RECEIPTS = SHARED / "data" / "receipts" / "dev"
SCORER = SHARED / "tools" / "score_extraction.py"
SPLIT = json.loads((ROOT / "bench" / "extraction_sets.json").read_text(encoding="utf-8"))["sets"]

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


def _tuned(scorer, data: Path, key: str) -> list[dict]:
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
    tuned = set(SPLIT[key]["tune_vendors"])
    return [e for e in truth if " ".join(scorer.vendor_tokens(e["fields"]["vendor_name"])) in tuned]


@pytest.fixture(scope="module")
def extracted(scorer):
    return [(e, extract_document((DEV / e["file"]).read_bytes(), e["file"])) for e in _tuned(scorer, DEV, "invoices-dev")]


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
    assert digital >= 0.97, misses
    assert scans >= 0.88, misses


@pytest.mark.skipif(not (RECEIPTS / "truth.json").exists(), reason="shared receipt set not present")
def test_receipts_tuned_part(scorer):
    tally = collections.defaultdict(lambda: [0, 0])
    misses = []
    for entry in _tuned(scorer, RECEIPTS, "receipts-dev"):
        result = extract_document((RECEIPTS / entry["file"]).read_bytes(), entry["file"])
        misses += _score(scorer, entry, result, tally, "receipt")
    accuracy = tally["receipt"][0] / tally["receipt"][1]
    print(f"receipts {accuracy:.3f}", *misses, sep="\n  ")
    assert accuracy >= 0.90, misses


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
