"""Till receipts: ringgit, totals checked against cash and change, rounding, vendors, dates, high-resolution scans."""
from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from PIL import Image

from billpay.capture.extraction import engine, extract_document, ocr
from billpay.capture.extraction.amounts import currency_votes, find_amounts
from billpay.capture.extraction.dates import find_dates

from .pdfgen import make_pdf
from .test_dev_accuracy import RECEIPTS


def _receipt(*lines: str) -> bytes:
    return "\n".join(lines).encode()


def _values(r) -> dict:
    return {k: f.value for k, f in r.fields.items()}


def test_rm_is_ringgit():
    assert [(a.value, a.currency) for a in find_amounts("Total RM 12.50  Paid RM12.50")] == [
        (Decimal("12.50"), "MYR"), (Decimal("12.50"), "MYR")]
    r = extract_document(_receipt("KEDAI MAJU TRADING", "Date: 13/03/2018", "TOTAL RM 12.50", "CASH RM 20.00",
                                  "CHANGE RM 7.50"))
    v = _values(r)
    assert v["currency"] == "MYR" and v["total"] == Decimal("12.50")
    assert v["invoice_date"] == dt.date(2018, 3, 13)  # day first, as in Malaysia


def test_dollar_sign_on_a_malaysian_receipt_is_ringgit_and_a_us_invoice_stays_usd():
    my = "UNIHAKKA INTERNATIONAL SDN BHD\n12, Jalan Tampoi 7/4, Kawasan Perindustrian\n81200 Johor Bahru, Johor\nTotal $8.20"
    assert max(currency_votes(my).items(), key=lambda kv: kv[1])[0] == "MYR"
    r = extract_document(my.encode())
    assert r.fields["currency"].value == "MYR"
    us = extract_document(b"Acme Inc.\n12 Main Street, Austin, TX 78701\nInvoice No: 55\nTotal due $8.20")
    assert us.fields["currency"].value == "USD"


def test_cash_minus_change_decides_a_misread_total():
    # a weakly labelled total misread as 100.80: cash 101.00 less change 0.10 says 100.90
    r = extract_document(_receipt("YONG TAT HARDWARE TRADING", "Date: 13/03/2018", "Total 100.80",
                                  "CASH : 101.00", "Change : 0.10"))
    assert r.fields["total"].value == Decimal("100.90")


def test_a_strong_total_that_cash_and_change_contradict_is_not_high_confidence():
    r = extract_document(_receipt("YONG TAT HARDWARE TRADING", "Date: 13/03/2018", "Total Sales (Inclusive of GST): 100.80",
                                  "CASH : 101.00", "Change : 0.10"))
    assert r.fields["total"].value == Decimal("100.80") and r.fields["total"].band != "high"


def test_cash_without_change_does_not_override_a_printed_total():
    r = extract_document(_receipt("BAR WANG RICE SDN BHD", "Total Amount: 8.20", "Nett Total: 8.20", "CASH 3.20",
                                  "Change 0.00"))
    assert r.fields["total"].value == Decimal("8.20")


def test_rounding_adjustment_gives_the_amount_paid():
    r = extract_document(_receipt("KMF FOODICIOUS SDN BHD (1132106-H)", "Date : 09-04-2018 19:22:25",
                                  "Total (Inclusive of GST): 31.02", "Rounding Adj: -0.02", "CASH : 31.00"))
    assert r.fields["total"].value == Decimal("31.00")


def test_gst_summary_table_is_not_the_total():
    r = extract_document(_receipt("LIAN HING STATIONERY SDN BHD", "Total Incl. GST 95.17", "CASH 100.00",
                                  "GST Summary  Amount(RM)  Tax(RM)", "Total: 89.78 5.39"))
    assert r.fields["total"].value == Decimal("95.17")


def test_legal_form_on_the_next_line_completes_the_vendor_name():
    r = extract_document(_receipt("UNIHAKKA INTERNATIONAL", "SDN BHD", "(867388-U)", "12, Jalan Tampoi 7/4",
                                  "Invoice # : OR18030302170430", "Total Amount: RM 8.20"))
    assert r.fields["vendor_name"].value.upper().startswith("UNIHAKKA INTERNATIONAL SDN BHD")


