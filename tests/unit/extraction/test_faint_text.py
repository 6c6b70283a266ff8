"""Pale grey print: labels printed at 215-230 grey on white paper disappear under Tesseract's single threshold
once a scan has blurred them, and an amount loses the label that says it is the total. Their lines are read
again, darkened (``ocr._with_faint_text``); a grey page and pale table rules are not taken for pale print."""
from __future__ import annotations

import io
import time
from decimal import Decimal

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFilter

from bench.public_sets import degrade
from billpay.capture.extraction import extract_document, ocr

from .pdfgen import make_pdf

DPI = 200
BLACK = [(50, 800, 16, "Harbourview Lodge Ltd"), (50, 770, 11, "Payment receipt 2024-118 of 12/03/2024"),
         (430, 700, 11, "1,939.00"), (430, 670, 11, "1,939.00"), (430, 640, 11, "1,939.00"),
         (60, 600, 11, "Balance (if any)"), (430, 600, 11, "0.00"),
         (50, 540, 10, "Amounts in USD. Thank you for staying with us.")]
PALE = [(60, 700, 11, "Room charges"), (250, 700, 11, "1 night x 1 room"), (60, 670, 11, "Grand Total"),
        (60, 640, 11, "Payment received"), (250, 640, 11, "Paid by card")]
PALE_GREY = 222


def _render(pdf: bytes) -> np.ndarray:
    return np.asarray(pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L"),
                      dtype=np.float32)


def _page(paper: int = 255) -> Image.Image:
    """The receipt of a stay: black amounts, pale grey labels, scanned (blur, JPEG, specks)."""
    black = _render(make_pdf([BLACK]))
    pale = 255.0 - (255.0 - _render(make_pdf([PALE]))) * (255.0 - PALE_GREY) / 255.0
    page = np.minimum(black, pale) * (paper / 255.0)
    return degrade(Image.fromarray(page.astype(np.uint8), "L"), "faint")


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(DPI, DPI))
    return buf.getvalue()


def _texts(words) -> str:  # noqa: ANN001
    return " ".join(w.text for w in words)


def test_the_first_pass_loses_the_pale_labels_and_the_second_reads_them():
    img, scale, _column, _turned = ocr.prepare(_page(), DPI)
    factor = 72.0 / (DPI * scale)
    words, _mean = ocr._recognize(img, "eng", time.monotonic() + 60, factor)
    assert "Total" not in _texts(words) and "1,939.00" in _texts(words)  # the premise: Tesseract drops them
    got = ocr._with_faint_text(img, words, "eng", time.monotonic() + 60, factor)
    assert got[:len(words)] == words  # the first pass's words stay
    added = _texts(got[len(words):])
    assert "Grand Total" in added and "Room charges" in added, added
    # the labels stand where they are printed: to the left of their amounts, on the same lines
    total = next(w for w in got if w.text == "Total")
    amounts = [w for w in words if w.text == "1,939.00"]
    assert any(abs((a.y0 + a.y1) - (total.y0 + total.y1)) < 8 and a.x0 > total.x1 for a in amounts)


@pytest.mark.parametrize("faint", [True, False])
def test_the_total_is_found_by_its_pale_label(monkeypatch, faint):
    monkeypatch.setattr(ocr, "READ_FAINT", faint)
    r = extract_document(_png(_page()), "receipt.png")
    total = r.fields["total"].value if r.fields.get("total") else None
    if faint:
        assert total == Decimal("1939.00")
    else:  # what the page gave before: the amount had no label to go by
        assert total != Decimal("1939.00")


def _count_reads(monkeypatch) -> list:  # noqa: ANN001
    calls = []
    original = ocr._recognize

    def counting(*args, **kwargs):
        calls.append(args[0].size)
        return original(*args, **kwargs)

    monkeypatch.setattr(ocr, "_recognize", counting)
    return calls


def test_a_grey_page_is_not_read_again(monkeypatch):
    """A photo or a thermal roll: its paper is grey, and its grey is not pale print."""
    img = _page(paper=205)
    words = [ocr.Word("Harbourview", 10, 10, 80, 20, 0.9)]
    calls = _count_reads(monkeypatch)
    assert ocr._with_faint_text(img, words, "eng", time.monotonic() + 60, 72 / DPI) is words
    assert calls == []


def test_pale_table_rules_are_not_pale_text(monkeypatch):
    img = Image.new("L", (1600, 2200), 255)
    d = ImageDraw.Draw(img)
    for y in range(300, 1500, 120):
        d.line([(100, y), (1500, y)], fill=PALE_GREY, width=2)
    for x in (100, 800, 1500):
        d.line([(x, 300), (x, 1380)], fill=PALE_GREY, width=2)
    img = degrade(img, "rules")
    words = [ocr.Word("Invoice", 30, 30, 90, 42, 0.95), ocr.Word("12.00", 300, 150, 340, 162, 0.95)]
    calls = _count_reads(monkeypatch)
    assert ocr._with_faint_text(img, words, "eng", time.monotonic() + 60, 72 / DPI) is words
    assert calls == []


def test_black_text_the_first_pass_left_out_is_not_taken_for_pale_print(monkeypatch):
    """A line of black text with no word read on it (a logo, a line Tesseract could not make out) has grey
    edges as wide as its strokes: it is not read again darkened, which would read nothing new. (The page is a
    little out of focus, as a photo is, so that the title's edges are wide enough to be taken for pale ink.)"""
    img, scale, _column, _turned = ocr.prepare(_page().filter(ImageFilter.GaussianBlur(1.0)), DPI)
    factor = 72.0 / (DPI * scale)
    words, _mean = ocr._recognize(img, "eng", time.monotonic() + 60, factor)
    title = [w for w in words if w.text in ("Harbourview", "Lodge", "Ltd")]
    assert title
    dropped = [w for w in words if w not in title]
    bands = []
    original = ocr._read_bands_again
    monkeypatch.setattr(ocr, "_read_bands_again", lambda img, b, *a, **k: bands.extend(b) or original(img, b, *a, **k))
    ocr._with_faint_text(img, dropped, "eng", time.monotonic() + 60, factor)
    top, bottom = min(w.y0 for w in title) / factor, max(w.y1 for w in title) / factor
    assert bands, "the pale lines are read again"
    assert not [b for b in bands if b[1] < bottom and b[3] > top], (bands, top, bottom)
