"""OCR variants and engines side by side: the same scans, the whole extraction, accuracy and time per page.

    .venv/bin/python -m bench.ocr_engines [--per-set 8] [--no-docs]

Runs billpay's extraction over scans and images of the *tuned* parts only
(these numbers chose the OCR settings, so they must not come from evaluation
documents): the tuned part of the shared invoice dev set, of the receipt dev
set, and the generated set. Each variant runs in its own process, one after
the other, on the same files:

* ``chosen``: one Tesseract pass per page in process (tesserocr), English, text
  lines normalised to about 34 px, a 3x3 median, one column for receipts;
* ``eng+deu+fra``: the same with the three language packs the engine used before;
* ``no median``, ``psm 3 for receipts``: one choice of ``chosen`` switched off;
* ``OSD every page``: ``--psm 1`` (orientation and script detection on every page);
* ``RapidOCR``: ``rapidocr-onnxruntime`` (PP-OCRv4 detection and recognition
  models inside the PyPI wheel, Apache-2.0; ONNX Runtime on the CPU, its own
  thread pool), its text lines turned into words for the same field reading.

Times are per file, in process, models loaded before timing (both engines).
Writes the "### OCR variants" part of docs/benchmarks.md (inside "## Extraction").
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
VARIANTS = ("chosen", "eng+deu+fra", "no median", "psm 3 for receipts", "OSD every page", "RapidOCR")
MARK_START = "<!-- ocr-variants -->"
MARK_END = "<!-- /ocr-variants -->"


def files(per_set: int) -> list[tuple[str, Path, dict]]:
    from bench.extraction import load_set

    out = []
    for name in ("invoices", "receipts", "gen"):
        data, truth = load_set(name, 150, 7)
        picked = [e for e in truth if e["role"] == "tuned" and e["kind"] != "pdf-text"][:per_set]
        out += [(name, data, e) for e in picked]
    return out


def _rapid_page_factory():
    from rapidocr_onnxruntime import RapidOCR

    from billpay.capture.extraction import ocr
    from billpay.capture.extraction.layout import Page, Word

    engine = RapidOCR()

    def rapid_ocr_page(image, index, *, dpi_hint=None, deadline, langs="eng"):
        import numpy as np

        dpi = ocr.estimate_dpi(image, dpi_hint)
        factor = 72.0 / dpi
        result, _ = engine(np.asarray(image.convert("RGB")))
        words = []
        for box, text, score in result or []:
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            parts = text.split()
            total = sum(len(p) for p in parts) + max(len(parts) - 1, 0) or 1
            pos = 0
            for part in parts:  # spread the line's box over its words by their length
                a, b = pos / total, (pos + len(part)) / total
                words.append(Word(part, (x0 + a * (x1 - x0)) * factor, y0 * factor, (x0 + b * (x1 - x0)) * factor,
                                  y1 * factor, float(score)))
                pos += len(part) + 1
        page = Page(index=index, width=image.width * factor, height=image.height * factor, layer="ocr", words=words)
        page.quality = sum(w.conf for w in words) / len(words) if words else 0.0
        return page

    return rapid_ocr_page


def worker(variant: str, per_set: int) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    import tesserocr

    from bench.extraction import _plain, _warm_up
    from billpay.capture.extraction import cli_payload, engine, extract_document, ocr

    if variant == "eng+deu+fra":
        engine.DEFAULT_OCR_LANGS = "eng+deu+fra"
    elif variant == "no median":
        ocr.DESPECKLE = False
    elif variant == "psm 3 for receipts":
        ocr.RECEIPT_COLUMN = False
    elif variant == "OSD every page":
        ocr.PAGE_PSM = tesserocr.PSM.AUTO_OSD
    elif variant == "RapidOCR":
        ocr.ocr_page = _rapid_page_factory()
    _warm_up(extract_document)
    for name, data, e in files(per_set):
        raw = (data / e["file"]).read_bytes()
        t0 = time.perf_counter()
        r = extract_document(raw, e["file"])
        print(json.dumps({"set": name, "file": e["file"], "seconds": time.perf_counter() - t0,
                          "fields": _plain(cli_payload(r))}, default=str), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-set", type=int, default=8)
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.variant:
        worker(args.variant, args.per_set)
        return 0
    from bench.extraction import score, scorer

    sc = scorer()
    picked = files(args.per_set)
    truth = [e for _, _, e in picked]
    rows = {}
    for v in VARIANTS:
        print(f"variant {v}", flush=True)
        proc = subprocess.run([sys.executable, "-m", "bench.ocr_engines", "--variant", v, "--per-set", str(args.per_set)],
                              cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            continue
        rows[v] = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    lines = [MARK_START, "", "### OCR variants (tuned parts only; they chose the settings)", "",
             f"Whole extraction of the same {len(truth)} scans and images ({args.per_set} per set from the tuned parts of "
             "the invoice and receipt dev sets and the generated set), one variant after the other in one run on the "
             "shared 2-core machine; accuracy with the official scorer's rules; seconds per file in process, models "
             "loaded beforehand. RapidOCR's ONNX Runtime uses both cores, Tesseract one.", "",
             "| variant | fields right | invoices | receipts | generated | line F1 | s/file median | s/file p95 | "
             "time vs chosen |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = None
    summary = {}
    for v, rs in rows.items():
        r = score(rs, truth, sc)
        by = {}
        for name in ("invoices", "receipts", "gen"):
            sub = [x for x in rs if x["set"] == name]
            s = score(sub, [e for n, _, e in picked if n == name], sc)
            by[name] = s["accuracy"]
        secs = sorted(x["seconds"] for x in rs)
        med = secs[len(secs) // 2]
        p95 = secs[max(1, -(-95 * len(secs) // 100)) - 1]
        base = base or med
        summary[v] = {"accuracy": r["accuracy"], "by_set": by, "median_s": round(med, 2), "p95_s": round(p95, 2),
                      "line_f1": r["lines"]["f1"]}
        cells = " | ".join(f"{100 * by[n]:.1f} %" if by[n] is not None else "–" for n in ("invoices", "receipts", "gen"))
        lines.append(f"| {v} | {100 * r['accuracy']:.1f} % | {cells} | {r['lines']['f1']:.2f} | {med:.2f} | {p95:.2f} | "
                     f"{med / base:.2f}x |")
    lines += ["", "Chosen by these numbers: Tesseract (faster and more accurate here than RapidOCR), English only "
              "(the other language packs cost time for no field gained), the median, one column for receipts, "
              "orientation detection only when the first pass looks sideways or poor.", "", MARK_END]
    text = "\n".join(lines)
    print(text)
    print(json.dumps(summary))
    if not args.no_docs:
        insert_docs(text)
    return 0


def insert_docs(text: str) -> None:
    """Put the variants table into the Extraction section (before its machine-readable summary)."""
    doc = DOCS.read_text(encoding="utf-8")
    if MARK_START in doc:
        a, b = doc.index(MARK_START), doc.index(MARK_END) + len(MARK_END)
        doc = doc[:a] + text + doc[b:]
    else:
        at = doc.find("Machine-readable summary (last line of the run)", doc.find("## Extraction"))
        doc = doc[:at] + text + "\n\n" + doc[at:] if at >= 0 else doc.rstrip("\n") + "\n\n" + text + "\n"
    DOCS.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
