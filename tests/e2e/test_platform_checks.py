"""What the platform would refuse is said at Send to Payments, with the fix, before a payment draft exists.

Before: an unsupported currency or a closed period was only discovered when the bill was pushed,
after the payment draft existed; only one problem was named at a time.
"""
from __future__ import annotations

import datetime as dt

from .conftest import expense_account, mapped_vendor

INVOICE_DAY = dt.date(2026, 11, 2)


def _confirmed(stack, vendor: dict, **over) -> dict:
    body = {"vendor_id": vendor["id"], "invoice_number": over.pop("number", "PC-1"),
            "invoice_date": INVOICE_DAY.isoformat(), "payment_terms": "Net 30", "amount": "150.00",
            "attributes": {"gl_account": expense_account(stack)}, **over}
    bill = stack.org.post("/bills", body)
    assert bill.status_code == 201, bill.text
    r = stack.org.post(f"/bills/{bill.json()['id']}/confirm")
    assert r.status_code == 200, r.text
    return r.json()


def test_closed_period_and_foreign_currency_are_refused_with_the_fix_and_no_draft(stack):
    platform = stack.platform
    platform.set_company_settings(book_close_date="2026-11-15")
    assert stack.org.post("/accounting/connection/refresh").status_code == 202
    stack.work()
    vendor = mapped_vendor(stack)
    bill = _confirmed(stack, vendor, currency="EUR")
    r = stack.org.post(f"/bills/{bill['id']}/send-to-payments")
    assert r.status_code == 422, r.text
    body = r.json()
    assert [p["code"] for p in body["problems"]] == ["currency_not_supported", "period_closed"]
    assert body["code"] == "currency_not_supported"
    assert "closed through 2026-11-15" in body["detail"] and "multicurrency" in body["detail"]
    assert all(p["fix"] for p in body["problems"])
    assert stack.org.get("/payments").json()["data"] == []
    assert stack.org.get(f"/bills/{bill['id']}").json()["status"] == "confirmed"
    # the books reopen: a bill in the home currency dated in the open period goes through
    platform.set_company_settings(book_close_date=None)
    stack.org.post("/accounting/connection/refresh")
    stack.work()
    ok = _confirmed(stack, vendor, number="PC-2", amount="151.00")
    assert stack.org.post(f"/bills/{ok['id']}/send-to-payments").status_code == 200


def test_unmapped_vendor_and_missing_account_are_named_together_with_a_link(stack):
    vendor = stack.org.post("/vendors", {"name": "Not On The Platform LLC"}).json()
    bill = _confirmed(stack, vendor, attributes={})
    body = stack.org.post(f"/bills/{bill['id']}/send-to-payments").json()
    assert body["code"] == "vendor_not_mapped" and body["vendor_id"] == vendor["id"]
    assert [p["code"] for p in body["problems"]] == ["vendor_not_mapped", "attributes_incomplete"]
    assert body["problems"][0]["link"] == f"/vendors/{vendor['id']}"
    assert stack.org.get("/payments").json()["data"] == []
