"""SPEC 2.1 → 2.4 → 2.3 in one run: upload → confirm → send → approve → schedule → release → settle →
bill payment synced → Paid, through the API against the QuickBooks sandbox."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from billpay.payments.calendar import next_business_day
from billpay.sync.worker import tick

from .conftest import expense_account, mapped_vendor

DEV = Path(__file__).resolve().parents[3] / "shared/data/invoices/dev"


def test_upload_to_paid(stack, container):
    org = stack.org
    approver = org.add_user("approver@acme.test", ["approver"])
    vendor = mapped_vendor(stack)
    assert org.put("/approval-policy", {"steps": [{"name": "All bills", "min_amount": "0",
                                                   "approvers": [{"role": "approver"}], "required": 1}]}).status_code == 200
    r = org.client.post("/api/v1/bills", headers=org.h(),
                        files={"file": ("aws.pdf", (DEV / "AmazonWebServices.pdf").read_bytes(), "application/pdf")})
    assert r.status_code == 201, r.text
    bill_id = r.json()["id"]
    stack.work()  # extraction
    bill = org.get(f"/bills/{bill_id}").json()
    assert bill["amount"] and bill["invoice_number"]
    # review: the clerk sets the vendor and coding the extraction could not know
    r = org.patch(f"/bills/{bill_id}", {"vendor_id": vendor["id"], "payment_terms": "Net 30",
                                        "attributes": {"gl_account": expense_account(stack)}})
    assert r.status_code == 200, r.text
    low = [k for k, f in bill["extraction"]["fields"].items() if f and f.get("confidence", 1) < 0.5]
    names = {"vendor_name": "vendor_id", "invoice_number": "invoice_number", "total": "amount",
             "invoice_date": "invoice_date", "due_date": "due_date", "currency": "currency"}
    r = org.post(f"/bills/{bill_id}/confirm", {"confirmed_fields": [names[k] for k in low if k in names]})
    assert r.status_code == 200, r.text
    r = org.post(f"/bills/{bill_id}/send-to-payments", {"method": "ach"})
    assert r.status_code == 200, r.text
    payment_id = r.json()["payment"]["id"]
    stack.work()  # bill pushed as an Open bill
    bill = org.get(f"/bills/{bill_id}").json()
    assert bill["sync"]["status"] == "synced"
    ext = bill["sync"]["external_id"]
    day = next_business_day(dt.date.today() + dt.timedelta(days=3))
    r = org.post(f"/payments/{payment_id}/schedule", {"pay_date": day.isoformat(), "method": "ach"})
    assert r.json()["status"] == "pending_approval", r.text
    r = org.post(f"/payments/{payment_id}/approve")  # the creator may not be the only approver
    assert r.status_code == 403 and r.json()["code"] in ("approval_not_allowed", "approval_self_only")
    assert approver.post(f"/payments/{payment_id}/approve").json()["status"] == "scheduled"
    container.now = lambda: dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=dt.timezone.utc)
    tick(container)  # 4:30 AM in New York on the pay date: released
    assert org.get(f"/payments/{payment_id}").json()["status"] == "processing"
    later = next_business_day(next_business_day(day))
    container.now = lambda: dt.datetime(later.year, later.month, later.day, 15, tzinfo=dt.timezone.utc)
    tick(container)  # the sandbox bank settles after two business days
    assert org.get(f"/payments/{payment_id}").json()["status"] == "settled"
    assert org.post("/accounting/sync", {"payment_ids": [payment_id]}).status_code == 202
    stack.work()
    assert org.get(f"/bills/{bill_id}").json()["status"] == "paid"
    remote = {b.external_id: b for b in stack.platform_bills()}[ext]
    assert remote.balance == Decimal("0")
    assert stack.platform.count("BillPayment") == 1
