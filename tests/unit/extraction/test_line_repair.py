"""One line amount that OCR misread (a thousands group lost, a digit misread, the decimal comma lost) is mended
when the lines then add up to the subtotal or total, and only when exactly one line can explain the gap."""
from __future__ import annotations

from decimal import Decimal

from billpay.capture.extraction import extract_document
from billpay.capture.extraction.lines import mend_misread
from billpay.capture.extraction.model import ExtractedField, ExtractedLine, Source

from .pdfgen import make_pdf


def _line(amount: str, qty: str | None = None, price: str | None = None, layer: str = "ocr") -> ExtractedLine:
    read = ExtractedField(Decimal(amount), 0.6, Source(0, (0.8, 0.3, 0.9, 0.31), layer), raw_text=amount)
    return ExtractedLine(description=ExtractedField("item", 0.6), amount=read,
                         quantity=ExtractedField(Decimal(qty), 0.55) if qty else None,
                         unit_price=ExtractedField(Decimal(price), 0.55) if price else None)


def _amounts(lines: list[ExtractedLine]) -> list[Decimal]:
    return [ln.amount.value for ln in lines]


def test_a_lost_thousands_group_is_mended_by_quantity_times_price():
    # "4 203,69" read as "203,69": 735.66 + 14180.40 + 4203.69 = 19119.75; 4000 more could also turn 735.66
    # into 4735.66 or 14180.40 into 18180.40 by their digits, but only 3 x 1401.23 gives 4203.69
    lines = [_line("735.66"), _line("14180.40"), _line("203.69", "3", "1401.23")]
    got = mend_misread(lines, [Decimal("19119.75")])
    assert _amounts(got) == [Decimal("735.66"), Decimal("14180.40"), Decimal("4203.69")]
    assert got[2].amount.raw_text == "203.69"  # what OCR read stays visible


def test_quantity_times_price_mends_a_line_the_digits_alone_would_not():
    # 172.95 for 1,172.96: two digits off, but 4 x 293.24 says which line and what amount
    lines = [_line("335.72"), _line("172.95", "4", "293.24"), _line("873.20")]
    got = mend_misread(lines, [Decimal("2381.88")])
    assert _amounts(got)[1] == Decimal("1172.96")


def test_by_digits_alone_only_a_line_no_other_could_stand_for():
    # the only line: its leading group lost
    assert _amounts(mend_misread([_line("531.45")], [Decimal("3531.45")])) == [Decimal("3531.45")]
    # 10 more: 1,999.00 cannot be 2,009.00 by one digit, so the misread line is 2,121.07
    assert _amounts(mend_misread([_line("1999.00"), _line("2121.07")], [Decimal("4130.07")]))[1] == Decimal("2131.07")
    # "160,00" read as "16000": no other line is a hundredth of itself plus the gap
    assert _amounts(mend_misread([_line("16000.00"), _line("316.00"), _line("20.00")],
                                 [Decimal("496.00")]))[0] == Decimal("160.00")
    # 4000 more fits 735.66 -> 4735.66 and 203.69 -> 4203.69 alike, with no prices to tell: left as read
    same = [_line("735.66"), _line("203.69")]
    assert _amounts(mend_misread(same, [Decimal("4939.35")])) == [Decimal("735.66"), Decimal("203.69")]


def test_lines_are_left_as_read_when_they_add_up_or_no_single_line_explains_the_gap():
    adds_up = [_line("10.00"), _line("20.00")]
    assert _amounts(mend_misread(adds_up, [Decimal("30.00")])) == [Decimal("10.00"), Decimal("20.00")]
    # a line not read at all (a gap of 17.43) is no misreading of any line
    missing = [_line("10.00"), _line("20.00")]
    assert _amounts(mend_misread(missing, [Decimal("47.43")])) == [Decimal("10.00"), Decimal("20.00")]
    # 80 more: either 10.00 could be a misread 90.00 (and 5.00 a lost-group 85.00): ambiguous, nothing changes
    twins = [_line("10.00"), _line("10.00"), _line("5.00")]
    assert _amounts(mend_misread(twins, [Decimal("105.00")])) == [Decimal("10.00"), Decimal("10.00"), Decimal("5.00")]
    assert _amounts(mend_misread(missing, [])) == [Decimal("10.00"), Decimal("20.00")]


def test_a_line_discount_under_a_subtotal_before_discounts_is_no_misreading():
    # 3 x 100.00 less 10 % is 270.00 as printed; the subtotal 330.00 is before the discount. Quantity times
    # price gives the 300.00 the sum asks for, but 270.00 is two digits off it: no OCR slip, left as read
    lines = [_line("270.00", "3", "100.00"), _line("30.00", "1", "30.00")]
    assert _amounts(mend_misread(lines, [Decimal("330.00")])) == [Decimal("270.00"), Decimal("30.00")]


def test_a_text_layers_amounts_are_as_printed_and_never_mended():
    lines = [_line("531.45", layer="text")]
    assert _amounts(mend_misread(lines, [Decimal("3531.45")])) == [Decimal("531.45")]
    # the same on a whole digital page: the printed 531.69 stays, and the lines are not confirmed by the sum
    page = [(50, 800, 14, "Alder Tooling GmbH"), (350, 770, 10, "Invoice no: AT-2291"),
            (350, 755, 10, "Invoice date: 12/03/2024"),
            (50, 700, 10, "Description"), (300, 700, 10, "Qty"), (380, 700, 10, "Unit price"), (480, 700, 10, "Amount"),
            (50, 680, 10, "Milling cutters"), (300, 680, 10, "2"), (380, 680, 10, "1,250.00"), (480, 680, 10, "2,500.00"),
            (50, 665, 10, "Calibration"), (300, 665, 10, "3"), (380, 665, 10, "1,177.23"), (480, 665, 10, "531.69"),
            (380, 630, 10, "Subtotal"), (480, 630, 10, "6,031.69"),
            (380, 615, 10, "VAT 19%"), (480, 615, 10, "1,146.02"),
            (380, 600, 10, "Total"), (480, 600, 10, "7,177.71")]
    r = extract_document(make_pdf([page]))
    assert r.fields["total"].value == Decimal("7177.71")
    assert [ln.amount.value for ln in r.lines] == [Decimal("2500.00"), Decimal("531.69")]
    assert all(ln.amount.confidence < 0.85 for ln in r.lines)


def test_a_line_read_as_zero_is_no_slip_of_the_gap():
    # a receipt's "ROUNDING 0.00" read as a line under a total of 52.80: the 52.80 the sum asks for is no lost
    # leading group of 0.00 (nothing of it was read), so the line stays as read
    assert _amounts(mend_misread([_line("0.00")], [Decimal("52.80")])) == [Decimal("0.00")]
    assert _amounts(mend_misread([_line("0.00"), _line("12.00")], [Decimal("40.80")])) == [Decimal("0.00"), Decimal("12.00")]
