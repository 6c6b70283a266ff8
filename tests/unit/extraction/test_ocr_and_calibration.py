"""Page preparation before OCR (resolution from the text itself, one column for receipts), calibration, line sums."""
from __future__ import annotations

import io
import random
from decimal import Decimal

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from billpay.capture.extraction import calibration, extract_document, ocr
from billpay.capture.extraction.lines import reconcile
from billpay.capture.extraction.model import ExtractedField, ExtractedLine

from .pdfgen import invoice_page, make_pdf


def _render(pdf: bytes, dpi: int):
    return pdfium.PdfDocument(pdf)[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")


def test_text_height_sets_the_scale_whatever_the_header_says():
    page = make_pdf([invoice_page()])
    at300 = _render(page, 300)
    at600 = _render(page, 600)
    assert ocr.choose_scale(at300, 300) == 1.0
    lh300, lh600 = ocr.line_height(at300), ocr.line_height(at600)
    assert lh300 and lh600 and 1.6 <= lh600 / lh300 <= 2.4
    # a 600-dpi page is scaled down so that its lines are about TARGET_LINE_PX high, even when its header
    # claims 96 dpi (the header would have it scaled up three times)
    scale = ocr.choose_scale(at600, 96)
    assert scale < 0.7 and 0.7 * ocr.TARGET_LINE_PX <= lh600 * scale <= 1.3 * ocr.TARGET_LINE_PX
    assert ocr.choose_scale(at600, 600) <= 0.5  # and never above 300 dpi when the resolution is known


def test_small_or_sideways_lines_never_scale_a_page_above_300_dpi():
    # a page photographed sideways at 300 dpi: across its lines the row profile sees short ink runs, which
    # look like tiny print; scaling it up by 1.5 read it at 450 dpi, half again the pixels, and OCR took twice
    # as long. A 150-dpi page of the same print may still be scaled up (to at most 300 dpi).
    sideways = _render(make_pdf([invoice_page()]), 300).rotate(90, expand=True)
    assert ocr.line_height(sideways) < ocr.UPSCALE_BELOW
    assert ocr.choose_scale(sideways, 300) == 1.0
    small = _render(make_pdf([[(40, 780 - 9 * i, 4, f"Line {i} of very small print 12.00") for i in range(60)]]), 150)
    assert 1.0 < ocr.choose_scale(small, 150) <= 2.0


def test_receipts_are_read_as_one_column_and_invoices_are_not():
    receipt = make_pdf([[(15, 560 - 14 * i, 9, f"ITEM {i}   1 x 2.50   2.50") for i in range(30)]], size=(220.0, 600.0))
    assert ocr.is_single_column(_render(receipt, 200))
    assert not ocr.is_single_column(_render(make_pdf([TABLE_PAGE]), 200))


def test_calibration_is_monotone_and_separates_the_bands():
    rng = random.Random(5)
    pairs = [(s := rng.random(), rng.random() < 0.5 + 0.5 * s) for _ in range(2000)] + [(0.95, True)] * 300
    knots = calibration.fit(pairs)
    assert calibration.is_monotone(knots)
    grid = [i / 200 for i in range(201)]
    values = [calibration.calibrate(x, knots) for x in grid]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == 0.99
    high = [ok for raw, ok in pairs if calibration.calibrate(raw, knots) >= 0.8]
    assert high and sum(high) / len(high) >= 0.98
    assert calibration.is_monotone(calibration.KNOTS)  # the shipped map


def test_calibrated_and_raw_confidence_are_both_kept():
    r = extract_document(make_pdf([invoice_page()]))
    f = r.fields["total"]
    assert f.raw_confidence is not None
    assert f.confidence == round(calibration.calibrate(f.raw_confidence, layer=f.source.layer, field="total"), 3)
    assert "raw_confidence" not in f.to_dict()


def test_a_threshold_takes_every_value_at_its_score():
    # 30 right values at 0.9, then 0.8 shared by 60 right and 2 wrong ones: counting only part of the tie
    # would pass 99 %, the whole tie does not (90 of 92): "high" starts at 0.9
    pairs = [(0.9, True)] * 30 + [(0.8, True)] * 60 + [(0.8, False)] * 2
    knots = calibration.fit(pairs)
    assert calibration.calibrate(0.9, knots) >= 0.8 > calibration.calibrate(0.8, knots)


def test_a_map_without_evidence_for_high_never_reaches_it():
    pairs = [(0.95, i % 5 != 0) for i in range(100)]  # 80 % right even at the top
    knots = calibration.fit(pairs)
    assert calibration.is_monotone(knots)
    assert max(calibration.calibrate(x / 100, knots) for x in range(101)) < 0.8
    assert max(calibration.calibrate(x / 100, calibration.fit([(0.9, False)] * 50)) for x in range(101)) < 0.5


def test_fitted_maps_hold_a_weak_field_to_its_own_evidence():
    # read by OCR: totals are right at high scores, vendor names often wrong at the same scores; payment terms
    # were seen only 5 times; text-layer values are all right
    items = ([(0.9, True, "ocr", "total")] * 80 + [(0.9, i % 4 != 0, "ocr", "vendor_name") for i in range(40)]
             + [(0.9, True, "ocr", "payment_terms")] * 5 + [(0.7, True, "text", "total")] * 120)
    maps = calibration.fit_maps(items, min_layer=100, min_field=20)
    assert set(maps["by_layer"]) == {"ocr", "text"}
    assert set(maps["by_field"]["ocr"]) == {"total", "vendor_name"}  # payment terms: too few to fit

    def cal(layer, field):
        return calibration.calibrate(0.9 if layer == "ocr" else 0.7, layer=layer, field=field, maps=maps)

    assert cal("ocr", "total") >= 0.8 > cal("ocr", "vendor_name")  # the same score, each field's own record
    assert cal("ocr", "vendor_name") < 0.5  # 75 % right is not even medium
    # fields without a map of their own: the layer's (92 % right on OCR at 0.9: medium, not high)
    assert 0.5 <= cal("ocr", "payment_terms") == cal("ocr", "iban") < 0.8
    assert cal("text", "total") >= 0.8


def test_values_read_with_a_vendor_profile_are_calibrated_as_their_own_population(monkeypatch):
    from billpay.capture.extraction import apply_profile, learn_profile

    # held-back first reads of text PDFs: vendor names never earned "high"; second bills read with a profile did
    monkeypatch.setattr(calibration, "KNOTS", ((0.0, 0.0), (0.5, 0.8), (1.0, 0.99)))
    monkeypatch.setattr(calibration, "LAYER_KNOTS", {"profile": ((0.0, 0.0), (0.6, 0.8), (1.0, 0.99))})
    monkeypatch.setattr(calibration, "FIELD_KNOTS", {"text": {"vendor_name": ((0.0, 0.0), (1.0, 0.49))}})
    first = extract_document(make_pdf([invoice_page()]))
    assert first.fields["vendor_name"].calibrated_as == "text" and first.fields["vendor_name"].confidence < 0.5
    profile = learn_profile(first, {"vendor_name": "Nordlicht Technik GmbH", "invoice_number": "RE-2024-0042",
                                    "invoice_date": "2024-03-14", "total": "1190.00", "currency": "EUR"})
    nxt = apply_profile(extract_document(make_pdf([invoice_page(number="RE-2024-0077")])), profile)
    vendor = nxt.fields["vendor_name"]
    assert vendor.value == "Nordlicht Technik GmbH" and vendor.calibrated_as == "profile"
    assert vendor.confidence == round(calibration.calibrate(vendor.raw_confidence, layer="profile"), 3) >= 0.8
    # another vendor's document read with this profile is not its population
    page = [t for t in invoice_page(vendor="Polder Handel B.V.")
            if not any(mark in t[3] for mark in ("IBAN", "USt", "nordlicht"))]  # nothing of Nordlicht's on it
    other = apply_profile(extract_document(make_pdf([page])), profile)
    assert {f.calibrated_as for f in other.fields.values()} <= {"text", None}


def test_the_shipped_field_maps_are_read_and_damaged_ones_dropped(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text('{"knots": [[0, 0], [1, 0.99]], "by_field": {"ocr": {"vendor_name": [[0, 0], [0.95, 0.8], [1, 0.99]],'
                    ' "total": [[0, 0.5], [0, 0.2]]}, "text": "x"}}')
    assert calibration.load_field_knots(path) == {"ocr": {"vendor_name": ((0.0, 0.0), (0.95, 0.8), (1.0, 0.99))}}
    path.write_text("[]")
    assert calibration.load_field_knots(path) == {}


def _line(amount: str, desc: str | None = "item") -> ExtractedLine:
    return ExtractedLine(description=ExtractedField(desc, 0.6) if desc else None, amount=ExtractedField(Decimal(amount), 0.6))


def test_stray_amount_without_description_is_dropped_when_the_lines_then_add_up():
    lines = [_line("10.00"), _line("20.00"), _line("7.00", None), _line("5.00")]
    kept = reconcile(lines, [Decimal("35.00")])
    assert [ln.amount.value for ln in kept] == [Decimal("10.00"), Decimal("20.00"), Decimal("5.00")]
    # a described line is never dropped, and lines that cannot be made to add up are kept as read
    described = [_line("10.00"), _line("20.00"), _line("7.00"), _line("5.00")]
    assert reconcile(described, [Decimal("35.00")]) == described
    assert reconcile(lines, [Decimal("99.00")]) == lines


TABLE_PAGE = [(50, 800, 14, "Nordlicht Technik GmbH"), (50, 760, 10, "Rechnung Nr. RE-7"),
            (50, 740, 10, "Rechnungsdatum 14.03.2024"),
            (50, 700, 10, "Beschreibung"), (300, 700, 10, "Menge"), (380, 700, 10, "Preis"), (480, 700, 10, "Betrag"),
            (50, 680, 10, "Wartung"), (300, 680, 10, "2"), (380, 680, 10, "100,00"), (480, 680, 10, "200,00"),
            (50, 665, 10, "Speicher 256 GB"), (300, 665, 10, "1"),
            (50, 650, 10, "Lizenz"), (300, 650, 10, "1"), (380, 650, 10, "50,00"), (480, 650, 10, "50,00"),
            (380, 620, 10, "Nettobetrag"), (480, 620, 10, "250,00"), (380, 605, 10, "MwSt. 19%"), (480, 605, 10, "47,50"),
            (380, 590, 10, "Gesamtbetrag"), (480, 590, 10, "297,50 EUR")]


def test_line_items_of_a_table_add_up_to_the_subtotal():
    r = extract_document(make_pdf([TABLE_PAGE]))
    assert [ln.amount.value for ln in r.lines] == [Decimal("200.00"), Decimal("50.00")]
    assert sum(ln.amount.value for ln in r.lines) == r.fields["subtotal"].value
    assert all(ln.amount.confidence >= 0.85 for ln in r.lines)  # they add up


def test_each_reading_layer_gets_its_own_map(tmp_path, monkeypatch):
    path = tmp_path / "calibration.json"
    path.write_text('{"knots": [[0, 0], [0.6, 0.8], [1, 0.99]], "by_layer": {"ocr": [[0, 0], [0.9, 0.8], [1, 0.99]],'
                    ' "text": [[0, 0], [0.5, 0.8], [1, 0.99]], "bad": [[0, 0.5], [0, 0.2]]}}')
    layers = calibration.load_layer_knots(path)
    assert set(layers) == {"ocr", "text"}  # a map that is not monotone is dropped
    monkeypatch.setattr(calibration, "KNOTS", calibration.load_knots(path))
    monkeypatch.setattr(calibration, "LAYER_KNOTS", layers)
    monkeypatch.setattr(calibration, "FIELD_KNOTS", {})
    # the same raw score: high when read from a text layer, medium when read by OCR, pooled for other layers
    assert calibration.calibrate(0.7, layer="text") >= 0.8 > calibration.calibrate(0.7, layer="ocr")
    assert calibration.calibrate(0.7, layer="xml") == calibration.calibrate(0.7) >= 0.8
    r = extract_document(make_pdf([invoice_page()]))
    f = r.fields["total"]
    assert f.source.layer == "text"
    assert f.confidence == round(calibration.calibrate(f.raw_confidence, layers["text"]), 3)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"knots": "x", "by_layer": [1]}',
                                     '{"knots": [[0, 0.5], [0, 0.2]], "by_layer": {"ocr": [["a", 1]]}}'])
