"""A credit note (French "Avoir", negative total) becomes a vendor credit, synced as the platform's
vendor credit and taken off the vendor's next bill payment.

Before: the negative total was dropped, leaving a bill with a blank amount; nothing reached the platform.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from billpay.db import tables as t
from billpay.sync import lease as lease_mod
from billpay.sync import worker
from billpay.sync.worker import tick

from ..api.conftest import verified_by_colleague
from .conftest import expense_account, requires

DEV = Path(__file__).resolve().parents[3] / "shared/data/invoices/dev"
NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.timezone.utc)  # Monday
PAY_DAY = dt.date(2026, 11, 20)  # Friday


@pytest.fixture(autouse=True)
def _vendor_credits_declared(request):
    requires(request, "vendor_credits")


def _mapped(stack) -> dict:
    ext = stack.ref("vendors")[0]
    return stack.org.post("/vendors", {"name": ext["name"], "accounting_vendor_id": ext["id"]}).json()


def test_avoir_becomes_a_vendor_credit_applied_to_the_next_payment(stack, container):
    org, platform = stack.org, stack.platform
    container.now = lambda: NOW
    platform.set_company_settings(home_currency="EUR")
    euro_bank = platform.add_bank_account("Compte courant", "EUR")
    org.post("/accounting/connection/refresh")
    stack.work()
    # bill payments in euros are drawn on the account chosen for euros, never on one billpay picks
    assert org.patch("/accounting/connection/options", {"bank_accounts": {"EUR": euro_bank}}).status_code == 200
    # a vendor of the (now euro) company: a transaction is in its vendor's currency, so one made in euros
    vendor = org.post("/vendors", {"name": "Au bon moulin", "iban": "FR1420041010050500013M02606",
                                   "bic": "PSSTFRPPXXX", "default_currency": "EUR"}).json()
    assert org.post(f"/vendors/{vendor['id']}/create-in-platform").status_code == 202
    stack.work()
    vendor = verified_by_colleague(org, vendor)
    assert vendor["accounting_vendor_id"]
    r = org.client.post("/api/v1/bills", headers=org.h(), files={
        "file": ("Avoir.pdf", (DEV / "Avoir_FR_type381_EN16931.pdf").read_bytes(), "application/pdf")})
    assert r.status_code == 201, r.text
    credit_id = r.json()["id"]
    stack.work()  # extraction
    credit = org.get(f"/bills/{credit_id}").json()
    assert credit["kind"] == "credit" and credit["amount"] == "233.47" and credit["currency"] == "EUR"
    split = org.post(f"/bills/{credit_id}/split-by-line-items").json()
    assert [(ln["amount"], ln["description"]) for ln in split["lines"]][-1] == ("14.99", "Tax")
    assert [ln["amount"] for ln in split["lines"]] == ["20.48", "198.00", "14.99"]
    r = org.patch(f"/bills/{credit_id}", {"vendor_id": vendor["id"], "attributes": {"gl_account": expense_account(stack)}})
    assert r.status_code == 200, r.text
    low = [k for k, f in credit["extraction"]["fields"].items() if f and f.get("confidence", 1) < 0.5]
    names = {"vendor_name": "vendor_id", "invoice_number": "invoice_number", "total": "amount",
             "invoice_date": "invoice_date", "due_date": "due_date", "currency": "currency"}
    r = org.post(f"/bills/{credit_id}/confirm", {"confirmed_fields": [names[k] for k in low if k in names]})
    assert r.status_code == 200, r.text
    r = org.post(f"/bills/{credit_id}/send-to-payments")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open" and r.json()["payment"] is None
    stack.work()
    synced = org.get(f"/bills/{credit_id}").json()["sync"]
    assert synced["status"] == "synced", synced
    assert platform.read("VendorCredit", synced["external_id"])["TotalAmt"] == Decimal("233.47")

    # the vendor's next bill: the credit is taken off the payment, the bank sends the rest
    bill = org.post("/bills", {"vendor_id": vendor["id"], "invoice_number": "F-2026-77", "invoice_date": "2026-11-10",
                               "payment_terms": "Net 30", "amount": "1000.00", "currency": "EUR",
                               "attributes": {"gl_account": expense_account(stack)}}).json()
    org.post(f"/bills/{bill['id']}/confirm")
    payment = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
    stack.work()
    p = org.post(f"/payments/{payment['id']}/schedule", {"pay_date": PAY_DAY.isoformat(), "method": "wire"}).json()
    assert p["credits_applied"] == [{"credit_id": credit_id, "amount": "233.47", "reference": "AV-2017-0005"}]
    assert p["amount"] == "1000.00" and p["cash_amount"] == "766.53"
    container.now = lambda: dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc)
    tick(container)
    assert org.post("/sandbox-bank/settle", {"payment_id": payment["id"], "outcome": "settled"}).status_code == 200
    assert org.get(f"/bills/{credit_id}").json()["status"] == "paid"  # the credit is used up
    assert org.post("/accounting/sync", {"payment_ids": [payment["id"]]}).status_code == 202
    stack.work()
    assert org.get(f"/bills/{bill['id']}").json()["status"] == "paid"
    payments = platform.records("BillPayment")
    assert len(payments) == 1 and payments[0]["TotalAmt"] == Decimal("766.53")
    kinds = sorted(line["LinkedTxn"][0]["TxnType"] for line in payments[0]["Line"])
    assert kinds == ["Bill", "VendorCredit"]
    assert platform.read("VendorCredit", synced["external_id"])["Balance"] == Decimal("0")

    # the bank returns the payment after settlement: the bill reopens, and so does the credit it used, in billpay
    # and, once the bill payment is reversed, on the platform
    r = org.post("/sandbox-bank/settle", {"payment_id": payment["id"], "outcome": "returned", "return_code": "R03"})
    assert r.status_code == 200, r.text
    assert org.get(f"/bills/{bill['id']}").json()["status"] == "open"
    reopened = org.get(f"/bills/{credit_id}").json()
    assert reopened["status"] == "open" and reopened["paid_amount"] == "0.00"
    assert org.get(f"/payments/{payment['id']}").json()["credits_applied"] == []
    if platform.reverses_payments:
        stack.work()
        assert platform.read("VendorCredit", synced["external_id"])["Balance"] == Decimal("233.47")


def test_a_credit_whose_answer_was_lost_is_written_once(stack, container):
    """A timeout after the platform committed the vendor credit: the retry replays the request as sent and the
    platform answers it from its idempotency memory, never a second credit."""
    org, platform = stack.org, stack.platform
    vendor = _mapped(stack)
    credit = org.post("/bills", {"kind": "credit", "vendor_id": vendor["id"], "invoice_number": "CN-9",
                                 "invoice_date": "2026-11-02", "amount": "40.00",
                                 "attributes": {"gl_account": expense_account(stack)}}).json()
    assert credit["kind"] == "credit"
    org.post(f"/bills/{credit['id']}/confirm")
    platform.faults(timeout_after_commit=1)
    assert org.post(f"/bills/{credit['id']}/send-to-payments").json()["payment"] is None
    for _ in range(3):
        stack.work()
        with container.sessionmaker() as s, s.begin():
            s.execute(update(t.Outbox).values(available_at=container.now()))
    assert org.get(f"/bills/{credit['id']}").json()["sync"]["status"] == "synced"
    assert platform.count("VendorCredit") == 1
    assert platform.absorbed_retries() >= 1  # the fault fired: the answer came from the platform's memory


def test_a_worker_killed_after_the_platform_wrote_the_credit_replays_it_as_sent(stack, monkeypatch):
    """The platform committed the vendor credit, billpay did not record it (the worker was killed): the next
    worker takes the connection over and replays the kept request as sent; nothing is written twice."""
    org, platform, container = stack.org, stack.platform, stack.container
    vendor = _mapped(stack)
    credit = org.post("/bills", {"kind": "credit", "vendor_id": vendor["id"], "invoice_number": "CN-10",
                                 "invoice_date": "2026-11-02", "amount": "25.00",
                                 "attributes": {"gl_account": expense_account(stack)}}).json()
    org.post(f"/bills/{credit['id']}/confirm")
    org.post(f"/bills/{credit['id']}/send-to-payments")
    container.settings.sync_heartbeat_seconds = 0  # a killed worker's heartbeat stops with it
    real_tx = container.tx
    calls = {"n": 0}

    def dying_tx(actor):
        calls["n"] += 1
        if calls["n"] == 2:  # the transaction that records the platform's answer
            raise SystemExit("worker killed")
        return real_tx(actor)

    monkeypatch.setattr(lease_mod.Lease, "release", lambda self: None)  # killed: nothing is released
    container.tx = dying_tx
    try:
        with pytest.raises(SystemExit):
            worker.drain_connection(container, org.id, owner="doomed")
    finally:
        container.tx = real_tx
        monkeypatch.undo()
    assert platform.count("VendorCredit") == 1  # committed on the platform
    assert org.get(f"/bills/{credit['id']}").json()["sync"]["external_id"] is None  # but not recorded here
    base = container.now()
    container.now = lambda: base + dt.timedelta(seconds=container.settings.sync_lease_seconds + 1)
    before = platform.api_calls()
    stack.work()
    synced = org.get(f"/bills/{credit['id']}").json()["sync"]
    assert synced["status"] == "synced" and synced["external_id"]
    assert platform.count("VendorCredit") == 1
    assert platform.api_calls() - before == platform.calls_per_replay  # one replay as sent, no lookups
