from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from billpay.payments.calendar import is_business_day, next_business_day

from .conftest import bill_body, problem, verified_by_colleague


def future_business_day(days: int = 10) -> str:
    return next_business_day(dt.date.today() + dt.timedelta(days=days)).isoformat()


def next_weekend_day() -> str:
    d = dt.date.today() + dt.timedelta(days=7)
    while d.weekday() != 5:
        d += dt.timedelta(days=1)
    return d.isoformat()


@pytest.fixture
def draft(org, vendor):
    bill = org.post("/bills", bill_body(vendor["id"], amount="8000.00")).json()
    org.post(f"/bills/{bill['id']}/confirm")
    return org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]


def _policy(org, approver_ids, required="any", min_amount="5000"):
    r = org.put("/approval-policy", {"steps": [{"name": "Large", "min_amount": min_amount,
                                                "approvers": [{"user_id": u} for u in approver_ids],
                                                "required": required}]})
    assert r.status_code == 200, r.text
    return r.json()


def test_schedule_without_policy_goes_straight_to_scheduled(org, draft):
    r = org.post(f"/payments/{draft['id']}/schedule", {"pay_date": future_business_day(), "method": "ach"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "scheduled" and r.json()["method"] == "ach"


def test_bad_pay_dates_and_methods(org, draft):
    body = problem(org.post(f"/payments/{draft['id']}/schedule", {"pay_date": next_weekend_day(), "method": "ach"}),
                   422, "pay_date_not_business_day")
    assert is_business_day(dt.date.fromisoformat(body["next_business_day"]))
    problem(org.post(f"/payments/{draft['id']}/schedule", {"pay_date": "2020-01-02", "method": "ach"}),
            422, "pay_date_in_past")
    bare = org.post("/vendors", {"name": "No Details Inc"}).json()
    b2 = org.post("/bills", bill_body(bare["id"], amount="10.00")).json()
    org.post(f"/bills/{b2['id']}/confirm")
    p2 = org.post(f"/bills/{b2['id']}/send-to-payments").json()["payment"]
    for method in ("ach", "wire", "check"):
        problem(org.post(f"/payments/{p2['id']}/schedule", {"pay_date": future_business_day(), "method": method}),
                422, "vendor_payment_details_missing")
    problem(org.post(f"/payments/{draft['id']}/schedule", {"pay_date": future_business_day(), "method": "cash"}),
            422, "value_invalid")
    problem(org.patch(f"/payments/{draft['id']}", {"amount": "9000.00"}), 422, "amount_exceeds_open_balance")


def test_approval_policy_with_segregation_of_duties(org, draft):
    approver = org.add_user("appr@acme.test", ["approver"])
    clerk = org.add_user("clerk@acme.test", ["ap_clerk"])
    _policy(org, [approver.user_id, org.user_id], required="all")
    r = org.post(f"/payments/{draft['id']}/schedule", {"pay_date": future_business_day(), "method": "ach"})
    assert r.json()["status"] == "pending_approval", r.text
    problem(clerk.post(f"/payments/{draft['id']}/approve"), 403, "forbidden")
    # the admin created and confirmed the bill: they may approve, but never as the only approver
    r = org.post(f"/payments/{draft['id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending_approval"
    problem(org.post(f"/payments/{draft['id']}/approve"), 409, "approval_duplicate")
    r = approver.post(f"/payments/{draft['id']}/approve")
    assert r.json()["status"] == "scheduled", r.text
    assert [d["decision"] for d in r.json()["decisions"]] == ["approve", "approve"]
    actions = [e["action"] for e in org.get("/audit-events", params={"record_id": draft["id"]}).json()["data"]]
    assert actions.count("payment.approved") == 2


def test_creator_alone_cannot_approve(org, draft):
    _policy(org, [org.user_id])
    org.post(f"/payments/{draft['id']}/schedule", {"pay_date": future_business_day(), "method": "ach"})
    problem(org.post(f"/payments/{draft['id']}/approve"), 403, "approval_self_only")


def test_reject_sends_back_to_draft_with_reason_and_policy_change_does_not_touch_it(org, draft):
    approver = org.add_user("appr@acme.test", ["approver"])
    _policy(org, [approver.user_id])
    org.post(f"/payments/{draft['id']}/schedule", {"pay_date": future_business_day(), "method": "ach"})
    _policy(org, [approver.user_id], min_amount="100000")  # later policy change
    assert org.get(f"/payments/{draft['id']}").json()["approval"]["steps"][0]["min_amount"] == "5000"
    problem(approver.post(f"/payments/{draft['id']}/reject", {}), 422, "reason_required")
    r = approver.post(f"/payments/{draft['id']}/reject", {"reason": "wrong cost centre"})
    assert r.json()["status"] == "draft" and "wrong cost centre" in r.json()["status_reason"]
    # rescheduled under the new policy: no approval needed any more
    r = org.post(f"/payments/{draft['id']}/schedule", {"pay_date": future_business_day(), "method": "ach"})
    assert r.json()["status"] == "scheduled"


def test_release_settle_and_return(org, container, draft):
    from billpay.services import payments as svc
    from billpay.services.context import Actor

    pay_date = dt.date.fromisoformat(future_business_day(3))
    org.post(f"/payments/{draft['id']}/schedule", {"pay_date": pay_date.isoformat(), "method": "ach"})
    # the release happens at 4 AM New York time on the pay date
    new_york = ZoneInfo("America/New_York")  # EST or EDT, whichever the pay date falls in
    container.now = lambda: dt.datetime.combine(pay_date, dt.time(3, 30), new_york).astimezone(dt.timezone.utc)
    with container.tx(Actor.system(org.id)) as ctx:
        assert svc.release_due(ctx) == []  # 03:30 in New York: not yet
    container.now = lambda: dt.datetime.combine(pay_date, dt.time(4, 5), new_york).astimezone(dt.timezone.utc)
    with container.tx(Actor.system(org.id)) as ctx:
        assert svc.release_due(ctx) == [draft["id"]]
    p = org.get(f"/payments/{draft['id']}").json()
    assert p["status"] == "processing" and p["bank_reference"]
    problem(org.post(f"/payments/{draft['id']}/cancel"), 409, "invalid_transition")
    r = org.post("/sandbox-bank/settle", {"payment_id": draft["id"], "outcome": "returned", "return_code": "R03"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "failed" and r.json()["return_code"] == "R03"
    assert "R03" in r.json()["status_reason"]
    assert org.get(f"/bills/{p['bill_id']}").json()["status"] == "open"


def test_settlement_marks_bill_paid_without_a_connection(org, container, vendor):
    bill = org.post("/bills", bill_body(vendor["id"], amount="100.00")).json()
    org.post(f"/bills/{bill['id']}/confirm")
    pay = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
    day = dt.date.fromisoformat(future_business_day(2))
    org.post(f"/payments/{pay['id']}/schedule", {"pay_date": day.isoformat(), "method": "ach"})
    container.now = lambda: dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
    from billpay.sync.worker import tick

    tick(container)
    assert org.get(f"/payments/{pay['id']}").json()["status"] == "processing"
    r = org.post("/sandbox-bank/settle", {"payment_id": pay["id"], "outcome": "settled"})
    assert r.json()["status"] == "settled"
    assert org.get(f"/bills/{bill['id']}").json()["status"] == "paid"
    problem(org.patch(f"/bills/{bill['id']}", {"attributes": {"class": "x"}}), 409, "invalid_transition")


def test_approval_policy_validation(org):
    problem(org.put("/approval-policy", {"steps": [{"min_amount": "10", "approvers": [], "required": "any"}]}),
            422, "policy_step_no_approvers")
    problem(org.put("/approval-policy", {"steps": [{"min_amount": "10", "approvers": [{"role": "boss"}]}]}),
            422, "policy_unknown_role")
    problem(org.put("/approval-policy", {"steps": [{"min_amount": "10", "approvers": [{"user_id": "usr_x"}]}]}),
            422, "user_not_found")


def _release(container, org, pay, day):
    from billpay.sync.worker import tick

    org.post(f"/payments/{pay['id']}/schedule", {"pay_date": day.isoformat(), "method": "ach"})
    container.now = lambda: dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
    tick(container)


def test_nacha_bank_file_rail(org, container, draft):
    problem(org.patch("/settings", {"payment_rail": "nacha_file"}), 422, "originator_missing")
    r = org.patch("/settings", {"payment_rail": "nacha_file", "originator": {
        "company_name": "Acme Corp", "company_id": "1234567890", "odfi_routing": "021000021",
        "account_number": "987654321"}})
    assert r.status_code == 200, r.text
    day = dt.date.fromisoformat(future_business_day(2))
    _release(container, org, draft, day)
    p = org.get(f"/payments/{draft['id']}").json()
    assert p["status"] == "processing"
    files = org.get("/bank-files").json()["data"]
    assert len(files) == 1 and files[0]["payment_ids"] == [draft["id"]] and files[0]["total"] == "8000.00"
    content = org.get(f"/bank-files/{files[0]['id']}/download").content.decode()
    lines = content.splitlines()
    assert all(len(line) == 94 for line in lines) and len(lines) % 10 == 0
    entry = next(line for line in lines if line.startswith("6"))
    assert entry[29:39] == "0000800000"  # $8,000.00 in cents
    # the sandbox bank does not settle bank-file payments; the bank's report is recorded instead
    tick_day = day + dt.timedelta(days=7)
    container.now = lambda: dt.datetime(tick_day.year, tick_day.month, tick_day.day, 12, tzinfo=dt.timezone.utc)
    from billpay.sync.worker import tick

    tick(container)
    assert org.get(f"/payments/{draft['id']}").json()["status"] == "processing"


def test_sandbox_bank_simulates_a_return_from_the_account_number(org, container):
    v = org.post("/vendors", {"name": "Returns Inc", "routing_number": "021000021",
                              "account_number": "12399903"}).json()
    v = verified_by_colleague(org, v)
    bill = org.post("/bills", bill_body(v["id"], amount="75.00")).json()
    org.post(f"/bills/{bill['id']}/confirm")
    pay = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
    day = dt.date.fromisoformat(future_business_day(2))
    _release(container, org, pay, day)
    later = next_business_day(next_business_day(next_business_day(day)))
    container.now = lambda: dt.datetime(later.year, later.month, later.day, 12, tzinfo=dt.timezone.utc)
    from billpay.sync.worker import tick

    tick(container)
    p = org.get(f"/payments/{pay['id']}").json()
    assert p["status"] == "failed" and p["return_code"] == "R03"
    assert "bank details look wrong" in p["status_reason"]


def test_approval_states_of_a_page_match_each_payment_alone(org, container, vendor):
    from billpay.db import tables as t
    from billpay.services import payments as svc
    from billpay.services.context import Actor

    approver = org.add_user("appr@acme.test", ["approver"])
    _policy(org, [approver.user_id, org.user_id], required="all")
    ids = []
    for amount in ("8000.00", "9000.00"):
        bill = org.post("/bills", bill_body(vendor["id"], amount=amount, invoice_number=f"INV-{amount}")).json()
        org.post(f"/bills/{bill['id']}/confirm")
        pay = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
        r = org.post(f"/payments/{pay['id']}/schedule", {"pay_date": future_business_day(), "method": "ach"})
        assert r.json()["status"] == "pending_approval", r.text
        ids.append(pay["id"])
    assert approver.post(f"/payments/{ids[0]}/approve").status_code == 200
    with container.tx(Actor(org.id, org.user_id, frozenset({"admin"}))) as ctx:
        rows = [ctx.get(t.Payment, i) for i in ids]
        states = svc.approval_states(ctx, rows)
        assert states == {p.id: svc.approval_state(ctx, p) for p in rows}
        assert states[ids[0]] != states[ids[1]]


def test_dashboard_lists_the_oldest_payments_ready_to_sync_and_counts_them_all(org, container, vendor):
    from billpay.services import accounting, sync_records
    from billpay.services.context import Actor
    from billpay.sync.worker import tick

    day = dt.date.fromisoformat(future_business_day(2))
    ids = []
    for amount in ("100.00", "200.00", "300.00"):
        bill = org.post("/bills", bill_body(vendor["id"], amount=amount, invoice_number=f"INV-{amount}")).json()
        org.post(f"/bills/{bill['id']}/confirm")
        pay = org.post(f"/bills/{bill['id']}/send-to-payments").json()["payment"]
        org.post(f"/payments/{pay['id']}/schedule", {"pay_date": day.isoformat(), "method": "ach"})
        ids.append(pay["id"])
    container.now = lambda: dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
    tick(container)
    for pid in ids:
        assert org.post("/sandbox-bank/settle", {"payment_id": pid, "outcome": "settled"}).json()["status"] == "settled"
    ids.sort()
    with container.tx(Actor.system(org.id)) as ctx:
        d = accounting.dashboard(ctx, limit=2)
        assert [p.id for p in d["ready"]] == ids[:2] and d["ready_count"] == 3
        sync_records.mark_pending(ctx, "payment", ids[0])
    with container.tx(Actor.system(org.id)) as ctx:
        d = accounting.dashboard(ctx, limit=2)
        assert [p.id for p in d["ready"]] == ids[1:] and d["ready_count"] == 2 and d["pending"] == 1
        assert [p.id for p in accounting.ready_payments(ctx)] == ids[1:]