def test_a_damaged_calibration_file_falls_back_to_the_identity(tmp_path, content):
    path = tmp_path / "calibration.json"
    path.write_text(content)
    assert calibration.load_knots(path) == ((0.0, 0.0), (1.0, 1.0))
    assert calibration.load_layer_knots(path) == {}


def _in_shadow(img):
    """A photo's light: bright on one side, down to 40 % on the other, darker still in one patch."""
    import numpy as np
    from PIL import Image

    page = np.asarray(img, dtype=np.float32)
    h, w = page.shape
    yy, xx = np.mgrid[0:h, 0:w]
    light = 0.4 + 0.6 * (xx / w * 0.7 + yy / h * 0.3)
    light *= 1 - 0.25 * np.exp(-(((xx - 0.3 * w) / (0.3 * w)) ** 2 + ((yy - 0.6 * h) / (0.3 * h)) ** 2))
    return Image.fromarray(np.clip(page * light, 0, 255).astype(np.uint8), "L")


def _reads_the_invoice(img, name: str, dpi: int = 200) -> None:
    """The image, saved as a PNG of ``dpi``, reads as ``invoice_page()``: number, total and IBAN."""
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(dpi, dpi))
    r = extract_document(buf.getvalue(), name)
    assert r.fields["invoice_number"].value == "RE-2024-0042"
    assert r.fields["total"].value == Decimal("1190.00")
    assert r.fields["iban"].value == "DE89370400440532013000"


