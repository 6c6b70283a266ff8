"""The outbox: claims with leases, retries with backoff, no lost jobs, no double claims."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from billpay.db import tables as t
from billpay.services.context import Actor
from billpay.services.orgs import create_organization
from billpay.sync import worker


def _org(container):
    with container.sessionmaker() as s, s.begin():
        return create_organization(s, container.vault, name="Acme", admin_email="a@acme.test").organization_id


def _enqueue(container, org_id, n, kind="test_job"):
    with container.tx(Actor.system(org_id)) as ctx:
        for i in range(n):
            ctx.enqueue(kind, f"rec{i}")


def test_each_job_runs_once_even_with_concurrent_workers(container):
    org = _org(container)
    _enqueue(container, org, 60)
    seen, lock = [], threading.Lock()

    def job(c, j):
        with lock:
            seen.append(j.record_id)

    worker.HANDLERS["test_job"] = job
    try:
        threads = [threading.Thread(target=worker.run_until_idle, args=(container,),
                                    kwargs={"worker_id": f"w{i}", "kinds": ["test_job"], "batch": 5}) for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    finally:
        worker.HANDLERS.pop("test_job")
    assert sorted(seen) == sorted(f"rec{i}" for i in range(60))
    with container.sessionmaker() as s:
        assert {r.status for r in s.scalars(select(t.Outbox))} == {"done"}


def test_failed_job_is_retried_later_and_a_dead_workers_lease_expires(container):
    org = _org(container)
    _enqueue(container, org, 1)
    calls = []

    def flaky(c, j):
        calls.append(j.attempts)
        if len(calls) == 1:
            raise worker.Retry("platform busy", delay=30)

    worker.HANDLERS["test_job"] = flaky
    try:
        worker.run_until_idle(container, kinds=["test_job"])
        with container.sessionmaker() as s:
            row = s.scalars(select(t.Outbox)).one()
            assert row.status == "pending" and row.last_error == "platform busy"
        # not before the backoff delay
        assert worker.run_until_idle(container, kinds=["test_job"]) == 0
        base = container.now()
        container.now = lambda: base + dt.timedelta(seconds=31)
        worker.run_until_idle(container, kinds=["test_job"])
        assert calls == [1, 2]

        # a worker that claimed a job and died: the lease expires and the job runs again
        _enqueue(container, org, 1)
        claimed = worker.claim(container, worker_id="dead-worker", kinds=["test_job"])
        assert len(claimed) == 1
        assert worker.run_until_idle(container, kinds=["test_job"]) == 0  # lease still held
        container.now = lambda: base + dt.timedelta(minutes=10)
        assert worker.run_until_idle(container, kinds=["test_job"]) == 1
    finally:
        worker.HANDLERS.pop("test_job")


def test_unexpected_errors_do_not_stop_the_worker(container):
    org = _org(container)
    _enqueue(container, org, 3)

    def boom(c, j):
        if j.record_id == "rec1":
            raise RuntimeError("bug")

    worker.HANDLERS["test_job"] = boom
    try:
        assert worker.run_until_idle(container, kinds=["test_job"]) == 3
    finally:
        worker.HANDLERS.pop("test_job")
    with container.sessionmaker() as s:
        states = {r.record_id: (r.status, r.last_error) for r in s.scalars(select(t.Outbox))}
    assert states["rec0"][0] == "done" and states["rec2"][0] == "done"
    assert states["rec1"][0] == "pending" and "RuntimeError: bug" in states["rec1"][1]


def test_json_columns_keep_decimals_exact(container):
    from decimal import Decimal

    org = _org(container)
    with container.tx(Actor.system(org)) as ctx:
        ctx.session.add(t.ReferenceItem(id="ref_1", org_id=org, kind="vendors", external_id="1", name="V",
                                        extra={"balance": Decimal("1234.50")}))
    with container.sessionmaker() as s:
        assert s.get(t.ReferenceItem, "ref_1").extra == {"balance": "1234.50"}
