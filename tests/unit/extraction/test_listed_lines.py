"""Line items printed without a table header (a cloud provider's "Detail" section: one row per service, its
own charges and tax indented under it) are found by their sum: a run of rows at one indent whose amounts add
up to the cent to the total. Nothing is guessed when no run adds up."""
from __future__ import annotations

from decimal import Decimal

from billpay.capture.extraction import extract_document

from .pdfgen import make_pdf

HEAD = [(50, 800, 14, "Nimbus Cloud Services Inc."), (300, 770, 10, "Invoice Number: 5521-884"),
        (300, 755, 10, "Invoice Date: March 3, 2024"), (300, 730, 10, "TOTAL AMOUNT DUE ON March 3, 2024"),
        (500, 730, 10, "$41.29")]
SUMMARY = [(42, 680, 10, "Summary"), (50, 665, 10, "Cloud Service Charges"), (500, 665, 10, "$41.29"),
           (62, 650, 10, "Charges"), (505, 650, 10, "$41.29"), (62, 635, 10, "Credits"), (505, 635, 10, "$0.00"),
           (62, 620, 10, "Tax *"), (505, 620, 10, "$0.00"), (42, 605, 10, "Total for this invoice"),
           (500, 605, 10, "$41.29")]


def _service(y: float, name: str, amount: str) -> list:
    return [(50, y, 10, name), (500, y, 10, amount), (62, y - 15, 10, "Charges"), (505, y - 15, 10, amount),
            (62, y - 30, 10, "VAT **"), (505, y - 30, 10, "$0.00")]


def _detail(*services: tuple[str, str]) -> list:
    out = [(42, 570, 10, "Detail")]
    for i, (name, amount) in enumerate(services):
        out += _service(555 - 45 * i, name, amount)
    return out


def _lines(page: list) -> list[tuple[str, Decimal, float]]:
    r = extract_document(make_pdf([page]))
    assert r.fields["total"].value == Decimal("41.29")
    return [(ln.description.value, ln.amount.value, ln.amount.confidence) for ln in r.lines]


def test_services_listed_under_a_heading_are_the_lines_when_they_add_up_to_the_total():
    got = _lines(HEAD + SUMMARY + _detail(("Compute Engine", "$30.00"), ("Object Storage", "$11.04"),
                                          ("Data Transfer", "$0.25")))
    # found by their sum, which therefore does not vouch for them: a medium confidence, not a table's 0.85
    assert got == [("Compute Engine", Decimal("30.00"), 0.6), ("Object Storage", Decimal("11.04"), 0.6),
                   ("Data Transfer", Decimal("0.25"), 0.6)]


def test_no_lines_are_guessed_when_no_run_of_rows_adds_up():
    assert _lines(HEAD + SUMMARY + _detail(("Compute Engine", "$30.00"), ("Object Storage", "$11.00"),
                                           ("Data Transfer", "$0.25"))) == []


def test_a_summary_of_charges_and_zero_credits_is_not_a_list_of_lines():
    """"Charges 41.29 / Credits 0.00" adds up, but one amount is not a list."""
    assert _lines(HEAD + SUMMARY) == []


def test_a_totals_block_is_never_read_as_lines():
    page = HEAD + [(300, 650, 10, "Subtotal"), (500, 650, 10, "$35.00"), (300, 635, 10, "Sales tax"),
                   (500, 635, 10, "$6.29"), (300, 620, 10, "Total"), (500, 620, 10, "$41.29")]
    assert _lines(page) == []