@pytest.mark.slow
def test_a_page_photographed_in_uneven_light_is_evened_out_before_ocr():
    _reads_the_invoice(_in_shadow(_render(make_pdf([invoice_page()]), 200)), "photo.png")


def test_an_evenly_lit_page_is_left_as_it_is():
    img = _render(make_pdf([invoice_page()]), 200)
    assert ocr.even_light(img) is img
    evened = ocr.even_light(_in_shadow(img))
    assert evened is not img and min(evened.crop((0, 0, 40, 40)).get_flattened_data()) > 200  # the dark corner is paper again


def test_the_skew_of_a_page_is_measured_and_a_straight_page_left_alone():
    img = _render(make_pdf([invoice_page()]), 200)
    assert abs(ocr.skew_angle(img)) < 0.3
    assert ocr.straighten(img) is img
    for angle in (-3.5, 2.0, 4.5):
        turned = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
        assert abs(ocr.skew_angle(turned) + angle) <= 0.3  # the turn that undoes it
        assert abs(ocr.skew_angle(ocr.straighten(turned))) <= 0.3


def test_the_skew_of_a_long_till_receipt_is_measured():
    # a receipt as tall as three invoice pages, with short lines: measured on a copy that keeps its width (a copy
    # reduced to a third read 1.5 degrees as 0.8)
    receipt = make_pdf([[(15, 1700 - 14 * i, 9, f"ITEM {i}   1 x 2.50   2.50") for i in range(118)]], size=(220.0, 1720.0))
    img = _render(receipt, 200)
    assert abs(ocr.skew_angle(img)) < 0.3
    for angle in (-2.5, 1.5, 4.0):
        turned = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
        assert abs(ocr.skew_angle(turned) + angle) <= 0.3


