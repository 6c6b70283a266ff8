"""billpay's coding merged into a bill a person changed on the platform (``sync.merge``)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billpay.sync.merge import merge_coding
from billpay.sync.ports import BillLinePayload, BillPayload, RemoteBill

D = dt.date(2025, 3, 3)


def ours(**kw) -> BillPayload:
    base = dict(bill_id="bill_1", vendor_external_id="56", invoice_number="INV-1", invoice_date=D,
                due_date=D + dt.timedelta(days=30), currency="USD", amount=Decimal("100.00"),
                lines=[BillLinePayload(Decimal("60.00"), "Parts", "7", {"class": "C2"}),
                       BillLinePayload(Decimal("40.00"), "Labour", "8", {})], memo="from billpay",
                dimensions={"department": "D1"})
    return BillPayload(**{**base, **kw})


def theirs(**kw) -> RemoteBill:
    base = dict(external_id="151", version="4", vendor_external_id="56", invoice_number="INV-1", invoice_date=D,
                due_date=D + dt.timedelta(days=45), currency="USD", amount=Decimal("100.00"),
                balance=Decimal("100.00"), memo="agreed by phone",
                lines=[BillLinePayload(Decimal("60.00"), "Parts (edited)", "9", {"class": "C1"}),
                       BillLinePayload(Decimal("40.00"), "Labour", "8", {})])
    return RemoteBill(**{**base, **kw})


def test_the_platform_keeps_what_a_person_changed_and_billpay_its_coding():
    merged = merge_coding(ours(), theirs(), "QuickBooks Online")
    assert merged.conflict is None
    assert merged.kept == {"due_date": D + dt.timedelta(days=45), "memo": "agreed by phone"}
    p = merged.payload
    assert p.due_date == D + dt.timedelta(days=45) and p.memo == "agreed by phone"
    assert [(ln.account_id, dict(ln.dimensions), ln.description) for ln in p.lines] == [
        ("7", {"class": "C2"}, "Parts (edited)"), ("8", {}, "Labour")]
    assert p.dimensions == {"department": "D1"}


def test_lines_changed_there_are_a_conflict_in_words():
    changed = theirs(lines=[BillLinePayload(Decimal("100.00"), None, "9", {})])
    merged = merge_coding(ours(), changed, "NetSuite")
    assert merged.payload is None
    assert "1 line totalling 100.00 USD there" in merged.conflict and "billpay has 2 lines" in merged.conflict
    assert "NetSuite" in merged.conflict


def test_vendor_or_currency_changed_there_is_a_conflict():
    assert "vendor" in merge_coding(ours(), theirs(vendor_external_id="57"), "NetSuite").conflict
    assert "EUR" in merge_coding(ours(), theirs(currency="EUR"), "NetSuite").conflict