def test_shop_name_wins_over_the_company_that_owns_it():
    r = extract_document(_receipt("SANYU STATIONERY SHOP", "NO. 31G&33G, JALAN SETIA INDAH", "40170 SETIA ALAM",
                                  "GST ID No: 001531760640", "TAX INVOICE", "Owned By", "SANYU SUPPLY SDN BHD (1135772-K)",
                                  "Total RM 4.50"))
    assert r.fields["vendor_name"].value == "SANYU STATIONERY SHOP"


def test_compact_date_printed_with_the_time():
    assert find_dates("00440010036 25032018 13:11:54 0603")[0].value(None) == dt.date(2018, 3, 25)
    assert find_dates("20180304 10:22")[0].value(None) == dt.date(2018, 3, 4)
    assert find_dates("Barcode 25032018") == []  # eight digits alone are a number, not a date


def _receipt_page(items: int = 1) -> bytes:
    """A till receipt; ``items`` key duplicates of 10.00 (one, or enough for a long roll read as one column)."""
    w = 227.0  # 80 mm till roll
    lines = [(20, 560, 11, "GOLDEN KEY MAKER"), (20, 545, 8, "NO 5, JALAN KENARI 5, BANDAR PUCHONG JAYA"),
             (20, 532, 8, "47100 PUCHONG, SELANGOR"), (20, 505, 8, "Date: 24/03/2018   Time: 12:04"),
             (20, 490, 8, "Doc No: CS-0014134")]
    lines += [(20, 460 - 16 * i, 8, f"KEY DUPLICATE {i + 1:>2}      1     10.00") for i in range(items)]
    y = 460 - 16 * items
    total = f"{10 * items}.00"
    lines += [(20, y - 4, 9, f"TOTAL                       RM {total}"),
              (20, y - 19, 8, f"CASH                        RM {10 * items + 10}.00"),
              (20, y - 34, 8, "CHANGE                      RM 10.00"), (20, y - 64, 8, "THANK YOU, PLEASE COME AGAIN")]
    return make_pdf([lines], size=(w, 600.0))


