"""Vendor matching against the vendor master, and per-vendor learning from a confirmed bill."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billpay.capture.extraction import (
    VendorCandidate,
    VendorProfile,
    apply_profile,
    extract_document,
    learn_profile,
    match_vendor,
)

from .pdfgen import invoice_page, make_pdf

VENDORS = [
    VendorCandidate("v1", "Acme Supplies Ltd", tax_id="GB123456789"),
    VendorCandidate("v2", "Nordlicht Technik GmbH", tax_id="DE123456789"),
    VendorCandidate("v3", "Other Bank Customer", iban="DE89 3704 0044 0532 0130 00"),
    VendorCandidate("v4", "Mail Only Co", email_domain="nordlicht-technik.de"),
    VendorCandidate("v5", "Nordlicht Technik", aliases=("Nordlicht",)),
]


def _bill(**kw) -> bytes:
    return make_pdf([invoice_page(**kw)])


def test_match_by_tax_id_first():
    m = match_vendor(extract_document(_bill()), VENDORS)
    assert m.vendor_id == "v2" and m.score >= 0.95 and "tax id" in m.reason


def test_match_by_iban_then_domain_then_name():
    r = extract_document(_bill())
    assert match_vendor(r, [v for v in VENDORS if v.id != "v2"]).vendor_id == "v3"
    assert match_vendor(r, [v for v in VENDORS if v.id in ("v4", "v5")]).vendor_id == "v4"
    m = match_vendor(r, [VENDORS[4], VendorCandidate("x", "Completely Different SA")])
    assert m.vendor_id == "v5" and "name" in m.reason and m.score < 0.95


def test_no_match_returns_none():
    r = extract_document(_bill())
    assert match_vendor(r, [VendorCandidate("x", "Completely Different SA")]) is None
    assert match_vendor(r, []) is None


# A vendor whose layout the generic rules misread: the invoice number sits under an
# unlabelled reference line, the dates are ambiguous day/month, and the amount to pay
# is printed after an unusual label.
def _odd_bill(number: str, date: str, total: str) -> bytes:
    page = [
        (50, 790, 16, "Polder Handel B.V."),
        (50, 760, 9, "Ref. klant 88231"),
        (50, 700, 10, "Kenmerk"), (200, 700, 10, number),
        (50, 686, 10, "Datum"), (200, 686, 10, date),
        (50, 660, 10, "Omschrijving"), (400, 660, 10, "Bedrag"),
        (50, 646, 10, "Onderhoud"), (400, 646, 10, "100,00"),
        (300, 600, 10, "Te voldoen"), (400, 600, 10, total),
        (300, 586, 10, "Totaal"), (400, 586, 10, "999,99"),
        (50, 500, 9, "IBAN NL50 INGB 0683 2513 09"),
    ]
    return make_pdf([page])


def test_learning_fixes_what_the_user_corrected():
    first = extract_document(_odd_bill("PH-77120", "04-03-2024", "121,00"))
    wrong = {k: first.value(k) for k in ("invoice_number", "total")}
    assert wrong["total"] != Decimal("121.00")  # the generic reading takes the "Totaal" line
    confirmed = {"vendor_name": "Polder Handel B.V.", "invoice_number": "PH-77120", "invoice_date": "2024-03-04",
                 "total": "121.00", "currency": "EUR", "iban": "NL50INGB0683251309"}
    profile = learn_profile(first, confirmed, None)
    assert profile.rules["total"].label == "te voldoen" and profile.rules["invoice_number"].label == "kenmerk"
    assert profile.date_order is None or profile.date_order == "DMY"

    nxt = extract_document(_odd_bill("PH-77388", "05-06-2024", "242,00"), profile=profile)
    assert nxt.fields["total"].value == Decimal("242.00")
    assert nxt.fields["invoice_number"].value == "PH-77388"
    assert nxt.fields["invoice_date"].value == dt.date(2024, 6, 5)
    assert nxt.fields["vendor_name"].value == "Polder Handel B.V." and nxt.fields["vendor_name"].confidence >= 0.9
    # the same through apply_profile on an already extracted bill
    again = apply_profile(extract_document(_odd_bill("PH-77388", "05-06-2024", "242,00")), profile)
    assert again.fields["total"].value == Decimal("242.00")


def test_profile_learns_month_first_dates():
    page = [(50, 790, 16, "Bluepeak Software Inc."), (50, 700, 10, "Invoice #: 5512"), (50, 686, 10, "Date: 04/05/2024"),
            (300, 600, 10, "Total: $500.00")]
    first = extract_document(make_pdf([page]))
    profile = learn_profile(first, {"invoice_date": "2024-04-05", "total": "500.00"}, None)
    assert profile.date_order == "MDY"
    eu_like = [(50, 790, 16, "Bluepeak Software Inc."), (50, 700, 10, "Invoice #: 5513"), (50, 686, 10, "Date: 06/07/2024"),
               (300, 600, 10, "Total: 500,00 EUR")]
    assert extract_document(make_pdf([eu_like]), profile=profile).fields["invoice_date"].value == dt.date(2024, 6, 7)


def test_changed_iban_is_flagged_not_taken_over():
    profile = VendorProfile(vendor_name="Nordlicht Technik GmbH", iban="DE02120300000000202051")
    r = extract_document(_bill(), profile=profile)
    assert r.fields["iban"].value == "DE89370400440532013000"  # what the page says ...
    assert r.fields["iban"].confidence <= 0.5  # ... flagged for review
    assert any("IBAN differs" in w for w in r.warnings)


def test_profile_json_round_trip_and_merge():
    first = extract_document(_odd_bill("PH-77120", "04-03-2024", "121,00"))
    p1 = learn_profile(first, {"vendor_name": "Polder Handel B.V.", "total": "121.00"}, None)
    p2 = learn_profile(first, {"invoice_number": "PH-77120"}, p1)
    assert p2.confirmations == 2 and "total" in p2.rules and "invoice_number" in p2.rules
    assert p1.confirmations == 1 and "invoice_number" not in p1.rules  # previous profile untouched
    back = VendorProfile.from_json(p2.to_json())
    assert back == p2
