"""The scheduler finds payments by ``payments.due_at``: the release at 4 AM in the organization's time zone
(daylight saving included), the sandbox bank's settlement, a missed approval deadline. The column follows
every change (scheduling, the organization's time zone, cancelling) and the tick starts nothing early."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from billpay.db import tables as t
from billpay.sync import schedule, worker

from .conftest import bill_body

UTC = dt.timezone.utc
NY = ZoneInfo("America/New_York")


def at(*args, tz=UTC) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def clock(container):
    now = {"t": at(2026, 3, 5, 15)}  # Thursday; New York springs forward on Sunday the 8th
    container.now = lambda: now["t"]
    return now


def _payment(org, vendor, amount="800.00", number="INV-1") -> dict:
    bill = org.post("/bills", bill_body(vendor["id"], amount=amount, invoice_number=number)).json()
    assert org.post(f"/bills/{bill['id']}/confirm").status_code == 200
    return org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]


def due_at(container, payment_id: str) -> dt.datetime | None:
    with container.sessionmaker() as s:
        return s.get(t.Payment, payment_id).due_at


def payment_row(container, payment_id: str) -> dict:
    """What the database holds, for a failure message (a missing due date was once a factory that
    ``payment_due.install`` took for hooked: tests/unit/payments/test_payment_due_install.py)."""
    with container.sessionmaker() as s:
        p = s.get(t.Payment, payment_id)
        return {"status": p.status, "pay_date": p.pay_date, "due_at": p.due_at, "version": p.version,
                "approval_snapshot": p.approval_snapshot, "status_reason": p.status_reason}


def payments_due_jobs(container) -> list[str]:
    with container.sessionmaker() as s:
        return list(s.scalars(select(t.Outbox.org_id).where(t.Outbox.kind == "payments_due")))


def test_release_settlement_and_time_zone_changes_keep_due_at(container, org, vendor, clock):
    p = _payment(org, vendor)
    assert due_at(container, p["id"]) is None  # a draft waits on no clock
    r = org.post(f"/payments/{p['id']}/schedule", {"pay_date": "2026-03-09", "method": "ach"})
    assert r.json()["status"] == "scheduled", r.text
    assert due_at(container, p["id"]) == at(2026, 3, 9, 4, tz=NY) == at(2026, 3, 9, 8)  # 4 AM EDT
    assert org.patch("/settings", {"timezone": "America/Los_Angeles"}).status_code == 200
    assert due_at(container, p["id"]) == at(2026, 3, 9, 11)  # 4 AM PDT
    assert org.patch("/settings", {"timezone": "America/New_York", "payment_release_hour": 6}).status_code == 200
    assert due_at(container, p["id"]) == at(2026, 3, 9, 10)
    assert org.patch("/settings", {"payment_release_hour": 4}).status_code == 200

    clock["t"] = at(2026, 3, 9, 7, 59)
    assert schedule.tick(container).payments == []
    clock["t"] = at(2026, 3, 9, 8, 0, 30)
    assert schedule.tick(container).payments == [org.id]
    assert schedule.tick(container).payments == []  # the same minute: the tick already ran
    worker.run_until_idle(container)
    p = org.get(f"/payments/{p['id']}").json()
    assert p["status"] == "processing"
    settles = dt.date.fromisoformat(p["expected_settlement_date"])
    assert due_at(container, p["id"]) == at(settles.year, settles.month, settles.day, tz=NY)

    clock["t"] = at(settles.year, settles.month, settles.day, 4, 1)
    assert schedule.tick(container).payments == [org.id]
    worker.run_until_idle(container)
    assert org.get(f"/payments/{p['id']}").json()["status"] == "settled"
    assert due_at(container, p["id"]) is None
    assert len(payments_due_jobs(container)) == 2


def test_a_cancelled_payment_is_no_longer_due(container, org, vendor, clock):
    p = _payment(org, vendor)
    r = org.post(f"/payments/{p['id']}/schedule", {"pay_date": "2026-03-10", "method": "ach"})
    assert r.status_code == 200, r.text  # once failed under a faked 2026-12-31 23:50 with no due date: say why
    assert due_at(container, p["id"]) is not None, payment_row(container, p["id"])
    assert org.post(f"/payments/{p['id']}/cancel").status_code == 200
    assert due_at(container, p["id"]) is None
    clock["t"] = at(2026, 3, 10, 12)
    assert schedule.tick(container).payments == []


def test_a_missed_approval_deadline_is_marked_at_the_start_of_the_next_day(container, org, vendor, clock):
    approver = org.add_user("approver@acme.test", ["approver"])
    r = org.put("/approval-policy", {"steps": [{"name": "Large", "min_amount": "5000",
                                                "approvers": [{"user_id": approver.user_id}], "required": "any"}]})
    assert r.status_code == 200, r.text
    p = _payment(org, vendor, amount="9000.00", number="BIG-1")
    r = org.post(f"/payments/{p['id']}/schedule", {"pay_date": "2026-03-10", "method": "ach"})
    assert r.json()["status"] == "pending_approval", r.text
    # approvals are due by Monday the 9th: overdue from Tuesday 00:00 in New York
    assert due_at(container, p["id"]) == at(2026, 3, 10, 0, tz=NY), payment_row(container, p["id"])
    clock["t"] = at(2026, 3, 10, 4, 5)
    assert schedule.tick(container).payments == [org.id]
    worker.run_until_idle(container)
    p = org.get(f"/payments/{p['id']}").json()
    assert p["status"] == "pending_approval" and p["status_reason"].startswith("Overdue")
    assert due_at(container, p["id"]) is None
    clock["t"] = at(2026, 3, 10, 4, 6)
    assert schedule.tick(container).payments == []
