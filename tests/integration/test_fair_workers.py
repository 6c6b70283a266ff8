"""Fair workers: connection work goes in turns, least recently served organization first, so one organization
with a long queue does not hold up another's single bill; a back-off hands the work back instead of holding
the lease or the thread; other jobs are claimed round robin with a per-organization cap."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from billpay.db import tables as t
from billpay.ids import new_id
from billpay.services import bills as bill_services
from billpay.services import vendors as vendor_services
from billpay.services.context import Actor
from billpay.services.orgs import create_organization, create_user
from billpay.sync import worker
from billpay.sync.ports import ConnectorError
from billpay.web.app import create_app

UTC = dt.timezone.utc


class Clock:
    """A clock that moves 10 ms per reading, so turns are ordered as they would be in time."""

    def __init__(self, start: dt.datetime) -> None:
        self.t = start

    def __call__(self) -> dt.datetime:
        self.t += dt.timedelta(milliseconds=10)
        return self.t


def _connected_org(container, client, name: str) -> tuple[str, Actor, dict]:
    with container.sessionmaker() as s, s.begin():
        out = create_organization(s, container.vault, name=name, admin_email=f"admin@{name.lower()}.test")
    h = {"Authorization": f"Bearer {out.api_key}"}
    r = client.put("/api/v1/accounting/connection", json={"platform": "quickbooks", "sandbox": True}, headers=h)
    assert r.status_code == 200, r.text
    worker.run_until_idle(container)  # reference data
    ext = client.get("/api/v1/accounting/reference-data/vendors", headers=h).json()["data"][0]
    accounts = client.get("/api/v1/accounting/reference-data/accounts", headers=h).json()["data"]
    account = next(a for a in accounts if a["active"] and "xpense" in str(a["extra"]))
    v = client.post("/api/v1/vendors", json={"name": ext["name"], "routing_number": "021000021",
                                             "account_number": "123456789", "accounting_vendor_id": ext["id"]},
                    headers=h)
    assert v.status_code == 201, v.text
    actor = Actor(out.organization_id, out.user_id, frozenset({"admin"}), "user")
    with container.tx(actor) as ctx:  # new bank details wait for a second person
        colleague = create_user(ctx, email=f"colleague@{name.lower()}.test", roles=["admin"])
    with container.tx(Actor(out.organization_id, colleague.id, frozenset({"admin"}), "user")) as ctx:
        vendor_services.verify_bank_details(ctx, v.json()["id"])
    return out.organization_id, actor, {"vendor_id": v.json()["id"], "gl_account": account["id"]}


def _send_bills(container, actor: Actor, coding: dict, n: int, prefix: str) -> None:
    with container.tx(actor) as ctx:
        for i in range(n):
            bill = bill_services.create_bill(ctx, {
                "vendor_id": coding["vendor_id"], "invoice_number": f"{prefix}-{i}", "invoice_date": "2026-04-01",
                "payment_terms": "Net 30", "amount": f"{10 + i}.00", "attributes": {"gl_account": coding["gl_account"]}})
            bill_services.confirm_bill(ctx, bill.id)
            bill_services.send_to_payments(ctx, bill.id, method="ach")


def test_a_small_organization_is_served_after_one_turn_of_a_big_one(container):
    container.now = Clock(dt.datetime(2026, 4, 2, 14, tzinfo=UTC))
    container.settings.sync_turn_seconds = 0  # one round per turn
    client = TestClient(create_app(container), raise_server_exceptions=False)
    big, big_actor, big_coding = _connected_org(container, client, "Big")
    small, small_actor, small_coding = _connected_org(container, client, "Small")
    _send_bills(container, big_actor, big_coding, 150, "BIG")  # queued first: 5 QuickBooks batches
    _send_bills(container, small_actor, small_coding, 1, "SMALL")
    turns: list[tuple[str, int]] = []
    push = worker.CONNECTION_HANDLERS["push_bill"]

    def recording(container, org_id, jobs, lease):  # noqa: ANN001
        turns.append((org_id, len(jobs)))
        return push(container, org_id, jobs, lease)

    worker.CONNECTION_HANDLERS["push_bill"] = recording
    try:
        worker.run_until_idle(container)
    finally:
        worker.CONNECTION_HANDLERS["push_bill"] = push
    # the big queue is pushed in whole batches, one turn at a time; the small bill goes after the first turn
    assert turns == [(big, 120), (small, 1), (big, 30)]
    with container.sessionmaker() as s:
        states = {(r.org_id, r.state) for r in s.scalars(select(t.SyncRecord).where(t.SyncRecord.record_type == "bill"))}
    assert states == {(big, "synced"), (small, "synced")}


def _bare_connection(container) -> str:
    org, con = new_id("org"), new_id("con")
    with container.sessionmaker() as s, s.begin():
        s.add(t.Organization(id=org, name=org, settings={}, approval_policy={}, inbox_token=new_id("in"),
                             inbox_secret_enc="x"))
        s.flush()
        s.add(t.Connection(id=con, org_id=org, platform="quickbooks", sandbox=True, status="connected",
                           config={"company_id": org}, health={}, lease_token=0))
    return org


def _queue(container, org: str, kind: str, n: int) -> None:
    with container.tx(Actor.system(org)) as ctx:
        for i in range(n):
            ctx.enqueue(kind, f"{org}-{i}")


@pytest.fixture
def test_kinds():
    yield
    worker.CONNECTION_HANDLERS.pop("test_conn", None)
    worker.HANDLERS.pop("test_job", None)


def test_a_back_off_hands_the_work_back_and_frees_the_lease_and_the_thread(container, test_kinds):
    now = dt.datetime(2026, 4, 2, 14, tzinfo=UTC)
    container.now = lambda: now
    throttled, fine = _bare_connection(container), _bare_connection(container)
    _queue(container, throttled, "test_conn", 3)
    _queue(container, fine, "test_conn", 2)
    ran: list[str] = []

    def handler(container, org_id, jobs, lease):  # noqa: ANN001
        ran.append(org_id)
        if org_id == throttled:
            raise ConnectorError("platform_rate_limited", "slow down", kind="transient", retry_after=30)
        return {}

    worker.CONNECTION_HANDLERS["test_conn"] = handler
    assert worker.run_until_idle(container) == 5
    assert sorted(ran) == sorted([throttled, fine])  # one try each: nobody slept on the 30 s
    with container.sessionmaker() as s:
        rows = {r.record_id: r for r in s.scalars(select(t.Outbox))}
        conns = {c.org_id: c for c in s.scalars(select(t.Connection))}
    back = [r for r in rows.values() if r.org_id == throttled]
    assert {r.status for r in back} == {"pending"}
    assert {r.available_at for r in back} == {now + dt.timedelta(seconds=30)}  # the platform's retry_after
    assert {r.status for r in rows.values() if r.org_id == fine} == {"done"}
    assert conns[throttled].lock_owner is None and conns[fine].lock_owner is None  # no lease kept
    later = now + dt.timedelta(seconds=31)
    container.now = lambda: later
    worker.CONNECTION_HANDLERS["test_conn"] = lambda *a: {}
    assert worker.run_until_idle(container) == 3


def test_other_jobs_are_claimed_round_robin_with_a_cap_per_organization(container, test_kinds):
    container.now = lambda: dt.datetime(2026, 4, 2, 14, tzinfo=UTC)
    busy, quiet = _bare_connection(container), _bare_connection(container)
    _queue(container, busy, "test_job", 40)  # queued first
    _queue(container, quiet, "test_job", 1)
    first = worker.claim_fair(container, limit=10, kinds=["test_job"], worker_id="w1", per_org=2)
    assert sorted(j.org_id for j in first) == sorted([busy, busy, quiet])  # the quiet one is not behind 40
    second = worker.claim_fair(container, limit=10, kinds=["test_job"], worker_id="w2", per_org=2)
    assert second == []  # the busy organization already runs its two, on whichever workers
    worker.HANDLERS["test_job"] = lambda c, j: None
    for job in first:
        worker.run_job(container, job, "w1")
    third = worker.claim_fair(container, limit=10, kinds=["test_job"], worker_id="w2", per_org=2)
    assert [j.org_id for j in third] == [busy, busy]
    assert worker.run_until_idle(container, kinds=["test_job"]) == 0  # still at its cap
    for job in third:
        worker.run_job(container, job, "w2")
    assert worker.run_until_idle(container, kinds=["test_job"]) == 36