@pytest.mark.slow
def test_600_dpi_receipt_reads_even_when_its_header_claims_96_dpi():
    # a clear receipt scanned at 600 dpi in the middle of an A4 page (4961 x 7016 px), saved with a wrong 96-dpi header
    page = pdfium.PdfDocument(_receipt_page())[0].render(scale=600 / 72, grayscale=True).to_pil().convert("L")
    a4 = Image.new("L", (4961, 7016), 255)
    a4.paste(page, ((4961 - page.width) // 2, 800))
    buf = io.BytesIO()
    a4.save(buf, "JPEG", quality=90, dpi=(96, 96))
    r = extract_document(buf.getvalue(), "receipt.jpg")
    assert r.status != "rejected", r.reason
    v = _values(r)
    assert v["total"] == Decimal("10.00") and v["currency"] == "MYR"
    assert v["invoice_date"] == dt.date(2018, 3, 24)
    assert "GOLDEN KEY" in v["vendor_name"].upper()


def _receipt_image(dpi: int = 200, items: int = 1) -> bytes:
    page = pdfium.PdfDocument(_receipt_page(items))[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    buf = io.BytesIO()
    page.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def _counting_pages(monkeypatch) -> list[bool]:
    """Record every OCR page reading (and whether it was read as one block), the engine itself running."""
    calls: list[bool] = []
    real, again = ocr.ocr_page, ocr.read_as_block

    def counted(*args, **kwargs):
        calls.append(kwargs.get("as_block", False))
        return real(*args, **kwargs)

    def counted_again(*args, **kwargs):
        calls.append(True)
        return again(*args, **kwargs)

    monkeypatch.setattr(ocr, "ocr_page", counted)
    monkeypatch.setattr(ocr, "read_as_block", counted_again)
    return calls


def _counting_preparations(monkeypatch) -> list[int]:
    made: list[int] = []
    real = ocr.prepare

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ocr, "prepare", counted)
    return made


@pytest.mark.slow
def test_a_receipt_read_again_reuses_the_image_its_first_reading_prepared(monkeypatch):
    # every total in doubt: this clear receipt is read a second time, as one block
    monkeypatch.setattr(engine, "RECEIPT_DOUBT", 1.01)
    calls, made = _counting_pages(monkeypatch), _counting_preparations(monkeypatch)
    engines: list[tuple] = []
    real_api = ocr._api

    def api(lang, psm=None, extra=None):
        made_here = real_api(lang, psm, extra)
        engines.append((psm, made_here.GetVariableAsString("tessedit_do_invert")))
        return made_here

    monkeypatch.setattr(ocr, "_api", api)
    data = _receipt_image(items=20)
    r = extract_document(data, "receipt.png")
    assert calls == [False, True] and r.alt_document is not None
    assert len(made) == 1  # decoded, levelled, scaled and cleaned once for both readings
    # the first reading tries doubtful words inverted (white on black), the second, as one block, does not
    assert engines[0] == (ocr.tesserocr.PSM.SINGLE_COLUMN, "1")
    assert engines[-1] == (ocr.tesserocr.PSM.SINGLE_BLOCK, "0")
    # the same words as a block reading of the file from scratch
    scratch = ocr.ocr_page(Image.open(io.BytesIO(data)), 0, dpi_hint=200, deadline=time.monotonic() + 60, as_block=True)
    def read(words):  # (a PNG stores its resolution in dots per metre: 200 dpi comes back as 199.99)
        return [(w.text, round(w.x0, 1), round(w.y0, 1), round(w.x1, 1), round(w.y1, 1), w.conf) for w in words]

    assert read(r.alt_document.pages[0].words) == read(scratch.words)
    # and the images are let go once the document is read: the result keeps words, not pixels
    assert all(p.prepared is None for p in r.document.pages + r.alt_document.pages)


@pytest.mark.slow
def test_a_scanned_pdf_does_not_keep_its_page_images(monkeypatch):
    pages = []
    real = ocr.ocr_page

    def kept(*args, **kwargs):
        page = real(*args, **kwargs)
        pages.append(page)
        return page

    monkeypatch.setattr(ocr, "ocr_page", kept)
    img = Image.open(io.BytesIO(_receipt_image(items=20)))
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=200)
    r = extract_document(buf.getvalue(), "receipt.pdf")
    assert r.status != "rejected", r.reason
    assert pages and pages[0].single_column  # a receipt page, the kind a second reading would want
    assert all(p.prepared is None for p in pages)


@pytest.mark.slow
def test_a_receipt_whose_total_cash_and_change_agree_is_read_once(monkeypatch):
    calls = _counting_pages(monkeypatch)
    r = extract_document(_receipt_image(items=20), "receipt.png")
    assert r.document.pages[0].single_column  # a long roll, the kind a doubtful total would have read again
    assert r.fields["total"].value == Decimal("200.00")
    assert calls == [False]
    assert r.alt_document is None


DROPPED_AMOUNTS = RECEIPTS / "X51007339152.jpg"  # tuned part of the dev set


@pytest.mark.slow
@pytest.mark.skipif(not DROPPED_AMOUNTS.exists(), reason="shared dev set not present")
def test_a_receipt_whose_amounts_the_column_reading_drops_is_read_again_as_one_block(monkeypatch):
    # Read as a column of lines, this clear receipt loses its whole amount column ("Total", "Final Total" and
    # "CASH" come without a number) and its shop name loses to the owning company; read as one block, the
    # amounts are there: 4.50, and cash 50.00 less change 45.50 confirms it.
    calls = _counting_pages(monkeypatch)
    r = extract_document(DROPPED_AMOUNTS.read_bytes(), DROPPED_AMOUNTS.name)
    assert calls == [False, True]
    assert r.alt_document is not None
    v = _values(r)
    assert v["total"] == Decimal("4.50") and v["currency"] == "MYR"
    assert "STATIONERY SHOP" in v["vendor_name"]  # the shop, not "SANYU SUPPLY SDN BHD" that owns it
