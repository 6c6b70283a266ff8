"""Nothing lost, nothing duplicated: timeouts after commit, rate limits, expired tokens, stale versions,
killed workers and concurrent workers."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from billpay.db import tables as t
from billpay.sync import worker

from .conftest import mapped_vendor, open_bill


def _bill(stack, bill_id):
    return stack.org.get(f"/bills/{bill_id}").json()


def test_timeout_after_commit_on_create_leaves_exactly_one_bill(stack):
    vendor = mapped_vendor(stack)
    stack.platform.faults(timeout_after_commit=1)
    bill = open_bill(stack, vendor, "TO-1", "99.00")
    stack.work()
    b = _bill(stack, bill["id"])
    # the first attempt's answer was lost; the retry found or replayed it instead of creating another
    assert stack.platform.count("Bill") == 1
    if b["sync"]["status"] != "synced":  # retried later by the worker's backoff
        with stack.container.sessionmaker() as s, s.begin():
            s.execute(update(t.Outbox).values(available_at=stack.container.now()))
        stack.work()
        b = _bill(stack, bill["id"])
    assert b["sync"]["status"] == "synced" and stack.platform.count("Bill") == 1
    # the fault really fired: the create sent again was absorbed by the platform (requestid memory, upsert)
    assert stack.platform.absorbed_retries() >= 1


def test_rate_limit_storm_is_ridden_out(stack):
    vendor = mapped_vendor(stack)
    bills = [open_bill(stack, vendor, f"RL-{i}", f"{10 + i}.00") for i in range(5)]
    stack.platform.faults(throttle_next=3)
    stack.work()
    for _ in range(3):  # backoff retries, run at once here
        with stack.container.sessionmaker() as s, s.begin():
            s.execute(update(t.Outbox).values(available_at=stack.container.now()))
        stack.work()
    assert all(_bill(stack, b["id"])["sync"]["status"] == "synced" for b in bills)
    assert stack.platform.count("Bill") == 5


def test_expired_access_token_mid_sync_is_refreshed_and_rotation_saved(stack):
    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "TOK-1", "10.00")
    before = stack.platform.sign_in_marker(stack.container)
    stack.platform.expire_sign_in()  # QuickBooks: access tokens; Intacct: API sessions
    stack.work()
    assert _bill(stack, bill["id"])["sync"]["status"] == "synced"
    stack.platform.check_sign_in_renewed(stack.container, before)


def test_stale_version_after_an_edit_in_the_platform(stack):
    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "ST-1", "10.00")
    stack.work()
    ext = _bill(stack, bill["id"])["sync"]["external_id"]
    stack.platform.touch_bill(ext)  # someone saved it in QuickBooks: our SyncToken is stale now
    r = stack.org.patch(f"/bills/{bill['id']}", {"memo": "coded again"})
    assert r.status_code == 200, r.text
    stack.work()
    b = _bill(stack, bill["id"])
    assert b["sync"]["status"] == "synced", b["sync"]
    history = stack.org.get(f"/bills/{bill['id']}/sync-history").json()["data"]
    assert history[0]["operation"] == "update" and history[0]["outcome"] == "ok"


def test_worker_killed_between_platform_commit_and_ours(stack, monkeypatch):
    """The platform committed, billpay did not record it (the worker was killed): another worker takes the
    connection over within seconds (no heartbeat any more) and replays the request as sent: no duplicate."""
    from billpay.sync import lease as lease_mod

    vendor = mapped_vendor(stack)
    bill = open_bill(stack, vendor, "KILL-1", "10.00")
    stack.container.settings.sync_heartbeat_seconds = 0  # a killed worker's heartbeat stops with it
    real_tx = stack.container.tx
    calls = {"n": 0}

    def dying_tx(actor):
        calls["n"] += 1
        if calls["n"] == 2:  # the transaction that records the platform's answer
            raise SystemExit("worker killed")
        return real_tx(actor)

    monkeypatch.setattr(lease_mod.Lease, "release", lambda self: None)  # killed: nothing is released
    stack.container.tx = dying_tx
    try:
        with pytest.raises(SystemExit):
            worker.drain_connection(stack.container, stack.org.id, owner="doomed")
    finally:
        stack.container.tx = real_tx
        monkeypatch.undo()
    assert stack.platform.count("Bill") == 1  # committed on the platform
    assert _bill(stack, bill["id"])["sync"]["external_id"] is None  # but not recorded here
    assert stack.work() == 0  # the dead worker's lease still stands
    base = stack.container.now()
    stack.container.now = lambda: base + dt.timedelta(seconds=stack.container.settings.sync_lease_seconds + 1)
    before = stack.platform.api_calls()
    stack.work()
    b = _bill(stack, bill["id"])
    assert b["sync"]["status"] == "synced" and b["sync"]["external_id"]
    assert stack.platform.count("Bill") == 1
    # one replay of the request as sent; no lookup queries
    assert stack.platform.api_calls() - before == stack.platform.calls_per_replay


def test_two_workers_on_one_connection_never_duplicate(stack):
    vendor = mapped_vendor(stack)
    bills = [open_bill(stack, vendor, f"CW-{i}", f"{10 + i}.00") for i in range(12)]
    errors = []

    def unfinished() -> int:
        with stack.container.sessionmaker() as s:
            return len(s.scalars(select(t.Outbox).where(t.Outbox.status.in_(["pending", "running"]))).all())

    def run(name):
        import time

        deadline = time.time() + 60
        try:
            while unfinished() and time.time() < deadline:
                worker.run_until_idle(stack.container, worker_id=name, batch=4)
                with stack.container.sessionmaker() as s, s.begin():  # skip the backoff waits
                    s.execute(update(t.Outbox).where(t.Outbox.status == "pending")
                              .values(available_at=stack.container.now()))
                time.sleep(0.05)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=(f"worker-{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors
    assert all(_bill(stack, b["id"])["sync"]["status"] == "synced" for b in bills)
    assert stack.platform.count("Bill") == 12
