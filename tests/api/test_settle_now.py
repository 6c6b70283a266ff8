"""sandbox-bank/settle "settles or returns a payment now": a scheduled payment is released at once through
the daily release's guards and submission, then settled or returned. Real rails are unchanged."""
from __future__ import annotations

from .conftest import bill_body, problem
from .test_payments import _policy, future_business_day


def _scheduled(org, vendor, amount="300.00", number="INV-SN"):
    bill = org.post("/bills", bill_body(vendor["id"], amount=amount, invoice_number=number)).json()
    org.post(f"/bills/{bill['id']}/confirm")
    pay = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
    r = org.post(f"/payments/{pay['id']}/schedule", {"pay_date": future_business_day(10), "method": "ach"})
    assert r.status_code == 200, r.text
    return bill, r.json()


def test_a_scheduled_payment_settles_now(org, vendor):
    bill, pay = _scheduled(org, vendor)
    assert pay["status"] == "scheduled"
    r = org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["status"] == "settled" and p["released_at"] and p["bank_reference"] and p["settled_at"]
    assert org.get(f"/bills/{bill['id']}").json()["status"] == "paid"
    actions = [e["action"] for e in org.get("/audit-events", params={"record_id": pay["id"]}).json()["data"]]
    assert "payment.released" in actions  # the same release as the daily one


def test_a_scheduled_payment_is_returned_now_with_its_code(org, vendor):
    bill, pay = _scheduled(org, vendor)
    r = org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "returned", "return_code": "R03"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "failed" and r.json()["return_code"] == "R03" and r.json()["released_at"]
    assert org.get(f"/bills/{bill['id']}").json()["status"] == "open"


def test_a_bad_return_code_releases_nothing(org, vendor):
    _, pay = _scheduled(org, vendor)
    problem(org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "returned", "return_code": "X9"}),
            422, "return_code_invalid")
    p = org.get(f"/payments/{pay['id']}").json()
    assert p["status"] == "scheduled" and p["released_at"] is None


def test_a_payment_awaiting_approval_is_not_released(org, vendor):
    approver = org.add_user("appr@acme.test", ["approver"])
    _policy(org, [approver.user_id], min_amount="100")
    _, pay = _scheduled(org, vendor)
    assert pay["status"] == "pending_approval"
    problem(org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"}), 409,
            "approval_required")
    assert org.get(f"/payments/{pay['id']}").json()["status"] == "pending_approval"
    approver.post(f"/payments/{pay['id']}/approve")
    r = org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"})
    assert r.json()["status"] == "settled", r.text


def test_a_bill_paid_elsewhere_stops_the_release(org, vendor, container):
    from sqlalchemy import update

    from billpay.db import tables as t

    bill, pay = _scheduled(org, vendor)
    with container.sessionmaker() as s, s.begin():  # the pull saw it paid in the accounting platform
        s.execute(update(t.Bill).where(t.Bill.id == bill["id"]).values(status="paid"))
    body = problem(org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"}), 409,
                   "release_refused")
    assert "paid" in body["detail"]
    p = org.get(f"/payments/{pay['id']}").json()
    assert p["status"] == "scheduled" and p["released_at"] is None  # the refusal changed nothing


def test_bank_file_rails_do_not_settle_on_request(org, vendor):
    _, pay = _scheduled(org, vendor)
    r = org.patch("/settings", {"payment_rail": "nacha_file", "originator": {
        "company_name": "Acme", "company_id": "1234567890", "odfi_routing": "021000021", "account_number": "12345"}})
    assert r.status_code == 200, r.text
    problem(org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"}), 409,
            "invalid_transition")
    assert org.get(f"/payments/{pay['id']}").json()["status"] == "scheduled"