@pytest.mark.slow
@pytest.mark.parametrize("angle", [-3.5, 4.0])
def test_a_page_scanned_askew_is_read_straightened(angle):
    from bench.public_sets import degrade

    img = degrade(_render(make_pdf([invoice_page()]), 200).rotate(angle, resample=Image.BICUBIC, expand=True,
                                                                   fillcolor=255), "askew")
    _reads_the_invoice(img, "askew.png")


def test_lines_running_down_the_page_are_told_from_upright_pages_and_receipts():
    img = _render(make_pdf([invoice_page()]), 200)
    assert not ocr.looks_sideways(img)
    assert ocr.looks_sideways(img.rotate(90, expand=True))
    assert ocr.looks_sideways(img.rotate(270, expand=True))
    receipt = make_pdf([[(15, 560 - 14 * i, 9, f"ITEM {i}   1 x 2.50   2.50") for i in range(30)]], size=(220.0, 600.0))
    assert not ocr.looks_sideways(_render(receipt, 200))


@pytest.mark.slow
@pytest.mark.parametrize("angle", [90, 270])
def test_a_page_photographed_sideways_is_turned_before_its_one_reading(angle, monkeypatch):
    # orientation is detected before OCR, so the page is read once, upright; it used to be read sideways,
    # then detected, then read again
    passes = []
    real = ocr._recognize
    monkeypatch.setattr(ocr, "_recognize", lambda img, *a, **k: passes.append(img.size) or real(img, *a, **k))
    img = _render(make_pdf([invoice_page()]), 200)
    _reads_the_invoice(img.rotate(angle, expand=True), "sideways.png")
    assert passes and passes[0][0] < passes[0][1]  # the first (and whole-page) pass reads a portrait page
    assert sum(1 for w, h in passes if w * h > 0.5 * img.width * img.height) == 1


@pytest.mark.slow
def test_an_upside_down_page_is_read_the_right_way_up():
    # its lines run across like an upright page's, so it is not turned before OCR: the first pass reads
    # nonsense, and orientation detection after it turns the page
    _reads_the_invoice(_render(make_pdf([invoice_page()]), 300).rotate(180), "upside-down.png", dpi=300)


def test_the_median_removes_a_scans_specks_and_keeps_its_strokes():
    page = np.full((40, 60), 255, dtype=np.uint8)
    page[10:30, 20:23] = 0  # a stroke three pixels wide
    page[5, 5] = page[35, 50] = 0  # specks
    page[18:23, 38:43] = 0
    page[20, 40] = 255  # a white speck inside ink
    got = np.asarray(ocr.median3(Image.fromarray(page, "L")))
    assert got[5, 5] == 255 and got[35, 50] == 255 and got[20, 40] == 0
    assert (got[11:29, 20:23] == 0).all()


def test_small_print_is_scaled_up_further_on_a_till_receipt_than_on_an_invoice():
    small = _render(make_pdf([[(40, 780 - 9 * i, 4, f"Line {i} of very small print 12.00") for i in range(60)]]), 150)
    assert ocr.choose_scale(small, 150) == ocr.UPSCALE_MOST[False] == 1.25
    assert ocr.choose_scale(small, 150, column=True) == ocr.UPSCALE_MOST[True] == 1.5
